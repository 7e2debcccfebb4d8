"""Two reporting years lived under Airflow's real scheduler (issue 13), not ``airflow dags test``.

A real dag-processor, scheduler, triggerer and API server run on a scratch PostgreSQL database (the
warehouse is PostgreSQL too), with the project's own DAGs and plugins, once per phase, each phase
with the clock moved to its moment by libfaketime (Debian's ``faketime``). Every run below is one
the scheduler creates from the timetables, except the late reruns and the invoice runs, which a
person starts through the REST API. Partner files arrive in the inbox between phases.

2024, a year with required sources missing (SCB's population has not come, no evaluations):
  P1  2025-01-27 06:00  ingest loads what there is; the reminder names the missing sources
  P2  2025-02-03 06:00  the week-6 run (no year given) writes only a draft marked UTKAST and fails
  P3  2025-02-17 06:01  the deadline passed: exactly one "missed"; a late rerun adds none;
                        run_invoices for 2024 refuses and prepares nothing
2025, a year with one rejected file, corrected:
  P4  2025-09-01 05:00  ingest with a broken ledger file: the ingest run fails, one notice names it
  P5  2025-09-02 05:00  the corrected _v2 loads: the run is green, a notice says it is resolved
  P6  2026-01-26 06:00  the reminder names the still missing evaluations
  P7  2026-01-27 05:00  the evaluations arrive
  P8  2026-02-02 06:00  the week-6 run the scheduler creates reports 2025 (run id and note say so)
  P9  2026-02-17 06:01  a late rerun gives no "missed"; run_invoices for 2025 waits for finance
                        (FAB auth manager: a steward and a coordinator are refused),
                        who approves through the REST API; the invoices are released

Without PostgreSQL or faketime the test skips, unless RUN_REQUIRE_SERVICES=1 (CI), when it fails.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import stack as st

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo" / "inbox"
VENV_BIN = Path(sys.executable).parent
AIRFLOW = str(VENV_BIN / "airflow")
STHLM = ZoneInfo("Europe/Stockholm")

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(2400)]


def at(text: str) -> datetime:
    """A Stockholm wall-clock moment, as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=STHLM).astimezone(UTC)


def _population(src: Path, dst: Path, years: list[str]) -> None:
    """The demo's SCB export with only ``years`` (a partner who has not yet sent the rest)."""
    raw = src.read_bytes().decode("cp1252")
    title, rest = raw.split("\n", 1)
    rows = list(csv.reader(io.StringIO(rest.lstrip("\r\n")), delimiter=";"))
    header = rows[0]
    keep = [0] + [i for i, h in enumerate(header) if h in years]
    out = io.StringIO()
    out.write(title + "\n\n")
    w = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    for r in rows:
        if r:
            w.writerow([r[i] for i in keep if i < len(r)])
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(out.getvalue().encode("cp1252"))


def _put(inbox: Path, source: str, name: str, target: str | None = None) -> None:
    (inbox / source).mkdir(parents=True, exist_ok=True)
    shutil.copy(DEMO / source / name, inbox / source / (target or name))


