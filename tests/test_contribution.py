from datetime import date
from decimal import Decimal

import pytest

from runreport.carry_over import balance_chain
from runreport.contribution import (
    MemberPeriod,
    MissingPopulation,
    MissingRate,
    Rate,
    compute_contributions,
    months_in_year,
    rate_for,
)

RATES = [Rate(2020, 2022, Decimal(2)), Rate(2023, 2023, Decimal(1)), Rate(2024, 2026, Decimal(2))]


def test_rate_per_year_two_kronor_but_one_in_2023():
    assert [rate_for(y, RATES) for y in (2020, 2022, 2023, 2024, 2026)] == [2, 2, 1, 2, 2]
    with pytest.raises(MissingRate):
        rate_for(2027, RATES)


def test_contribution_is_rate_times_population_of_the_year_before():
    members = [MemberPeriod("2380", "Östersund", date(2023, 1, 1), None)]
    rows = compute_contributions(2024, members, RATES, {("2380", 2023): 64_123, ("2380", 2024): 1})
    assert rows[0].amount_sek == 128_246
    assert rows[0].population_year == 2023
    rows23 = compute_contributions(2023, members, RATES, {("2380", 2022): 64_000})
    assert rows23[0].amount_sek == 64_000


def test_member_joining_mid_period_pays_whole_months():
    assert months_in_year(date(2024, 7, 1), None, 2024) == 6
    assert months_in_year(date(2024, 7, 15), None, 2024) == 5
    assert months_in_year(date(2020, 1, 1), date(2022, 12, 31), 2024) == 0
    members = [MemberPeriod("2132", "Nordanstig", date(2020, 1, 1), date(2022, 12, 31)),
               MemberPeriod("2132", "Nordanstig", date(2024, 7, 1), None)]
    pop = {("2132", 2022): 9_400, ("2132", 2023): 9_401}
    assert compute_contributions(2023, members, RATES, pop) == []
    (row,) = compute_contributions(2024, members, RATES, pop)
    assert (row.months, row.amount_sek) == (6, 9_401)  # 2 × 9 401 × 6/12


def test_rounding_once_half_up_to_whole_kronor():
    members = [MemberPeriod("2305", "Bräcke", date(2024, 4, 1), None)]
    (row,) = compute_contributions(2024, members, [Rate(2024, 2024, Decimal("1.5"))], {("2305", 2023): 6_301})
    # 1.5 × 6 301 × 9/12 = 7 088.625 -> 7 089
    assert row.amount_sek == 7_089


def test_member_without_population_is_an_error_never_zero():
    members = [MemberPeriod("2380", "Östersund", date(2023, 1, 1), None),
               MemberPeriod("2281", "Sundsvall", date(2023, 1, 1), None)]
    with pytest.raises(MissingPopulation, match="2281 Sundsvall"):
        compute_contributions(2024, members, RATES, {("2380", 2023): 64_000})


def test_total_reconciles_with_rows():
    members = [MemberPeriod(c, c, date(2020, 1, 1), None) for c in ("2303", "2305", "2309")]
    pop = {("2303", 2019): 5_300, ("2305", 2019): 6_300, ("2309", 2019): 15_300}
    rows = compute_contributions(2020, members, RATES, pop)
    assert sum(r.amount_sek for r in rows) == 2 * (5_300 + 6_300 + 15_300)


def test_2020_case_from_the_annual_report():
    """Budget 925 000 kr, outcome 470 000 kr, so 455 000 kr carried over to 2021."""
    (row,) = balance_chain([2020], Decimal(0), {2020: Decimal(925_000)}, {}, {2020: Decimal(470_000)})
    assert row.closing_sek == Decimal(455_000)
    (next_year,) = balance_chain([2021], row.closing_sek, {2021: Decimal(925_000)}, {}, {})
    assert next_year.opening_sek == Decimal(455_000)


def test_carry_over_chain_across_three_years_with_late_correction():
    contrib = {2023: Decimal(465_000), 2024: Decimal(930_000), 2025: Decimal(935_000)}
    income = {2024: Decimal(50_000)}
    costs = {2023: Decimal(400_000), 2024: Decimal(900_000), 2025: Decimal(700_000)}
    chain = balance_chain([2023, 2024, 2025], Decimal(100_000), contrib, income, costs)
    assert [r.closing_sek for r in chain] == [165_000, 245_000, 480_000]
    assert all(a.closing_sek == b.opening_sek for a, b in zip(chain, chain[1:], strict=False))
    costs[2023] = Decimal(420_000)  # a late correction in 2023 flows into every later year
    corrected = balance_chain([2023, 2024, 2025], Decimal(100_000), contrib, income, costs)
    assert [r.closing_sek for r in corrected] == [145_000, 225_000, 460_000]
