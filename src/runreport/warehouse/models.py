"""Warehouse tables. Every table carries ``tenant`` (the regional network) and, where it
belongs to one, the reporting ``year``. Personal data is never stored: registrations keep a
keyed pseudonym (``person_key``) instead of name and e-mail.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Money = Numeric(14, 2)


class Base(DeclarativeBase):
    pass


class Keyed:
    """``id`` and ``tenant`` (the regional network): the first columns of every table."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-3)
    tenant: Mapped[str] = mapped_column(String(40), sort_order=-2)


class OfYear(Keyed):
    """A row of one reporting ``year``."""

    year: Mapped[int] = mapped_column(Integer, sort_order=-1)


class FromFile:
    """A row loaded from a partner's file: deleted with the file's log entry (a corrected file)."""

    file_id: Mapped[int] = mapped_column(ForeignKey("ingested_file.id", ondelete="CASCADE"), index=True,
                                         sort_order=1)


class FromFileRow(FromFile):
    """... and the row of that file it came from (for the stewards' questions)."""

    source_row: Mapped[int] = mapped_column(Integer, sort_order=2)


class IngestedFile(Keyed, Base):
    """The log of ingested files, keyed by checksum. A file dropped again is a no-op; a corrected
    file for the same slot (source, tenant, file name without version suffix) replaces the rows of
    the earlier one, whose log entry stays with status ``replaced``."""

    __tablename__ = "ingested_file"
    __table_args__ = (UniqueConstraint("tenant", "checksum", name="uq_ingested_file_checksum"),)

    source: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(400))
    slot: Mapped[str] = mapped_column(String(400), index=True)
    year: Mapped[int | None] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # loaded, replaced, rejected
    rows_in: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    ingested_at: Mapped[datetime] = mapped_column(DateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("ingested_file.id"))
    checks: Mapped[str | None] = mapped_column(Text)   # JSON: quality.CheckResult of each check (own words only)


class QuarantinedRow(Keyed, Base):
    """A rejected row (or a whole rejected file, row_number 0) with its reason in Swedish and English.
    ``raw`` holds the row as JSON with personal fields removed."""

    __tablename__ = "quarantined_row"

    file_id: Mapped[int] = mapped_column(ForeignKey("ingested_file.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(400))
    row_number: Mapped[int] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(80))
    rule: Mapped[str] = mapped_column(String(80))
    reason_sv: Mapped[str] = mapped_column(Text)
    reason_en: Mapped[str] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)


class Member(Keyed, FromFile, Base):
    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("tenant", "municipality_code", "valid_from"),)

    municipality_code: Mapped[str] = mapped_column(String(4))
    municipality_name: Mapped[str] = mapped_column(String(80))
    county: Mapped[str] = mapped_column(String(80))
    subnetwork: Mapped[str] = mapped_column(String(40))
    org_number: Mapped[str] = mapped_column(String(10))
    buyer_reference: Mapped[str] = mapped_column(String(80))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class AgreementRate(Keyed, FromFile, Base):
    __tablename__ = "agreement_rate"
    __table_args__ = (UniqueConstraint("tenant", "year_from"),)

    year_from: Mapped[int] = mapped_column(Integer)
    year_to: Mapped[int] = mapped_column(Integer)
    rate_sek: Mapped[Decimal] = mapped_column(Money)


class Population(Keyed, FromFile, Base):
    __tablename__ = "population"
    __table_args__ = (UniqueConstraint("tenant", "municipality_code", "year"),)

    municipality_code: Mapped[str] = mapped_column(String(4))
    year: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)


class Activity(OfYear, FromFile, Base):
    """An activity of the year's action plan (handlingsplan) with its budget."""

    __tablename__ = "activity"
    __table_args__ = (UniqueConstraint("tenant", "year", "activity_code"),)

    activity_code: Mapped[str] = mapped_column(String(40))
    activity_name: Mapped[str] = mapped_column(String(200))
    section: Mapped[str] = mapped_column(String(40))
    target_group: Mapped[str | None] = mapped_column(Text)
    form: Mapped[str | None] = mapped_column(String(10))
    goals: Mapped[str | None] = mapped_column(String(40))
    term: Mapped[str | None] = mapped_column(String(20))
    municipal_budget_sek: Mapped[Decimal] = mapped_column(Money)
    external_funder: Mapped[str | None] = mapped_column(String(80))
    external_budget_sek: Mapped[Decimal | None] = mapped_column(Money)


class ActivitySession(OfYear, FromFile, Base):
    """A session (träff) of an activity."""

    __tablename__ = "activity_session"
    __table_args__ = (UniqueConstraint("tenant", "year", "activity_code", "session_no"),)

    activity_code: Mapped[str] = mapped_column(String(40))
    session_no: Mapped[int] = mapped_column(Integer)
    session_date: Mapped[date] = mapped_column(Date)
    form: Mapped[str] = mapped_column(String(10))
    place: Mapped[str | None] = mapped_column(String(80))
    seats: Mapped[int | None] = mapped_column(Integer)


