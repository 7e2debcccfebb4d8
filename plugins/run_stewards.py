"""Airflow plugin: the stewards' view. Each run's page (``korning.html``), the validation summary and
the outputs, served read-only by the Airflow API server under ``/run-stewards/`` and linked from the
Airflow UI's top navigation ("RUN: leveranskontroll"), whose first link per year is the checklist
``leveranser.html`` ("Leveranskontroll <år>", runreport.delivery_page).

* ``GET /run-stewards/`` lists every tenant and year in the output folder (``paths.output`` of the
  configuration, ``RUN_PATHS__OUTPUT``) with links to its run page, validation summary and report.
* ``GET/POST /run-stewards/kontroll``: upload one partner file and get the run's receipt for it
  (``python -m runreport.check`` in a temporary folder; nothing is loaded or kept). The only page
  with a form: its CSP allows ``form-action 'self'``, still no script.
* ``GET /run-stewards/files/<tenant>/<year>/...`` serves one file below the output folder. Only the
  kinds of file the stewards read (HTML, Markdown, CSV, Word, PDF, Excel, invoice XML, images and
  the Data Docs' CSS/JS) are served; hidden files, the Great Expectations stores and anything that
  resolves outside the output folder (``..``, absolute paths, symlinks) answer 404.
* Every request needs an Airflow login: the UI's session cookie (``_token``) or a bearer JWT from
  ``POST /auth/token``, checked by Airflow's own ``get_user``.
* A user sees only the networks the auth manager lets them read (``runreport.access``: the resource
  ``RUN-nätverk <TENANT>``, asked through ``is_authorized_custom_view``); another network's files
  answer 403 and its years are not listed. With SimpleAuthManager every logged-in user reads all.
* Partner data must never run in a steward's browser (``docs/security.md``): every answer carries a
  Content-Security-Policy that allows no script at all and ``X-Content-Type-Options: nosniff``.
  HTML the product did not write itself (Great Expectations' Data Docs, anything else below the
  output folder) is served with the CSP ``sandbox`` directive as well: an opaque origin with no
  script, no forms, no access to the Airflow session. Files that are not pages (Word, Excel, CSV,
  XML, PDF, Markdown, scripts) are offered as downloads (``Content-Disposition: attachment``).

Airflow 3 mounts ``fastapi_apps`` into the API server; ``external_views`` adds the navigation entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

URL_PREFIX = "/run-stewards"
SERVED_SUFFIXES = {".html", ".htm", ".md", ".csv", ".docx", ".pdf", ".xlsx", ".xml", ".png", ".svg", ".jpg",
                   ".css", ".js", ".txt"}
HIDDEN_DIRS = {"gx_stores", "staging"}
MEDIA_TYPES = {".md": "text/markdown; charset=utf-8", ".csv": "text/csv; charset=utf-8",
               ".txt": "text/plain; charset=utf-8"}

_bearer = HTTPBearer(auto_error=False)

# The pages the product writes itself (partner values in them are escaped when written).
OWN_PAGES = ("korning.html", "validation/sammanfattning.html")
OWN_FOLDER = "validation/filer/"   # the per-file result pages (runreport.validation.summary)
INLINE = {".html", ".htm", ".png", ".jpg", ".css", ".txt"}   # shown in the browser; the rest: downloads
CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")


def security_headers(rel: str | None) -> dict[str, str]:
    """The headers for the index page (``rel`` None) or a served file."""
    headers = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
               "Cache-Control": "no-store", "Content-Security-Policy": CSP}
    if rel is None:
        return headers
    parts = Path(rel).parts
    inner = "/".join(parts[2:])
    own = len(parts) >= 2 and (inner in OWN_PAGES or (inner.startswith(OWN_FOLDER) and inner.count("/") == 2))
    suffix = Path(rel).suffix.lower()
    if not own:
        headers["Content-Security-Policy"] = CSP + "; sandbox"
    if suffix not in INLINE:
        headers["Content-Disposition"] = f'attachment; filename="{Path(rel).name.replace(chr(34), "")}"'
    return headers


async def require_airflow_user(request: Request,
                               credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]):
    """The Airflow user of the request (bearer JWT or the UI's cookie); 401/403 otherwise."""
    from airflow.api_fastapi.core_api.security import get_user

    return await get_user(request, None, credentials)


async def network_access(user: Annotated[object, Depends(require_airflow_user)]) -> Callable[[str], bool]:
    """A predicate: may the request's user read this network's files?"""
    from airflow.api_fastapi.app import get_auth_manager

    from runreport.access import network_resource

    manager = get_auth_manager()
    return lambda tenant: bool(manager.is_authorized_custom_view(
        method="GET", resource_name=network_resource(tenant), user=user))


def output_root() -> Path:
    """The configured output folder, resolved (read per request: configuration changes apply)."""
    from runreport import settings

    return settings.load().path("output").resolve()


def safe_path(root: Path, rel: str, folder: bool = False) -> Path:
    """``root / rel`` if it is a servable file (``folder``: a folder) inside ``root``; else 404."""
    parts = Path(rel).parts
    if (not rel or rel.startswith(("/", "\\")) or "\x00" in rel or ".." in parts
            or any(p.startswith(".") or p in HIDDEN_DIRS for p in parts)):
        raise HTTPException(status_code=404, detail="Not found")
    target = (root / rel).resolve()
    servable = target.is_dir() if folder else target.is_file() and target.suffix.lower() in SERVED_SUFFIXES
    if not target.is_relative_to(root) or not servable:
        raise HTTPException(status_code=404, detail="Not found")
    return target


DRAFT_BASIS = re.compile(r"(?P<draft>UTKAST-[A-Za-z0-9-]{1,60})_fakturaunderlag\.(?P<ext>docx|pdf)")


def released_basis(root: Path, rel: str) -> str | None:
    """For a draft's basis that is gone because the draft was released: the numbered basis's name
    (a relative URL, beside the old one), from the outbox's manifests. Else None."""
    path = Path(rel)
    m = DRAFT_BASIS.fullmatch(path.name)
    if m is None or path.parent.name != "underlag":
        return None
    folder = safe_path(root, str(path.parent), folder=True)
    if (folder / path.name).exists():
        return None
    from runreport.invoicing.manifest import number_for_draft

    number = number_for_draft(folder.parent / "outbox", m["draft"])
    moved = f"{number}_fakturaunderlag.{m['ext']}" if number else None
    return moved if moved and (folder / moved).is_file() else None


def folder_page(root: Path, rel: str) -> str:
    """A folder of the output (``invoices/outbox/``): its servable files, newest first, as links."""
    from runreport import pages
    from runreport.sweformat import stockholm

    folder = safe_path(root, rel.rstrip("/"), folder=True)
    files = sorted((f for f in folder.iterdir() if f.is_file() and not f.name.startswith(".")
                    and f.suffix.lower() in SERVED_SUFFIXES), key=lambda f: (-f.stat().st_mtime, f.name))
    rows = [{"name": f.name, "size": f.stat().st_size,
             "changed": stockholm(datetime.fromtimestamp(f.stat().st_mtime, UTC))} for f in files]
    return pages.render("mapp.html.j2", folder=rel.rstrip("/") + "/", rows=rows)


def _years(root: Path, may_read: Callable[[str], bool] = lambda tenant: True) -> list[tuple[str, str, Path]]:
    out = []
    if not root.is_dir():
        return out
    for tenant in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not may_read(tenant.name):
            continue
        for year in sorted((p for p in tenant.iterdir() if p.is_dir() and p.name.isdigit()), reverse=True):
            out.append((tenant.name, year.name, year))
    return out


def index_page(root: Path, base: str = URL_PREFIX, may_read: Callable[[str], bool] = lambda tenant: True) -> str:
    """The list of networks and years the user may read (autoescaped template ``pages/index.html.j2``)."""
    from runreport import pages

    rows = []
    for tenant, year, folder in _years(root, may_read):
        links = [{"label": label, "href": f"{base}/files/{tenant}/{year}/{rel}"}
                 for label, rel in ((f"Leveranskontroll {year}", "leveranser.html"), ("Körning", "korning.html"),
                                    ("Validering", "validation/sammanfattning.html"),
                                    ("Verksamhetsberättelse", f"verksamhetsberattelse_{year}.docx"),
                                    ("Kommunbidrag", f"kommunbidrag_{year}.csv"))
                 if (folder / rel).is_file()]
        rows.append({"tenant": tenant, "year": year, "links": links})
    return pages.render("index.html.j2", rows=rows)


MAX_UPLOAD = 100 * 1024 * 1024   # bytes: a receipt for one partner file, never a whole inbox
FORM_CSP = CSP.replace("form-action 'none'", "form-action 'self'")   # the one page with a form


def upload_name(name: str | None) -> str:
    """The uploaded file's own name (it decides source and year, as in the inbox), without any folder
    part or characters a file system would take as one; never empty."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "").strip()
    return base[:200] if base not in ("", ".", "..") else "fil.csv"


def receipt_for_upload(name: str, data: bytes, tenant: str | None = None) -> tuple[int, str]:
    """Run ``python -m runreport.check`` on the uploaded bytes in a folder of their own (the check writes
    nothing; the folder goes with the answer). Returns (exit code, the Swedish receipt)."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="run-kontroll-") as tmp:
        path = Path(tmp) / upload_name(name)
        path.write_bytes(data)
        args = [sys.executable, "-m", "runreport.check", str(path)] + (["--tenant", tenant] if tenant else [])
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=tmp)
        except subprocess.TimeoutExpired:
            return 2, "Kontrollen tog för lång tid (mer än 10 minuter) och avbröts."
    return done.returncode, (done.stdout.strip() or done.stderr.strip()[-2000:])


