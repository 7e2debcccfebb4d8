"""The annual report as data: plain frozen dataclasses, no I/O.

The builder (:mod:`runreport.report.build`) fills the domain parts (activities, goal matrix,
economy, data quality) from the warehouse and lays them out as :class:`Section` objects; the
renderer (:mod:`runreport.report.render_docx`) only turns sections into Word. Tests can build a
:class:`ReportContent` from literal values without a database.

Money is carried as :class:`~decimal.Decimal` in the domain parts and as ready formatted Swedish
strings (``925 000 kr``) in the tables; counts stay ``int`` and are formatted by the renderer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from runreport.carry_over import BalanceRow

if TYPE_CHECKING:
    from runreport.report.figures import Figures

Cell = str | int | float | Decimal | None

PLACEHOLDER_PREFIX = "[Text saknas: "


def placeholder_text(what: str) -> str:
    """The visible marker for a missing staff-written text."""
    return f"{PLACEHOLDER_PREFIX}{what}]"


# --- document building blocks ------------------------------------------------------------------


@dataclass(frozen=True)
class TextRun:
    text: str
    bold: bool = False


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of runs. ``style`` is ``"normal"``, ``"bullet"`` or ``"subtitle"``;
    ``placeholder`` marks a missing narrative text."""

    runs: tuple[TextRun, ...]
    style: str = "normal"
    placeholder: bool = False

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)

    @classmethod
    def of(cls, text: str, *, bold: bool = False, style: str = "normal",
           placeholder: bool = False) -> Paragraph:
        return cls((TextRun(text, bold),), style, placeholder)


@dataclass(frozen=True)
class Table:
    """A table: ``header`` is the (repeating) header row, ``rows`` the body, ``total`` an optional
    last row (e.g. ``Summa``). ``align`` holds ``"left"``/``"right"``/``"center"`` per column."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    align: tuple[str, ...] = ()
    total: tuple[Cell, ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.header)
        for row in (*self.rows, *((self.total,) if self.total else ())):
            if len(row) != n:
                raise ValueError(f"table {self.caption!r}: row {row!r} has {len(row)} cells, header {n}")
        if self.align and len(self.align) != n:
            raise ValueError(f"table {self.caption!r}: {len(self.align)} alignments for {n} columns")

    def alignment(self, col: int) -> str:
        return self.align[col] if self.align else "left"


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart: ``series`` is ``(label, value)`` in display order (top first)."""

    title: str
    series: tuple[tuple[str, int], ...]
    alt_text: str
    caption: str = ""
    value_label: str = "Antal deltagare"


Block = Paragraph | Table | Chart


@dataclass(frozen=True)
class Section:
    """A heading (``level`` 1–3) and its blocks in reading order."""

    heading: str
    level: int = 1
    blocks: tuple[Block, ...] = ()
    key: str = ""
    page_break_before: bool = False

    @property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Paragraph))

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Table))

    @property
    def charts(self) -> tuple[Chart, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Chart))

    @property
    def has_placeholder(self) -> bool:
        return any(p.placeholder for p in self.paragraphs)


# --- domain parts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionInfo:
    session_no: int
    session_date: date
    form: str
    place: str | None = None


@dataclass(frozen=True)
class QuestionSummary:
    """One Likert question: ``distribution`` holds the number of answers 1..5."""

    question: str
    distribution: tuple[int, int, int, int, int]

    @property
    def answered(self) -> int:
        return sum(self.distribution)

    @property
    def mean(self) -> float | None:
        n = self.answered
        if not n:
            return None
        return sum((i + 1) * c for i, c in enumerate(self.distribution)) / n


@dataclass(frozen=True)
class EvaluationSummary:
    responses: int
    participants: int
    questions: tuple[QuestionSummary, ...]

    @property
    def response_rate(self) -> float | None:
        """Answers per participant; None when there are more answers than participants (one could
        answer after each meeting): a rate above 100 % is not a response rate."""
        if not self.participants or self.responses > self.participants:
            return None
        return self.responses / self.participants


@dataclass(frozen=True)
class OrgCount:
    org_code: str
    name: str
    participants: int


@dataclass(frozen=True)
class ActivityReport:
    activity_code: str
    activity_name: str
    section: str
    target_group: str | None
    form: str | None
    term: str | None
    goals: tuple[str, ...]
    description: tuple[Paragraph, ...]
    description_missing: bool
    sessions: tuple[SessionInfo, ...]
    registered: int
    cancelled: int
    participants: int
    per_organisation: tuple[OrgCount, ...]
    evaluation: EvaluationSummary | None


@dataclass(frozen=True)
class ComparisonRow:
    activity_name: str
    participants: int
    previous: int | None  # None: the activity is new this year
    planned: bool = True              # in this year's action plan (False: only the year before)
    last_held: int | None = None      # not the year before: the last earlier year it was held, if any

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.participants - self.previous


