"""Money: campaign spend spread over the days it covers, and what it bought — cost per lead, per
MQL, per opportunity, CAC, ROI and ROAS. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class SpendEntry:
    starts: date
    ends: date  # inclusive
    channel: str | None
    source: str | None
    campaign: str | None
    amount: Decimal
    currency: str

    def key(self, group_by: str) -> str | None:
        value: str | None = getattr(self, group_by)
        return value


def spend_in(
    entries: Iterable[SpendEntry], start: date, end: date, group_by: str, none: str
) -> dict[str, Decimal]:
    """Each key's spend in the days [start, end): an entry counts pro rata to the days it shares
    with the window (a month's budget over a fortnight's report counts half)."""
    found: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        days = (entry.ends - entry.starts).days + 1
        shared = (min(entry.ends + timedelta(days=1), end) - max(entry.starts, start)).days
        if shared > 0:
            found[entry.key(group_by) or none] += entry.amount * shared / days
    return {key: value.quantize(CENT) for key, value in found.items()}


@dataclass(frozen=True)
class Bought:
    """What one key's spend bought: leads, MQLs and opportunities by first touch; customers and
    revenue by the attribution model."""

    spend: Decimal
    leads: int
    mqls: int
    opportunities: int
    customers: float
    revenue: Decimal

    def _per(self, count: float) -> Decimal | None:
        return (self.spend / Decimal(str(count))).quantize(CENT) if count else None

    @property
    def cost_per_lead(self) -> Decimal | None:
        return self._per(self.leads)

    @property
    def cost_per_mql(self) -> Decimal | None:
        return self._per(self.mqls)

    @property
    def cost_per_opportunity(self) -> Decimal | None:
        return self._per(self.opportunities)

    @property
    def cac(self) -> Decimal | None:
        """Customer acquisition cost: spend over the customers the model credits to the key."""
        return self._per(round(self.customers, 6))

    @property
    def roi(self) -> float | None:
        """(revenue - spend) / spend."""
        return round(float((self.revenue - self.spend) / self.spend), 4) if self.spend else None

    @property
    def roas(self) -> float | None:
        """Revenue per unit of spend."""
        return round(float(self.revenue / self.spend), 4) if self.spend else None


def keys_of(*tables: Mapping[str, object]) -> list[str]:
    return sorted({key for table in tables for key in table})
