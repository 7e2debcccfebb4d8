"""The bad-input corpus (``tests/data/bad/``): one folder per case with the file(s) and an
``expected.yaml``; ``_reference/`` holds the members, agreements, action plan (budget) and population
every case is validated against (ingest it first). See ``docs/bad-input-corpus.md``.

``expected.yaml``::

    source: registrations
    description: …
    decision: …                 # optional: a documented choice (e.g. formula cells)
    generate: {kind, bytes, name}   # optional: the file is generated at test time (100 MB case)
    files:                      # in drop order; ``drop`` (default 1) = the pipeline run it is dropped in
      - name: anmalningar_2025.csv
        status: loaded | rejected | held | unchanged | set_aside | copy
        place: registrations/2025/x.csv   # optional: where in the inbox (default <source>/<name>)
        entry: "2025"           # optional: the name the run's summary lists (a set-aside folder)
        rows_in: 30             # "generated" for generated files
        rows_loaded: 29
        rows_quarantined: 1
        reason_keyword: Okänd   # found (case-insensitively) in the rejection message, a reason or a rule
        literal_values: [...]   # optional: free-text values that must load unchanged
        amount_sum: '12345.50'  # optional (ledger): the loaded amounts' exact sum

A held file (a plausibility finding: a steward accepts it or the partner corrects it) loads nothing and
counts its rows as quarantined until then, like a rejected one. The invariant for every file read: ``rows_in == rows_loaded + rows_quarantined``; every
other entry of the inbox is listed in the run's summary as set aside (with its reason) or as a copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

BAD_DIR = Path(__file__).resolve().parent / "data" / "bad"
REFERENCE_DIR = BAD_DIR / "_reference"
YEAR = 2025

# reference file -> source, in the order to ingest them
REFERENCE_FILES = {
    "medlemmar.csv": "members",
    "avtal.csv": "agreements",
    "BE0101_folkmangd.csv": "population",
    "handlingsplan_2025.csv": "budget",
}


@dataclass
class ExpectedFile:
    name: str
    status: str
    drop: int = 1
    rows_in: int | str | None = None
    rows_loaded: int | str | None = None
    rows_quarantined: int | None = None
    reason_keyword: str | None = None
    literal_values: list[str] = field(default_factory=list)
    amount_sum: str | None = None     # ledger: the sum of the loaded amounts, exactly
    place: str | None = None          # where it goes in the inbox (default ``<source>/<file name>``)
    entry: str | None = None          # the name the run's summary lists (default the file name)

    @property
    def summary_name(self) -> str:
        return self.entry or self.file_name

    @property
    def file_name(self) -> str:
        """The name without the drop folder (``drop2/x.csv`` -> ``x.csv``)."""
        return Path(self.name).name


@dataclass
class Case:
    id: str
    path: Path
    source: str
    description: str
    files: list[ExpectedFile]
    decision: str | None = None
    generate: dict | None = None

    def file_path(self, f: ExpectedFile) -> Path:
        return self.path / f.name

    @property
    def drops(self) -> list[list[ExpectedFile]]:
        n = max((f.drop for f in self.files), default=1)
        return [[f for f in self.files if f.drop == d] for d in range(1, n + 1)]

    def materialise(self, tmp_dir: Path) -> None:
        """Generate the files this case does not commit (the 100 MB file) into ``tmp_dir``,
        filling in the generated row counts; afterwards ``file_path`` points there."""
        if not self.generate:
            return
        target = Path(tmp_dir) / self.generate["name"]
        rows = generate_large_ledger(target, int(self.generate["bytes"]))
        self.path = Path(tmp_dir)
        for f in self.files:
            if f.rows_in == "generated":
                f.rows_in = rows
            if f.rows_loaded == "generated":
                f.rows_loaded = rows


def _case(path: Path) -> Case:
    data = yaml.safe_load((path / "expected.yaml").read_text(encoding="utf-8"))
    files = [ExpectedFile(**f) for f in data["files"]]
    return Case(path.name, path, data["source"], data.get("description", ""), files, data.get("decision"),
                data.get("generate"))


def cases() -> list[Case]:
    """Every case of the corpus, sorted by id (folders starting with ``_`` are not cases)."""
    return [_case(p) for p in sorted(BAD_DIR.iterdir()) if p.is_dir() and not p.name.startswith("_")]


def case_ids() -> list[str]:
    return [c.id for c in cases()]


def reference_files() -> list[tuple[str, Path]]:
    """(source, path) of the reference data, in ingest order."""
    return [(src, REFERENCE_DIR / name) for name, src in REFERENCE_FILES.items()]


def validation_context():
    """The ValidationContext the reference data amounts to (for validating a case without the
    warehouse): 2025, Bräcke (2305) not a member that year, partners from config/organisations.yaml."""
    import csv

    from runreport.quality import ValidationContext

    with (REFERENCE_DIR / "medlemmar.csv").open(encoding="utf-8") as fh:
        members = list(csv.DictReader(fh, delimiter=";"))
    with (REFERENCE_DIR / "handlingsplan_2025.csv").open(encoding="utf-8") as fh:
        activities = {r["Aktivitetskod"] for r in csv.DictReader(fh, delimiter=";")}
    current = {m["Kommunkod"] for m in members if not m["Giltig till"] or m["Giltig till"] >= f"{YEAR}-01-01"}
    try:
        from runreport.ingest.organisations import load_partners

        partners = set(load_partners())
    except Exception:  # noqa: BLE001 - the corpus helper works without the ingest package
        partners = {"SPSM", "RJH", "KFV", "JGY", "FRIST", "MIUN"}
    return ValidationContext(tenant="RUN", year=YEAR, member_codes=current,
                             known_municipalities={m["Kommunkod"] for m in members}, partner_codes=partners,
                             activity_codes=activities, budget_activity_codes=activities)


LEDGER_HEADING = "Ver.nr;Rad;Bokföringsdatum;Konto;Projekt;Motpart;Belopp;Text\r\n"


def generate_large_ledger(path: Path, target_bytes: int = 100_000_000) -> int:
    """Write a valid ledger CSV of about ``target_bytes`` (streamed in chunks, cp1252 like the
    finance export); returns the number of data rows. Never commit the result."""
    path.parent.mkdir(parents=True, exist_ok=True)
    codes = ["A-2025-01", "A-2025-02", "A-2025-03", "A-2025-04", "ORG-2025"]
    rows = 0
    written = 0
    with path.open("wb") as fh:
        head = LEDGER_HEADING.encode("cp1252")
        fh.write(head)
        written += len(head)
        while written < target_bytes:
            chunk = []
            for _ in range(10_000):
                i = rows
                chunk.append(f"V{100000 + i // 4};{1 + i % 4};2025-{1 + i % 12:02d}-{1 + i % 28:02d};"
                             f"{4010 + (i % 5) * 100};{codes[i % 5]};Leverantör {i % 97};"
                             + f"{((i % 90) + 1) * 1000 + (i * 7) % 1000:,}".replace(",", " ")   # 12 345,67: within the budgets
                             + f",{i % 100:02d};"
                             f"Kostnad för träff, rad {i}\r\n")
                rows += 1
            data = "".join(chunk).encode("cp1252")
            fh.write(data)
            written += len(data)
    return rows
