"""Write validated rows into the warehouse, one file per transaction, idempotently.

- A file whose checksum is already logged is a no-op.
- A corrected file for the same slot deletes the rows of the file it replaces (the log keeps both,
  the old one with status ``replaced``).
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from runreport.quality import RowIssue
from runreport.schema import SOURCES
from runreport.warehouse import models as m

_MODELS = {mapper.class_.__tablename__: mapper.class_ for mapper in m.Base.registry.mappers}
TABLES = {name: _MODELS[s.table] for name, s in SOURCES.items()}   # source -> its warehouse model
MONEY = {"rate_sek", "municipal_budget_sek", "external_budget_sek", "amount_sek"}
CHUNK = 20_000  # rows per executemany / COPY


def active_file_in_slot(session: Session, tenant: str, slot: str) -> m.IngestedFile | None:
    return session.scalars(
        select(m.IngestedFile).where(m.IngestedFile.tenant == tenant, m.IngestedFile.slot == slot,
                                     m.IngestedFile.status == "loaded")
    ).first()


def already_ingested(session: Session, tenant: str, checksum: str) -> m.IngestedFile | None:
    return session.scalars(
        select(m.IngestedFile).where(m.IngestedFile.tenant == tenant, m.IngestedFile.checksum == checksum)
    ).first()


_ORE = Decimal("0.01")


def _money(value) -> Decimal:
    """An amount for a money column: a ``Decimal`` (or a whole number) as it is, to the öre. A float
    is refused: it would already have changed the amount (470 000 stored as 469 999.99999999994)."""
    if isinstance(value, Decimal):
        return value.quantize(_ORE)
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return Decimal(int(value)).quantize(_ORE)
    raise TypeError(f"an amount reached the warehouse as {type(value).__name__}, not Decimal: {value!r}")


def _column(values: pd.Series, money: bool) -> list:
    """One frame column as a list of Python values for the warehouse, converted in one pass:
    missing (None, NaN, NA, NaT) -> None; money -> ``Decimal`` with two decimals, from the parser's
    ``Decimal`` (no float on the way); numpy/pandas scalars -> their Python equivalent (int, float, bool)."""
    missing = values.isna().to_numpy(dtype=bool)
    if money:
        return [None if gone else _money(v) for v, gone in zip(values.to_numpy(dtype=object), missing, strict=True)]
    arr = values.to_numpy(dtype=object)  # numeric numpy and masked (Int64, ...) dtypes box to Python scalars
    if missing.any():
        arr = arr.copy()
        arr[missing] = None
    out = arr.tolist()
    if values.dtype == object and any(hasattr(t, "item") for t in set(map(type, out)) - {str}):
        out = [v.item() if hasattr(v, "item") else v for v in out]  # numpy scalars in an object column
    return out


def table_columns(source: str, frame: pd.DataFrame) -> dict[str, list]:
    """The frame's values for the source's table, column by column (equal-length lists): the table's
    columns that the frame holds (``_row`` is ``source_row``), without the ones the load adds
    (tenant, file, year)."""
    cols = [c.name for c in TABLES[source].__table__.columns if c.name not in ("id", "tenant", "file_id")]
    frame = frame.rename(columns={"_row": "source_row"})
    return {c: _column(frame[c], c in MONEY) for c in cols if c in frame.columns}


def row_count(columns: dict[str, list]) -> int:
    """How many rows :func:`table_columns` holds (every column has one value per row)."""
    return len(next(iter(columns.values()), []))


def _columns(source: str, columns: dict[str, list], tenant: str, year: int | None, file_id: int) -> dict[str, list]:
    """The values to insert for the source's table, column by column (equal-length lists)."""
    cols = [c.name for c in TABLES[source].__table__.columns if c.name != "id"]
    columns = dict(columns)
    n = row_count(columns)
    columns["tenant"] = [tenant] * n
    columns["file_id"] = [file_id] * n
    if "year" in cols and source not in ("population",):
        columns["year"] = [year] * n
    return columns


