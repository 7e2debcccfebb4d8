"""Row-level findings shared by parsing and validation: what is wrong, where, in two languages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CheckResult:
    """How one check of a file's suite went, for the stewards' per-file page: the check in Swedish
    (``validation/descriptions.py``), its field's heading, whether a failure rejects the file, and
    how many rows failed (GX's ``unexpected_count``; None for a check of the whole file)."""

    description: str
    field: str
    critical: bool
    success: bool
    failed_rows: int | None = None


@dataclass(frozen=True)
class RowIssue:
    """One finding about one row. ``row`` is the row as a spreadsheet shows the file (the heading row
    of a plain CSV is row 1); 0 means the whole file."""

    row: int
    field: str | None
    rule: str
    reason_sv: str
    reason_en: str
    critical: bool = False

    def message(self, file_name: str, source: str | None = None) -> str:
        """``<file>[, rad n][, kolumn <heading>]: <sv> / <en>``; with ``source`` the column is named by
        the partner's heading (Belopp), else by the field."""
        where = f"{file_name}, rad {self.row}" if self.row else file_name
        if self.field:
            from runreport.validation.descriptions import field_label

            where += f", kolumn {field_label(source, self.field) if source else self.field}"
        return f"{where}: {self.reason_sv} / {self.reason_en}"


@dataclass
class ValidationContext:
    """What a source is validated against: the reporting year and the reference data of that year."""

    tenant: str
    year: int | None
    member_codes: set[str] = field(default_factory=set)       # municipalities that are members that year
    known_municipalities: set[str] = field(default_factory=set)  # all municipality codes we know of
    partner_codes: set[str] = field(default_factory=set)      # SPSM, RJH, … (config/organisations.yaml)
    activity_codes: set[str] = field(default_factory=set)     # activities of the year's action plan
    budget_activity_codes: set[str] = field(default_factory=set)


class SourceRejected(Exception):
    """A source failed a critical expectation or exceeded the rejected-share threshold.

    ``files``: one dict per rejected file (file_name, source, source_sv, year, checksum, reason in
    Swedish) for the stewards' notice."""

    def __init__(self, message: str, files: list[dict] | None = None) -> None:
        super().__init__(message)
        self.files = list(files or [])
