"""The goals calculator: how many leads, MQLs, SQLs and opportunities a revenue target needs, from
observed rates and the average deal (any of them overridden), and the pipeline's coverage of it.
Pure.

won = ⌈target / average deal⌉, opportunities = won / (opportunity → won), SQLs = opportunities /
(SQL → opportunity), MQLs = SQLs / (MQL → SQL), leads = MQLs / (lead → MQL), each rounded up; a
period's needs are spread evenly over its months. Coverage = open opportunities * average deal /
target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

RATES = ("lead_to_mql", "mql_to_sql", "sql_to_opportunity", "opportunity_to_won")
MONTHS = {"month": 1, "quarter": 3, "year": 12}


class CannotPlan(ValueError):
    pass


@dataclass(frozen=True)
class Observed:
    leads: int
    mqls: int
    sqls: int
    opportunities: int
    won: int
    revenue: Decimal
    open_opportunities: int

    def rates(self) -> dict[str, float | None]:
        def share(part: int, whole: int) -> float | None:
            return part / whole if whole else None

        return {
            "lead_to_mql": share(self.mqls, self.leads),
            "mql_to_sql": share(self.sqls, self.mqls),
            "sql_to_opportunity": share(self.opportunities, self.sqls),
            "opportunity_to_won": share(self.won, self.opportunities),
        }

    def average_deal(self) -> Decimal | None:
        return (self.revenue / self.won).quantize(Decimal("0.01")) if self.won else None


@dataclass(frozen=True)
class Needs:
    won: int
    opportunities: int
    sqls: int
    mqls: int
    leads: int

    def per_month(self, months: int) -> Needs:
        return Needs(
            *(
                math.ceil(value / months)
                for value in (self.won, self.opportunities, self.sqls, self.mqls, self.leads)
            )
        )


# No plan needs more than this of anything; a rate such as 1e-300 would otherwise ask for more
# leads than a float can count (and an answer no one could act on).
MAX_COUNT = 10**12


def _count(what: str, value: Decimal | float) -> int:
    if not math.isfinite(value) or value > MAX_COUNT:
        raise CannotPlan(
            f"the plan would need more than {MAX_COUNT:,} {what}: check the rates and the deal size"
        )
    return math.ceil(value)


def needs(target: Decimal, rates: dict[str, float], average_deal: Decimal) -> Needs:
    """CannotPlan when a count would pass MAX_COUNT."""
    won = _count("won deals", target / average_deal)
    opportunities = _count("opportunities", won / rates["opportunity_to_won"])
    sqls = _count("SQLs", opportunities / rates["sql_to_opportunity"])
    mqls = _count("MQLs", sqls / rates["mql_to_sql"])
    return Needs(won, opportunities, sqls, mqls, _count("leads", mqls / rates["lead_to_mql"]))


def plan_inputs(
    observed: Observed, overrides: dict[str, float | None], deal_override: Decimal | None
) -> tuple[dict[str, float], Decimal]:
    """The rates and average deal to plan with: each override, else what was observed. CannotPlan
    names whatever is still missing or zero."""
    rates = observed.rates()
    chosen: dict[str, float] = {}
    missing = []
    for name in RATES:
        value = overrides.get(name) if overrides.get(name) is not None else rates[name]
        if not value:
            missing.append(name)
        else:
            chosen[name] = value
    deal = deal_override if deal_override is not None else observed.average_deal()
    if not deal:
        missing.append("average_deal")
    if missing:
        raise CannotPlan(
            f"no observed {', '.join(missing)} in the lookback window (or 0): give it as a parameter"
        )
    assert deal is not None
    return chosen, deal