def _records(notes: Path, event: str) -> list[dict]:
    path = notes / f"{event}.jsonl"
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture
def world(tmp_path):
    if not st.faketime_lib():
        st.require_or_skip("libfaketime is not installed (Debian package faketime)")
    st.require_asyncpg()
    meta, drop_meta = st.scratch_database("run_life_meta")
    wh, drop_wh = st.scratch_database("run_life_wh")
    home, inbox, out, notes, logs = (tmp_path / d for d in ("home", "inbox", "out", "notes", "logs"))
    for d in (home, inbox, out, notes, logs):
        d.mkdir()
    port = st.free_port()
    from runreport.demo_payees import connection_env

    env = st.stack_env(
        home, meta, ROOT / "dags", logs / "tasks",
        **connection_env(),  # finance's payee connections run_payee_<tenant> (demo values)
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW__CORE__PARALLELISM="4",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__CORE__AUTH_MANAGER=st.FAB_AUTH_MANAGER,   # the production auth manager and RUN's roles
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__WORKERS="1",
        AIRFLOW__API_AUTH__JWT_SECRET=uuid.uuid4().hex,
        AIRFLOW__API__SECRET_KEY=uuid.uuid4().hex,
        AIRFLOW_VAR_RUN_PSEUDONYM_SECRET="life-test-secret",
        RUN_WAREHOUSE__URL=f"postgresql+psycopg2://postgres@{st.PG_HOST}:{st.PG_PORT}/{wh}",
        RUN_PATHS__INBOX=str(inbox),
        RUN_PATHS__OUTPUT=str(out),
        RUN_PATHS__NOTIFICATIONS=str(notes),
        RUN_REPORTING__DEADLINE_ALERTS="true",
        RUN_INVOICING__BASIS_PDF="false",
        PYTHONWARNINGS="ignore::DeprecationWarning",
    )
    migrate = subprocess.run([AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    st.fab_users(env, {"ekonomi": ("ekonomi", ["RUN"]), "forvaltare": ("forvaltare", ["RUN"]),
                       "samordnare": ("samordnare", ["RUN"])}, tenants=("RUN",))
    db = st.pg_connect(meta)
    st.install_fake_clock(db)
    stack = st.Stack(AIRFLOW, env, logs, port, db)
    try:
        yield {"stack": stack, "db": db, "inbox": inbox, "out": out / "RUN", "notes": notes, "logs": logs}
    finally:
        stack.stop()
        db.close()
        drop_meta()
        drop_wh()


class Life:
    """What the test does as the people around the product do it, phase by phase."""

    DAGS = ("run_ingest", "run_annual_report", "run_deadline_reminder", "run_invoices")

    def __init__(self, world: dict) -> None:
        self.w, self.stack, self.db = world, world["stack"], world["db"]
        self._seen: set[tuple[str, str]] = set()

    def sql(self, query: str, args: tuple = ()) -> list[tuple]:
        with self.db.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else []

    def begin(self, name: str, moment: datetime, unpause: tuple[str, ...] = ()) -> None:
        self.stack.stop()
        self.sql("UPDATE dag SET is_paused = true")
        self.moment = moment
        self.stack.start(name, moment)
        self.stack.wait_for(self.stack.api_ready, 120, "the API server")

        def parsed() -> bool:
            rows = dict(self.sql("SELECT dag_id, last_parsed_time FROM dag WHERE dag_id = ANY(%s)", (list(self.DAGS),)))
            return len(rows) == len(self.DAGS) and all(t is not None and t >= moment for t in rows.values())

        # unpause only after the dag-processor parsed at the phase's clock: the next run is then
        # the one the timetable gives for *now*, not one computed in an earlier phase
        self.stack.wait_for(parsed, 180, "the DAGs parsed at the phase's clock")
        if unpause:
            self.sql("UPDATE dag SET is_paused = false WHERE dag_id = ANY(%s)", (list(unpause),))

    def unpause(self, *dag_ids: str) -> None:
        self.sql("UPDATE dag SET is_paused = false WHERE dag_id = ANY(%s)", (list(dag_ids),))

    def new_run(self, dag_id: str, timeout: float = 600, states=("success", "failed")) -> dict:
        """The next run of ``dag_id`` not seen before, once it is in one of ``states``."""

        def done():
            for run_id, state, note in self.sql(
                    "SELECT r.run_id, r.state, n.content FROM dag_run r "
                    "LEFT JOIN dag_run_note n ON n.dag_run_id = r.id WHERE r.dag_id = %s ORDER BY r.id", (dag_id,)):
                if (dag_id, run_id) not in self._seen and state in states:
                    self._seen.add((dag_id, run_id))
                    return {"run_id": run_id, "state": state, "note": note}
            return None

        return self.stack.wait_for(done, timeout, f"a new run of {dag_id} in {states}", interval=2)

    def tasks(self, dag_id: str, run_id: str) -> dict[str, str]:
        return dict(self.sql("SELECT task_id, state FROM task_instance WHERE dag_id = %s AND run_id = %s",
                             (dag_id, run_id)))

    def token(self, user: str) -> str:
        return self.stack.token(user, f"{user}-pw")

    def diagnose(self, dag_id: str, run_id: str, task_id: str) -> str:
        """What a failed step left: the run's task states, Airflow's audit log for the step (a
        scheduler-side 'state mismatch' lands there), its task log and the scheduler's lines on it."""
        audit = self.sql("SELECT dttm, event, extra FROM log WHERE dag_id = %s AND run_id = %s AND task_id = %s "
                         "ORDER BY dttm", (dag_id, run_id, task_id))
        folder = self.w["logs"] / "tasks" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
        task_log = "\n".join(f.read_text(errors="replace")[-3000:] for f in sorted(folder.glob("*")) if f.is_file())
        scheduler = [line for line in self.stack.log_path("scheduler").read_text(errors="replace").splitlines()
                     if task_id in line and run_id in line][-15:]
        return (f"tasks: {self.tasks(dag_id, run_id)}\naudit log: {audit}\ntask log:\n{task_log}\n"
                "scheduler:\n" + "\n".join(scheduler))

    def trigger(self, dag_id: str, conf: dict, user: str = "forvaltare") -> str:
        code, body = self.stack.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", self.token(user),
                                    {"logical_date": None, "conf": conf})
        assert code == 200, (code, body)
        return body["dag_run_id"]


def test_two_reporting_years_under_the_real_scheduler(world):
    life, inbox, out, notes = Life(world), world["inbox"], world["out"], world["notes"]
    pop = DEMO / "population" / "BE0101_folkmangd_2019-2025.csv"

    # --- 2024: the population (SCB) and the evaluations have not arrived ----------------------------
    _put(inbox, "members", "members_2020-2025.csv")
    _put(inbox, "agreements", "agreements.csv")
    _put(inbox, "budget", "handlingsplan_2024.csv")
    _put(inbox, "sessions", "traffar_2024.csv")
    _put(inbox, "registrations", "anmalningar_2024_vt.csv")
    _put(inbox, "registrations", "registrations_2024_ht.xlsx")
    _put(inbox, "ledger", "huvudbok_2024.xlsx")

    life.begin("P1", at("2025-01-27T06:00:30"), unpause=("run_ingest",))
    ingest = life.new_run("run_ingest")
    assert ingest["state"] == "success", life.tasks("run_ingest", ingest["run_id"])
    life.unpause("run_deadline_reminder")  # in production it runs at 06:00, after the 05:00 ingest
    reminder = life.new_run("run_deadline_reminder")
    assert reminder["state"] == "success"
    assert reminder["note"].startswith("Verksamhetsår 2024")
    [rem] = _records(notes, "deadline_reminder")
    assert rem["reporting_year"] == 2024 and set(rem["missing"]) == {"population", "evaluations"}
    assert "Folkmängd (SCB): folkmängden 2023 saknas" in rem["text"]
    assert "måndag 17 februari 2025 kl. 06:00" in rem["text"]

    life.begin("P2", at("2025-02-03T06:00:30"), unpause=("run_annual_report",))
    week6 = life.new_run("run_annual_report")
    assert week6["run_id"].startswith("scheduled__verksamhetsar-2024_"), week6
    assert week6["note"].startswith("Verksamhetsår 2024 (från schemat")
    assert week6["state"] == "failed"
    assert life.tasks("run_annual_report", week6["run_id"])["report"] == "failed"
    assert (out / "2024" / "verksamhetsberattelse_2024_UTKAST.docx").exists()
    assert not (out / "2024" / "verksamhetsberattelse_2024.docx").exists()
    assert not (out / "2023").exists() and not (out / "2025").exists()
    from docx_text import document_text

    draft = document_text(out / "2024" / "verksamhetsberattelse_2024_UTKAST.docx")
    assert "UTKAST" in draft and "Utvärderingar: ingen godkänd fil för 2024 har kommit in" in draft
    failed = [r for r in _records(notes, "task_failed") if r["task_id"] == "report"]
    assert len(failed) == 1 and failed[0]["reporting_year"] == 2024
    assert "Underlag saknas för 2024" in failed[0]["text"]
    assert failed[0]["links"]["Körningen i Airflow"].endswith(week6["run_id"].replace("+", "%2B").replace(":", "%3A"))

    life.begin("P3", at("2025-02-17T06:01:00"), unpause=("run_annual_report", "run_invoices"))
    missed = life.stack.wait_for(lambda: _records(notes, "deadline_missed"), 180, "the missed-deadline notice")
    assert [m["reporting_year"] for m in missed] == [2024]
    assert missed[0]["subject"] == "RUN 2024: verksamhetsberättelsen blev inte klar i tid"
    late = life.trigger("run_annual_report", {"year": 2024})
    rerun = life.new_run("run_annual_report")
    assert rerun["run_id"] == late and rerun["state"] == "failed"
    assert rerun["note"] == "Verksamhetsår 2024 (angivet vid start (parametern year))"
    # the run's own deadline lies in the past and fires at once; the triggerer must stay quiet
    life.stack.wait_for(lambda: life.sql("SELECT count(*) FROM deadline WHERE missed")[0][0] >= 2, 120,
                        "the late rerun's deadline to be handled")
    time.sleep(5)
    assert len(_records(notes, "deadline_missed")) == 1
    # run_invoices: its own scheduled run (15 Jan 2025 -> 2025) and 2024 both lack population
    scheduled_inv = life.new_run("run_invoices")
    assert scheduled_inv["state"] == "failed" and scheduled_inv["note"].startswith("Fakturaår 2025")
    life.trigger("run_invoices", {"year": 2024})
    inv2024 = life.new_run("run_invoices")
    assert inv2024["state"] == "failed"
    assert life.tasks("run_invoices", inv2024["run_id"])["prepare"] == "failed"
    refusal = [r for r in _records(notes, "task_failed") if r["task_id"] == "prepare" and r["reporting_year"] == 2024]
    assert refusal and "Inga fakturor för 2024" in refusal[0]["text"]
    assert not (out / "2024" / "invoices" / "prepared").exists() or not list(
        (out / "2024" / "invoices" / "prepared").glob("*.xml"))

    # --- 2025: one rejected file, corrected -------------------------------------------------------------
    _population(pop, inbox / "population" / "BE0101_folkmangd_2023-2024.csv", ["2023", "2024"])
    _put(inbox, "budget", "handlingsplan_2025.csv")
    _put(inbox, "sessions", "traffar_2025.csv")
    _put(inbox, "registrations", "anmalningar_2025_vt.csv")
    _put(inbox, "registrations", "registrations_2025_ht.xlsx")
    good_ledger = (DEMO / "ledger" / "huvudbok_2025.csv").read_bytes()
    (inbox / "ledger" / "huvudbok_2025.csv").write_bytes(good_ledger.replace(b";Belopp;", b";Summa;", 1))

    life.begin("P4", at("2025-09-01T05:00:30"), unpause=("run_ingest",))
    bad = life.new_run("run_ingest")
    assert bad["state"] == "failed", life.tasks("run_ingest", bad["run_id"])
    states = life.tasks("run_ingest", bad["run_id"])
    assert states["validate"] == "failed" and states["load"] == "success" and states["done"] == "upstream_failed"
    [rejected] = _records(notes, "file_rejected")
    assert rejected["subject"] == "RUN 2025: filen huvudbok_2025.csv avvisades"
    assert "Filen huvudbok_2025.csv (Ekonomi (huvudbok), 2025) avvisades:" in rejected["text"]
    assert not [r for r in _records(notes, "task_failed") if r.get("dag_id") == "run_ingest"]

    (inbox / "ledger" / "huvudbok_2025_v2.csv").write_bytes(good_ledger)
    life.begin("P5", at("2025-09-02T05:00:30"), unpause=("run_ingest",))
    fixed = life.new_run("run_ingest")
    assert fixed["state"] == "success", life.tasks("run_ingest", fixed["run_id"])
    [resolved] = _records(notes, "file_resolved")
    assert "huvudbok_2025_v2.csv" in resolved["subject"] and "problemet är löst" in resolved["text"]
    assert len(_records(notes, "file_rejected")) == 1

    life.begin("P6", at("2026-01-26T06:00:30"), unpause=("run_deadline_reminder",))
    reminder = life.new_run("run_deadline_reminder")
    assert reminder["state"] == "success" and reminder["note"].startswith("Verksamhetsår 2025")
    rem2025 = [r for r in _records(notes, "deadline_reminder") if r["reporting_year"] == 2025]
    assert len(rem2025) == 1 and rem2025[0]["missing"] == ["evaluations"] and not rem2025[0]["rejected_files"]

    _put(inbox, "evaluations", "utvarderingar_2025.csv")
    life.begin("P7", at("2026-01-27T05:00:30"), unpause=("run_ingest",))
    assert life.new_run("run_ingest")["state"] == "success"

    draft_2024 = (out / "2024" / "verksamhetsberattelse_2024_UTKAST.docx").stat().st_mtime_ns
    life.begin("P8", at("2026-02-02T06:00:30"), unpause=("run_annual_report",))
    week6 = life.new_run("run_annual_report", timeout=900)
    assert week6["state"] == "success", life.tasks("run_annual_report", week6["run_id"])
    assert week6["run_id"].startswith("scheduled__verksamhetsar-2025_2026-02-02")
    assert week6["note"].startswith("Verksamhetsår 2025 (från schemat")
    report = document_text(out / "2025" / "verksamhetsberattelse_2025.docx")
    assert "Verksamhetsberättelse 2025" in report and "UTKAST" not in report
    assert (out / "2024" / "verksamhetsberattelse_2024_UTKAST.docx").stat().st_mtime_ns == draft_2024
    # a healthy run's task logs hold no error and no traceback (validation runs in the task's
    # process; spawned workers used to crash on Airflow's blocked database URL)
    run_logs = world["logs"] / "tasks" / "dag_id=run_annual_report" / f"run_id={week6['run_id']}"
    logged = "\n".join(p.read_text(errors="replace") for p in run_logs.rglob("*") if p.is_file())
    assert logged and "Traceback" not in logged and "Could not parse SQLAlchemy URL" not in logged
    assert '"level":"error"' not in logged.replace(" ", "")
    assert not (out / "2024" / "verksamhetsberattelse_2024.docx").exists()

    life.begin("P9", at("2026-02-17T06:01:00"), unpause=("run_annual_report", "run_invoices"))
    late = life.trigger("run_annual_report", {"year": 2025})
    rerun = life.new_run("run_annual_report", timeout=900)
    assert rerun["run_id"] == late and rerun["state"] == "success"
    time.sleep(10)  # the rerun's deadline (in the past) has been handled by now
    assert [m["reporting_year"] for m in _records(notes, "deadline_missed")] == [2024]

    # the 15 January 2026 run invoices 2026, whose population (2025) SCB has not sent: refused
    assert life.new_run("run_invoices")["state"] == "failed"
    life.trigger("run_invoices", {"year": 2025})
    waiting = life.new_run("run_invoices", states=("running",))
    run_id = waiting["run_id"]
    assert waiting["note"] == "Fakturaår 2025 (angivet vid start (parametern year))"

    outbox = out / "2025" / "invoices" / "outbox"

    def parked(run_id: str) -> None:
        life.stack.wait_for(lambda: life.tasks("run_invoices", run_id).get("approval") == "awaiting_input", 300,
                            "the approval step to wait for finance")
        # A person answers after the worker has put the step down: the scheduler has had the executor's
        # event for the parked attempt. (Answering within the same instant raced that event in one CI run:
        # the step failed after the answer; the failure message below now says how.)
        park_seen = re.compile(r"Received executor event with state \w+ for task instance .*task_id='approval'.*"
                               + re.escape(run_id))
        life.stack.wait_for(lambda: park_seen.search(life.stack.log_path("scheduler").read_text(errors="replace")),
                            120, "the scheduler to see the parked approval step's process end")

    def answered(run_id: str, option: str, reason: str | None) -> str:
        path = f"/api/v2/dags/run_invoices/dagRuns/{run_id}/taskInstances/approval/-1/hitlDetails"
        code, body = life.stack.api("PATCH", path, life.token("ekonomi"),
                                    {"chosen_options": [option], "params_input": {"skal": reason}})
        assert code == 200, (code, body)

        def finished():
            [(state,)] = life.sql("SELECT state FROM dag_run WHERE dag_id = 'run_invoices' AND run_id = %s", (run_id,))
            return state if state in ("success", "failed") else None

        state = life.stack.wait_for(finished, 300, f"the run after finance's answer {option}")
        assert state == "success", life.diagnose("run_invoices", run_id, "approval")
        return state

    parked(run_id)
    assert not outbox.exists() or not list(outbox.glob("*.xml"))
    path = f"/api/v2/dags/run_invoices/dagRuns/{run_id}/taskInstances/approval/-1/hitlDetails"
    # what finance reads: every municipality with its amount, through the REST API as the UI shows it
    code, detail = life.stack.api("GET", path, life.token("ekonomi"))
    assert code == 200, (code, detail)
    body = detail["body"]
    table = [ln for ln in body.splitlines() if ln.startswith("| ") and "UTKAST-RUN-2025-" in ln]
    assert len(table) == 19 and all(re.search(r"\| \d[\d\u00a0]*\u00a0kr \|", ln) for ln in table), body
    assert "Östersund (2380)" in body and detail["options"] == ["Godkänn och skicka", "Avslå"]
    assert "skal" in (detail.get("params") or {}), detail.get("params")   # the form's reason field (Skäl)
    for who in ("forvaltare", "samordnare"):   # only finance (the role ekonomi) may answer
        code, resp = life.stack.api("PATCH", path, life.token(who), {"chosen_options": ["Godkänn och skicka"],
                                                                      "params_input": {"skal": None}})
        assert code == 403, (who, code, resp)
    # finance rejects with a reason: nothing is sent and no number is used
    answered(run_id, "Avslå", "Fel referens för Östersund")
    assert not outbox.exists() or not list(outbox.glob("*.xml"))
    # prepared again and approved: the first number of the series is still 0001
    life.trigger("run_invoices", {"year": 2025})
    again = life.new_run("run_invoices", states=("running",))["run_id"]
    parked(again)
    answered(again, "Godkänn och skicka", None)
    assert sorted(p.name for p in outbox.glob("*.xml")) == [f"RUN-2025-{i:04d}.xml" for i in range(1, 20)]
    from openpyxl import load_workbook

    sheet = load_workbook(out / "2025" / "invoices" / "fakturor_2025.xlsx").active
    head = [c.value for c in sheet[1]]
    rows = [dict(zip(head, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]
    numbers = [r["Nummer"] for r in rows if r["Nummer"]]
    assert numbers == [f"RUN-2025-{i:04d}" for i in range(1, 20)] and len(set(numbers)) == 19
    rejected = [r for r in rows if r["Status"] == "rejected"]
    assert len(rejected) == 19 and {r["Beslut"] for r in rejected} == {"Avslagen: Fel referens för Östersund"}
    assert all(r["Beslutat av"] for r in rows)
