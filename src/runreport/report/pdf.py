"""PDF copy of the report through LibreOffice (``soffice --headless --convert-to pdf``).

LibreOffice is optional: without it, :func:`to_pdf` logs a clear message and returns ``None``.
Each conversion uses its own temporary LibreOffice profile, so parallel runs do not collide.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

MISSING = "LibreOffice (soffice) saknas: ingen PDF skapades"


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx: Path, outdir: Path | None = None, timeout: int = 180) -> Path | None:
    """Convert ``docx`` to ``<outdir>/<stem>.pdf``; ``None`` when LibreOffice is absent or fails."""
    exe = find_soffice()
    if exe is None:
        log.warning(MISSING)
        return None
    docx = Path(docx).resolve()
    outdir = Path(outdir or docx.parent).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="runreport-lo-") as profile:
        cmd = [exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(outdir), str(docx)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("PDF-konvertering med LibreOffice misslyckades: %s", exc)
            return None
    pdf = outdir / f"{docx.stem}.pdf"
    if proc.returncode != 0 or not pdf.exists():
        log.warning("PDF-konvertering med LibreOffice misslyckades (kod %s): %s", proc.returncode,
                    (proc.stderr or proc.stdout).strip()[:500])
        return None
    return pdf