class Registration(OfYear, FromFileRow, Base):
    """A registration (anmälan), pseudonymised: ``person_key`` replaces name and e-mail."""

    __tablename__ = "registration"
    __table_args__ = (
        UniqueConstraint("tenant", "year", "activity_code", "person_key"),
        Index("ix_registration_year", "tenant", "year", "activity_code"),
    )

    activity_code: Mapped[str] = mapped_column(String(40))
    person_key: Mapped[str] = mapped_column(String(64))
    org_code: Mapped[str] = mapped_column(String(20))
    role: Mapped[str | None] = mapped_column(String(80))
    registration_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))


class Evaluation(OfYear, FromFileRow, Base):
    """A survey response (utvärdering)."""

    __tablename__ = "evaluation"
    __table_args__ = (
        UniqueConstraint("tenant", "year", "response_id"),
        Index("ix_evaluation_year", "tenant", "year", "activity_code"),
    )

    response_id: Mapped[str] = mapped_column(String(60))
    activity_code: Mapped[str] = mapped_column(String(40))
    session_no: Mapped[int | None] = mapped_column(Integer)
    org_code: Mapped[str] = mapped_column(String(20))
    role: Mapped[str | None] = mapped_column(String(80))
    q_overall: Mapped[int] = mapped_column(Integer)
    q_relevance: Mapped[int] = mapped_column(Integer)
    q_apply: Mapped[int] = mapped_column(Integer)
    free_text: Mapped[str | None] = mapped_column(Text)
    submitted_date: Mapped[date] = mapped_column(Date)


class LedgerLine(OfYear, FromFile, Base):
    """A ledger line from the university's finance system: costs positive, income negative."""

    __tablename__ = "ledger_line"
    __table_args__ = (
        UniqueConstraint("tenant", "year", "voucher_no", "line_no"),
        Index("ix_ledger_year", "tenant", "year", "activity_code"),
    )

    voucher_no: Mapped[str] = mapped_column(String(40))
    line_no: Mapped[int] = mapped_column(Integer)
    booking_date: Mapped[date] = mapped_column(Date)
    account: Mapped[str] = mapped_column(String(4))
    activity_code: Mapped[str] = mapped_column(String(40))
    counterparty: Mapped[str | None] = mapped_column(String(200))
    amount_sek: Mapped[Decimal] = mapped_column(Money)
    text: Mapped[str | None] = mapped_column(Text)


class Contribution(OfYear, Base):
    """A member municipality's contribution (kommunbidrag) for a year: rate × inhabitants × months/12,
    rounded once to whole kronor."""

    __tablename__ = "contribution"
    __table_args__ = (UniqueConstraint("tenant", "year", "municipality_code"),)

    municipality_code: Mapped[str] = mapped_column(String(4))
    population: Mapped[int] = mapped_column(Integer)
    population_year: Mapped[int] = mapped_column(Integer)
    rate_sek: Mapped[Decimal] = mapped_column(Money)
    months: Mapped[int] = mapped_column(Integer)
    amount_sek: Mapped[int] = mapped_column(Integer)


class Balance(OfYear, Base):
    """The year's balance chain: opening (carried over) + contributions + external income − costs
    = closing, which is next year's opening (överskjutande medel)."""

    __tablename__ = "balance"
    __table_args__ = (UniqueConstraint("tenant", "year"),)

    opening_sek: Mapped[Decimal] = mapped_column(Money)
    contributions_sek: Mapped[Decimal] = mapped_column(Money)
    external_income_sek: Mapped[Decimal] = mapped_column(Money)
    costs_sek: Mapped[Decimal] = mapped_column(Money)
    closing_sek: Mapped[Decimal] = mapped_column(Money)


class RegistrantName(Base):
    """The keyed digest of a registrant's whole name (``privacy.name_digest``), never the name: lets
    every process mask the names of a network's registrants wherever they appear."""

    __tablename__ = "registrant_name"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)


class StagedFile(Keyed, Base):
    """What one task of a run hands the next, kept in the warehouse so that any worker on any host
    can run any task (never a worker's local disk): the files one run (``run_key``, see
    ``staging.run_key``) collected for (tenant, reporting year), in the order they are checked, and,
    once validated, each file's decision as JSON (status, row counts, issues, the masked values of
    quarantined rows, the reference the file was parsed against). Deleted when the run ends
    (``staging.clear``)."""

    __tablename__ = "staged_file"
    __table_args__ = (UniqueConstraint("tenant", "run_year", "run_key", "file_name", "source",
                                       name="uq_staged_file_run"),)

    run_year: Mapped[int] = mapped_column(Integer)
    # <dag_id>/<run_id>: Airflow allows 250 characters for each
    run_key: Mapped[str] = mapped_column(String(510), default="manual", server_default="manual")
    staged_at: Mapped[datetime | None] = mapped_column(DateTime)   # naive UTC, when collect wrote the entry
    position: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(400))
    year: Mapped[int | None] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    slot: Mapped[str] = mapped_column(String(400))
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))   # new, unchanged, copy (same bytes as an earlier file)
    copy_of: Mapped[str | None] = mapped_column(String(400))
    decision: Mapped[str | None] = mapped_column(Text)   # JSON, set by the validate step
    # the rows validate accepted, as the warehouse will hold them (warehouse/staged_rows.py); cleared by load
    accepted_rows: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)   # read only by load