def _csv_field(kind: str, values: list) -> list[str] | None:
    """``values`` as PostgreSQL COPY CSV fields (None -> unquoted empty = NULL), or None when a value
    is not of the exact Python type the plain text form is known to be equivalent for."""
    types = set(map(type, values)) - {type(None)}
    if kind == "int" and types <= {int}:
        return ["" if v is None else str(v) for v in values]
    if kind == "money" and types <= {Decimal}:
        return ["" if v is None else str(v) for v in values]
    if kind == "date" and types <= {date}:
        return ["" if v is None else v.isoformat() for v in values]
    if kind == "text" and types <= {str}:
        blob = "\n".join(v for v in values if v is not None)
        if "\x00" in blob or "\n\\." in blob or "\r\\." in blob:
            return None  # NUL, or (maybe) a line starting with the end-of-data marker inside a value
        return ["" if v is None else '"' + v.replace('"', '""') + '"' for v in values]
    return None


def _copy_postgresql(conn: Connection, table: Table, columns: dict[str, list]) -> bool:
    """Insert with COPY FROM STDIN (CSV) on the connection's psycopg2 cursor, in its transaction.
    Returns False, having done nothing, when COPY does not apply (another driver, or a value whose
    text form is not certainly equivalent to the bound parameter); the caller then uses INSERT."""
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg2":
        return False
    fields = []
    for name, values in columns.items():
        t = table.c[name].type
        kind = ("int" if isinstance(t, Integer) else "money" if isinstance(t, Numeric) and not isinstance(t, Float)
                else "date" if isinstance(t, Date) and not isinstance(t, DateTime)
                else "text" if isinstance(t, String) else None)
        f = _csv_field(kind, values) if kind else None
        if f is None:
            return False
        fields.append(f)
    names = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns)
    sql = f"COPY {conn.dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN WITH (FORMAT csv)"
    cursor = conn.connection.cursor()
    try:
        for start in range(0, len(fields[0]), CHUNK):
            rows = zip(*(f[start:start + CHUNK] for f in fields), strict=True)
            cursor.copy_expert(sql, io.StringIO("".join(",".join(r) + "\n" for r in rows)))
    finally:
        cursor.close()
    return True


def _insert_rows(session: Session, source: str, rows: dict[str, list], tenant: str, year: int | None,
                 file_id: int) -> None:
    """Insert the rows (:func:`table_columns`) on the session's connection (same transaction), without
    per-row ORM bookkeeping: COPY on PostgreSQL/psycopg2 when it applies, else Core executemany in
    chunks (on PostgreSQL that is batched into multi-row INSERTs by SQLAlchemy's "insertmanyvalues")."""
    conn, table = session.connection(), TABLES[source].__table__
    columns = _columns(source, rows, tenant, year, file_id)
    if _copy_postgresql(conn, table, columns):
        return
    keys = list(columns)
    records = [dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    stmt = table.insert()
    for start in range(0, len(records), CHUNK):
        conn.execute(stmt, records[start:start + CHUNK])


def load_file(session: Session, *, tenant: str, source: str, file_name: str, slot: str, year: int | None,
              checksum: str, size_bytes: int, rows_in: int, frame: pd.DataFrame | None = None,
              issues: list[RowIssue], raw_rows: dict[int, dict], status: str = "loaded",
              message: str | None = None, checks: list | None = None,
              rows: dict[str, list] | None = None) -> m.IngestedFile:
    """Log the file, replace the slot's earlier rows, insert the valid rows and the quarantine. The
    valid rows are ``rows`` (:func:`table_columns`, as validate staged them) or a typed ``frame``."""
    previous = active_file_in_slot(session, tenant, slot) if status == "loaded" else None
    bad_rows = {i.row for i in issues if i.row}
    if rows is None and frame is not None:
        rows = table_columns(source, frame)
    n_rows = 0 if rows is None else row_count(rows)
    rows_quarantined = rows_in - n_rows
    log = m.IngestedFile(
        tenant=tenant, source=source, file_name=file_name, slot=slot, year=year, checksum=checksum,
        size_bytes=size_bytes, status=status, rows_in=rows_in,
        rows_loaded=n_rows, rows_quarantined=rows_quarantined,
        message=message, ingested_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0),   # naive UTC
        checks=json.dumps([asdict(c) if is_dataclass(c) else dict(c) for c in checks], ensure_ascii=False)
        if checks else None,
    )
    session.add(log)
    session.flush()
    if previous is not None:
        for model in TABLES.values():
            session.execute(delete(model).where(model.file_id == previous.id))
        session.execute(update(m.IngestedFile).where(m.IngestedFile.id == previous.id)
                        .values(status="replaced", replaced_by_id=log.id))
    if n_rows:
        _insert_rows(session, source, rows, tenant, year, log.id)
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
