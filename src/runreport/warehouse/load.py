"""Write validated rows into the warehouse, one file per transaction, idempotently.

- A file whose checksum is already logged is a no-op.
- A corrected file for the same slot deletes the rows of the file it replaces (the log keeps both,
  the old one with status ``replaced``).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pandas as pd
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from runreport.quality import RowIssue
from runreport.warehouse import models as m

TABLES = {
    "members": m.Member,
    "agreements": m.AgreementRate,
    "population": m.Population,
    "budget": m.Activity,
    "sessions": m.ActivitySession,
    "registrations": m.Registration,
    "evaluations": m.Evaluation,
    "ledger": m.LedgerLine,
}
MONEY = {"rate_sek", "municipal_budget_sek", "external_budget_sek", "amount_sek"}


def active_file_in_slot(session: Session, tenant: str, slot: str) -> m.IngestedFile | None:
    return session.scalars(
        select(m.IngestedFile).where(m.IngestedFile.tenant == tenant, m.IngestedFile.slot == slot,
                                     m.IngestedFile.status == "loaded")
    ).first()


def already_ingested(session: Session, tenant: str, checksum: str) -> m.IngestedFile | None:
    return session.scalars(
        select(m.IngestedFile).where(m.IngestedFile.tenant == tenant, m.IngestedFile.checksum == checksum)
    ).first()


def _records(source: str, frame: pd.DataFrame, tenant: str, year: int | None, file_id: int) -> list[dict]:
    model = TABLES[source]
    cols = [c.name for c in model.__table__.columns if c.name not in ("id",)]
    records = []
    frame = frame.rename(columns={"_row": "source_row"})
    use = [c for c in cols if c in frame.columns]
    for rec in frame[use].to_dict("records"):
        out = {}
        for k, v in rec.items():
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                out[k] = None
            elif k in MONEY:
                out[k] = Decimal(f"{float(v):.2f}")
            elif hasattr(v, "item"):
                out[k] = v.item()
            else:
                out[k] = v
        out["tenant"] = tenant
        out["file_id"] = file_id
        if "year" in cols and source not in ("population",):
            out["year"] = year
        records.append(out)
    return records


def load_file(session: Session, *, tenant: str, source: str, file_name: str, slot: str, year: int | None,
              checksum: str, size_bytes: int, rows_in: int, frame: pd.DataFrame | None,
              issues: list[RowIssue], raw_rows: dict[int, dict], status: str = "loaded",
              message: str | None = None) -> m.IngestedFile:
    """Log the file, replace the slot's earlier rows, insert the valid rows and the quarantine."""
    previous = active_file_in_slot(session, tenant, slot) if status == "loaded" else None
    bad_rows = {i.row for i in issues if i.row}
    rows_quarantined = rows_in - (0 if frame is None else len(frame))
    log = m.IngestedFile(
        tenant=tenant, source=source, file_name=file_name, slot=slot, year=year, checksum=checksum,
        size_bytes=size_bytes, status=status, rows_in=rows_in,
        rows_loaded=0 if frame is None else len(frame), rows_quarantined=rows_quarantined,
        message=message, ingested_at=datetime.now().replace(microsecond=0),
    )
    session.add(log)
    session.flush()
    if previous is not None:
        for model in TABLES.values():
            session.execute(delete(model).where(model.file_id == previous.id))
        session.execute(update(m.IngestedFile).where(m.IngestedFile.id == previous.id)
                        .values(status="replaced", replaced_by_id=log.id))
    if frame is not None and len(frame):
        records = _records(source, frame, tenant, year, log.id)
        for start in range(0, len(records), 20_000):
            session.execute(insert(TABLES[source]), records[start:start + 20_000])
    q = [
        {"tenant": tenant, "file_id": log.id, "source": source, "file_name": file_name, "row_number": i.row,
         "field": i.field, "rule": i.rule, "reason_sv": i.reason_sv, "reason_en": i.reason_en,
         "raw": json.dumps(raw_rows.get(i.row), ensure_ascii=False, default=str) if i.row in raw_rows else None}
        for i in issues
    ]
    if q:
        session.execute(insert(m.QuarantinedRow), q)
    assert log.rows_in == log.rows_loaded + log.rows_quarantined, "row accounting"
    assert len(bad_rows) <= max(rows_quarantined, 0) or status != "loaded"
    return log
