"""Canonical fields per partner source: the data contract in code.

Partner headings are mapped onto these names by ``config/mappings.yaml``; the
human-readable contract is ``docs/data-contract.md``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # str, int, decimal, date, municipality, organisation
    required: bool = True
    personal: bool = False  # personal data: pseudonymised at ingest, never stored
    description: str = ""


@dataclass(frozen=True)
class Source:
    """Everything the pipeline knows about one kind of partner file, in one record that every step
    reads (collect, validate, load, the stewards' pages): its fields, key, file pattern, the phase it
    is checked in (reference data first), whether its files are per year, its warehouse table and
    its Swedish name. The order of :data:`SOURCES` is the order files are collected and checked."""

    name: str
    file_pattern: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]  # uniqueness within a file
    description: str = ""
    label_sv: str = ""             # what stewards and partners call it
    phase: int = 2                 # checked after every source of a lower phase (it is checked against them)
    yearless: bool = False         # one file covers many years (no year in its name)
    table: str = ""                # warehouse table (runreport.warehouse.models)
    date_in_year: str | None = None  # a date field that must fall within the reporting year

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            "members",
            "members*.csv|members*.xlsx|medlemmar*",
            (
                Field("municipality_code", "str", description="SCB municipality code, 4 digits"),
                Field("municipality_name", "str", description="Municipality name"),
                Field("county", "str", description="County (län)"),
                Field("subnetwork", "str", description="RUN sub-network: västra or östra"),
                Field("org_number", "str", description="Organisation number, 10 digits, Luhn"),
                Field("buyer_reference", "str", description="The municipality's invoice reference"),
                Field("valid_from", "date", description="Membership valid from"),
                Field("valid_to", "date", required=False, description="Membership valid to (empty: open)"),
            ),
            key=("municipality_code", "valid_from"),
            description="Members and agreement periods (RUN office)",
            label_sv="Medlemmar", phase=0, yearless=True, table="member",
        ),
        Source(
            "agreements",
            "agreements*|avtal*",
            (
                Field("year_from", "int", description="First year the rate applies"),
                Field("year_to", "int", description="Last year the rate applies"),
                Field("rate_sek", "decimal", description="Contribution per inhabitant and year, kr"),
            ),
            key=("year_from",),
            description="Agreement rates per period (RUN office)",
            label_sv="Avtal (bidrag per invånare)", phase=0, yearless=True, table="agreement_rate",
        ),
        Source(
            "population",
            "population*|folkmangd*|BE0101*",
            (
                Field("municipality_code", "municipality", description="From SCB region label '2380 Östersund'"),
                Field("year", "int", description="Statistics year"),
                Field("population", "int", description="Inhabitants at the reference date"),
            ),
            key=("municipality_code", "year"),
            description="Population per municipality, SCB table BE0101 (wide: one column per year)",
            label_sv="Folkmängd (SCB)", phase=1, yearless=True, table="population",
        ),
        Source(
            "budget",
            "budget*|handlingsplan*",
            (
                Field("activity_code", "str", description="Activity/project code, e.g. A-2024-07"),
                Field("activity_name", "str", description="Activity name (Swedish)"),
                Field("section", "str", description="Organisation, Nätverk, Aktiviteter, Projekt, Uppdragsutbildning"),
                Field("target_group", "str", required=False, description="Målgrupp"),
                Field("form", "str", required=False, description="C, CD or D"),
                Field("goals", "str", required=False, description="Collaboration goals served, e.g. '1,3'"),
                Field("term", "str", required=False, description="VT, HT or VT+HT"),
                Field("municipal_budget_sek", "decimal", description="Budget from municipal contributions, kr"),
                Field("external_funder", "str", required=False, description="Skolverket, Delt.avg., NCS …"),
                Field("external_budget_sek", "decimal", required=False, description="Budget from the external funder, kr"),
            ),
            key=("activity_code",),
            description="Action plan (handlingsplan) with budget per activity, one file per year",
            label_sv="Budget (handlingsplan)", phase=1, table="activity",
        ),
        Source(
            "sessions",
            "sessions*|traffar*",
            (
                Field("activity_code", "str"),
                Field("session_no", "int", description="1, 2, … within the activity and year"),
                Field("session_date", "date"),
                Field("form", "str", description="C, CD or D"),
                Field("place", "str", required=False, description="Ort, e.g. Sundsvall, Östersund, digitalt"),
                Field("seats", "int", required=False, description="Places offered (non-negative)"),
            ),
            key=("activity_code", "session_no"),
            description="Sessions (träffar) per activity and year",
            label_sv="Träffar", phase=2, table="activity_session", date_in_year="session_date",
        ),
        Source(
            "registrations",
            "registrations*|anmalningar*",
            (
                Field("activity_code", "str"),
                Field("person_name", "str", personal=True, description="Pseudonymised at ingest"),
                Field("email", "str", personal=True, description="Pseudonymised at ingest"),
                Field("organisation", "organisation", description="Member municipality (code, name, 'X kommun') or partner org"),
                Field("role", "str", required=False),
                Field("registration_date", "date"),
                Field("status", "str", description="anmäld, avbokad or deltog"),
            ),
            key=("activity_code", "email"),
            description="One row per person per activity (registration tool)",
            label_sv="Anmälningar", phase=2, table="registration",
        ),
        Source(
            "evaluations",
            "evaluations*|utvarderingar*",
            (
                Field("response_id", "str"),
                Field("activity_code", "str"),
                Field("session_no", "int", required=False),
                Field("organisation", "organisation"),
                Field("role", "str", required=False),
                Field("q_overall", "int", description="Likert 1–5: overall"),
                Field("q_relevance", "int", description="Likert 1–5: relevant to my role"),
                Field("q_apply", "int", description="Likert 1–5: will apply in my work"),
                Field("free_text", "str", required=False, description="Vad tar du med dig?"),
                Field("submitted_date", "date"),
            ),
            key=("response_id",),
            description="One row per survey response",
            label_sv="Utvärderingar", phase=2, table="evaluation", date_in_year="submitted_date",
        ),
        Source(
            "ledger",
            "ledger*|huvudbok*|ekonomi*",
            (
                Field("voucher_no", "str", description="Verifikationsnummer"),
                Field("line_no", "int", description="Line within the voucher"),
                Field("booking_date", "date"),
                Field("account", "str", description="BAS account, 4 digits"),
                Field("activity_code", "str", description="Activity/project code"),
                Field("counterparty", "str", required=False),
                Field("amount_sek", "decimal", description="Costs positive, income negative"),
                Field("text", "str", required=False),
            ),
            key=("voucher_no", "line_no"),
            description="Ledger lines from the university's finance system",
            label_sv="Ekonomi (huvudbok)", phase=2, table="ledger_line", date_in_year="booking_date",
        ),
    )
}