def create_app() -> FastAPI:
    app = FastAPI(title="RUN stewards' view", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(require_airflow_user)])

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, may_read: Annotated[Callable[[str], bool], Depends(network_access)]) -> HTMLResponse:
        return HTMLResponse(index_page(output_root(), base=request.scope.get("root_path", "") or "",
                                       may_read=may_read),
                            headers=security_headers(None))

    @app.get("/kontroll", response_class=HTMLResponse)
    def check_form() -> HTMLResponse:
        from runreport import pages

        return HTMLResponse(pages.render("kontroll.html.j2", result=None, max_mb=MAX_UPLOAD // 2**20),
                            headers={**security_headers(None), "Content-Security-Policy": FORM_CSP})

    @app.post("/kontroll", response_class=HTMLResponse)
    async def check_upload(request: Request,
                           may_read: Annotated[Callable[[str], bool], Depends(network_access)]) -> HTMLResponse:
        """The receipt for one uploaded file (issue 17): checked as the run would, never loaded."""
        from runreport import pages, settings

        form = await request.form(max_files=1, max_fields=4)
        upload = form.get("fil")
        if upload is None or not hasattr(upload, "read"):
            raise HTTPException(status_code=400, detail="Välj en fil att kontrollera.")
        tenant = settings.load().tenant
        if not may_read(tenant):
            raise HTTPException(status_code=403, detail=f"Du har inte behörighet till nätverket {tenant}.")
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise HTTPException(status_code=413, detail=f"Filen är större än {MAX_UPLOAD // 2**20} MB.")
        import asyncio

        code, text = await asyncio.to_thread(receipt_for_upload, upload.filename, data, tenant)
        verdict = {0: "godkänd", 1: "inte godkänd"}.get(code, "kunde inte kontrolleras")
        return HTMLResponse(pages.render("kontroll.html.j2", result={"code": code, "verdict": verdict, "text": text,
                                                                   "name": upload_name(upload.filename)},
                                         max_mb=MAX_UPLOAD // 2**20),
                            headers={**security_headers(None), "Content-Security-Policy": FORM_CSP})

    @app.get("/files/{rel:path}")
    def files(rel: str, may_read: Annotated[Callable[[str], bool], Depends(network_access)]):  # noqa: ANN202
        tenant = Path(rel).parts[0] if Path(rel).parts else ""
        if tenant and not may_read(tenant):
            raise HTTPException(status_code=403, detail=f"Du har inte behörighet till nätverket {tenant}.")
        if rel.endswith("/"):   # a folder the run page links (invoices/outbox/): its files
            return HTMLResponse(folder_page(output_root(), rel), headers=security_headers(None))
        moved = released_basis(output_root(), rel)
        if moved:   # the approval links a draft's basis; once released it carries its number
            return RedirectResponse(moved, status_code=307, headers=security_headers(None))
        target = safe_path(output_root(), rel)
        return FileResponse(target, media_type=MEDIA_TYPES.get(target.suffix.lower()),
                            headers=security_headers(rel))

    return app


app = create_app()


class RunStewardsPlugin(AirflowPlugin):
    name = "run_stewards"
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "RUN stewards' view"}]
    # in the top navigation (no category): the stewards' first stop, "Leveranskontroll <år>" one click on
    external_views = [{
        "name": "RUN: leveranskontroll",
        "href": f"{URL_PREFIX}/",
        "destination": "nav",
        "url_route": "run-stewards",
    }]