@dataclass(frozen=True)
class GoalMatrix:
    """Activities × goals of the period. ``goals`` is ``(code, label)``; ``rows`` is
    ``(activity_name, codes served)``."""

    period: str
    goals: tuple[tuple[str, str], ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]
    term: str = "samverkansmål"                            # the period's own word: samverkansmål, samverkansområden
    described_as: str = "verksamhetsplanens samverkansmål"  # "… verksamhet 2025 inom <described_as>" ({network})


@dataclass(frozen=True)
class ContributionLine:
    municipality_code: str
    municipality_name: str
    population: int
    rate_sek: Decimal
    months: int
    amount_sek: Decimal


@dataclass(frozen=True)
class BudgetLine:
    section: str
    activity_code: str
    activity_name: str
    municipal_budget_sek: Decimal
    external_funder: str | None
    external_budget_sek: Decimal | None
    outcome_sek: Decimal
    external_income_sek: Decimal = Decimal(0)   # external income booked on the activity

    @property
    def outcome_external_sek(self) -> Decimal:
        """The part of the outcome external money paid: the activity's external income, at most its
        costs (money-rules: external income pays an activity's own costs first)."""
        return max(Decimal(0), min(self.external_income_sek, self.outcome_sek))

    @property
    def outcome_municipal_sek(self) -> Decimal:
        """The rest of the outcome: paid from the municipalities' money."""
        return self.outcome_sek - self.outcome_external_sek


@dataclass(frozen=True)
class Economy:
    contributions: tuple[ContributionLine, ...]
    in_kind_text: str
    budget: tuple[BudgetLine, ...]
    balance: BalanceRow | None       # the year's link of the balance chain (runreport.carry_over)

    @property
    def contribution_total_sek(self) -> Decimal:
        return sum((c.amount_sek for c in self.contributions), Decimal(0))

    @property
    def budget_total_sek(self) -> Decimal:
        return sum((b.municipal_budget_sek for b in self.budget), Decimal(0))

    @property
    def external_budget_total_sek(self) -> Decimal:
        return sum((b.external_budget_sek or Decimal(0) for b in self.budget), Decimal(0))

    @property
    def outcome_total_sek(self) -> Decimal:
        return sum((b.outcome_sek for b in self.budget), Decimal(0))

    def section_sums(self) -> tuple[tuple[str, Decimal, Decimal, Decimal, Decimal], ...]:
        """``(section, municipal budget, external budget, outcome kommun, outcome extern)`` in
        first-seen order."""
        order: list[str] = []
        sums: dict[str, list[Decimal]] = {}
        for b in self.budget:
            if b.section not in sums:
                order.append(b.section)
                sums[b.section] = [Decimal(0)] * 4
            s = sums[b.section]
            s[0] += b.municipal_budget_sek
            s[1] += b.external_budget_sek or Decimal(0)
            s[2] += b.outcome_municipal_sek
            s[3] += b.outcome_external_sek
        return tuple((name, *sums[name]) for name in order)  # type: ignore[misc]


@dataclass(frozen=True)
class QuarantineReason:
    source: str
    reason: str
    rows: int


@dataclass(frozen=True)
class SourceQuality:
    source: str
    files: int
    rows_in: int
    rows_loaded: int
    rows_quarantined: int


@dataclass(frozen=True)
class DataQuality:
    sources: tuple[SourceQuality, ...]
    reasons: tuple[QuarantineReason, ...]

    @property
    def quarantined_total(self) -> int:
        return sum(r.rows for r in self.reasons)


# --- the whole report --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportContent:
    title: str
    year: int
    network_name: str
    host_university: str
    report_date: date
    sections: tuple[Section, ...]
    subject: str = ""
    language: str = "sv-SE"
    activities: tuple[ActivityReport, ...] = ()
    comparison: tuple[ComparisonRow, ...] = ()
    goal_matrix: GoalMatrix | None = None
    economy: Economy | None = None
    data_quality: DataQuality | None = None
    figures: Figures | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)
    # Not empty: the year lacks required sources (runreport.completeness); the document is a draft
    # marked UTKAST on every page and lists these gaps up front.
    draft_gaps: tuple[str, ...] = ()

    def section(self, heading: str) -> Section:
        for s in self.sections:
            if s.heading == heading:
                return s
        raise KeyError(heading)

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(self)


def _to_plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"_type": type(value).__name__} if isinstance(value, Paragraph | Table | Chart) else {}
        for f in fields(value):
            out[f.name] = _to_plain(getattr(value, f.name))
        if isinstance(value, BalanceRow):
            out["closing_sek"] = _to_plain(value.closing_sek)   # computed, and what the report prints
        return out
    if isinstance(value, tuple | list):
        return [_to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_plain(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
