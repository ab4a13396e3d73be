"""Spend spread over its days, what it bought, and the goals calculator: worked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reporting.domain.goals import CannotPlan, Observed, needs, plan_inputs
from reporting.domain.money import Bought, SpendEntry, spend_in


def entry(starts: date, ends: date, amount: str, source: str | None = "google") -> SpendEntry:
    return SpendEntry(starts, ends, "paid_search", source, None, Decimal(amount), "EUR")


def test_spend_counts_pro_rata_to_the_days_it_shares_with_the_window() -> None:
    november = entry(date(2026, 11, 1), date(2026, 11, 30), "3000.00")  # 100 a day
    other = entry(date(2026, 11, 10), date(2026, 11, 10), "50.00", source=None)
    found = spend_in([november, other], date(2026, 11, 16), date(2026, 12, 1), "source", "(none)")
    assert found == {"google": Decimal("1500.00")}  # 15 of 30 days; the other day is outside
    assert spend_in([november, other], date(2026, 11, 1), date(2026, 11, 11), "source", "(none)") == {
        "google": Decimal("1000.00"),
        "(none)": Decimal("50.00"),
    }


def test_what_spend_bought() -> None:
    bought = Bought(
        spend=Decimal("1000.00"),
        leads=200,
        mqls=40,
        opportunities=8,
        customers=2.5,
        revenue=Decimal("4000.00"),
    )
    assert (bought.cost_per_lead, bought.cost_per_mql, bought.cost_per_opportunity, bought.cac) == (
        Decimal("5.00"),
        Decimal("25.00"),
        Decimal("125.00"),
        Decimal("400.00"),
    )
    assert (bought.roi, bought.roas) == (3.0, 4.0)
    nothing = Bought(Decimal(0), 0, 0, 0, 0.0, Decimal(0))
    assert (nothing.cost_per_lead, nothing.cac, nothing.roi, nothing.roas) == (None, None, None, None)


def test_the_issues_rule_of_thumb_ten_percent_closing_needs_ten_times_the_target_in_pipeline() -> None:
    # 10 % of leads close (every stage passes, the last 10 %), deals of 10,000: $1M needs 100 won deals,
    # 1,000 opportunities, and the same number of SQLs, MQLs and leads
    rates = {"lead_to_mql": 1.0, "mql_to_sql": 1.0, "sql_to_opportunity": 1.0, "opportunity_to_won": 0.1}
    found = needs(Decimal(1_000_000), rates, Decimal(10_000))
    assert (found.won, found.opportunities, found.sqls, found.mqls, found.leads) == (
        100,
        1000,
        1000,
        1000,
        1000,
    )
    assert found.per_month(3).leads == 334  # a quarter's, per month, rounded up


def test_observed_rates_overrides_and_what_is_missing() -> None:
    observed = Observed(
        leads=1000,
        mqls=300,
        sqls=90,
        opportunities=30,
        won=10,
        revenue=Decimal("250000.00"),
        open_opportunities=12,
    )
    rates, deal = plan_inputs(observed, {"opportunity_to_won": 0.5}, None)
    assert rates == {
        "lead_to_mql": 0.3,
        "mql_to_sql": 0.3,
        "sql_to_opportunity": 1 / 3,
        "opportunity_to_won": 0.5,
    }
    assert deal == Decimal("25000.00")
    found = needs(Decimal(100_000), rates, deal)
    assert (found.won, found.opportunities, found.sqls, found.mqls, found.leads) == (4, 8, 24, 80, 267)
    empty = Observed(0, 0, 0, 0, 0, Decimal(0), 0)
    with pytest.raises(
        CannotPlan, match="lead_to_mql, mql_to_sql, sql_to_opportunity, opportunity_to_won, average_deal"
    ):
        plan_inputs(empty, {}, None)


def test_a_rate_too_small_to_plan_with_is_refused_not_overflowed() -> None:
    from reporting.domain.goals import CannotPlan, needs

    rates = {"lead_to_mql": 1e-300, "mql_to_sql": 0.5, "sql_to_opportunity": 0.5, "opportunity_to_won": 0.5}
    with pytest.raises(CannotPlan, match="leads"):
        needs(Decimal(1_000_000), rates, Decimal(1000))
