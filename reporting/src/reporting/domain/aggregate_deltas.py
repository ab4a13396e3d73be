"""What one poll changes in the aggregates. Pure.

Every aggregate is a sum over leads: the funnel's cells over the leads captured in a period,
attribution's tallies over the journeys that end in one. So when a poll moves some leads, each
moved lead's contribution as it was is taken away and its contribution as it is now is added —
per period of every grain (`reporting.domain.periods`). The cost is the poll's leads, never the
day's: a busy day costs what a quiet one does. A lead whose facts (or a journey whose touches,
outcome and revenue) did not change contributes nothing to the delta.

A full recount (`reporting.db.aggregates.recount`) is the funnel's same sum with nothing taken away,
and attribution's tallies of each day's journeys loaded whole; the integration tests hold that the
tables the handler keeps and the ones a recount writes agree.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from reporting.domain.attribution import ATTRIBUTION_KEYS, OUTCOMES, AttributionKey, Outcome, Tally, tally
from reporting.domain.funnel import GROUP_COLUMNS, NONE_KEY, STEPS
from reporting.domain.funnel_cells import FLAGS, FunnelCell, FunnelFacts, LeadFacts, cells_of
from reporting.domain.journeys import Journey, TouchPoint
from reporting.domain.periods import ATTRIBUTION_GRAINS, FUNNEL_GRAINS, Grain, period_of
from reporting.domain.projection import FunnelRow, TouchRow

# the column of each outcome's first time
OUTCOME_COLUMNS: dict[Outcome, str] = {
    "won": "won_at",
    "opportunity": "opportunity_at",
    "sql": "sql_at",
    "mql": "mql_at",
}
# joins a key set into one text (no key holds it): a year's sets group three times faster by text
SEPARATOR = chr(31)

Period = tuple[Grain, datetime]
CellKey = tuple[Period, str, str]  # period, dimension, key


@dataclass(frozen=True)
class LeadState:
    """What the aggregates see of one lead: its funnel row and its touches in time order."""

    row: FunnelRow
    touches: tuple[TouchRow, ...]


def ordered_touches(touches: Iterable[TouchRow]) -> tuple[TouchRow, ...]:
    """In the order journeys take them (the touch log's `ORDER BY occurred_at, touch_id`)."""
    return tuple(sorted(touches, key=lambda t: (t.occurred_at, t.touch_id)))


# --- the funnel ---------------------------------------------------------------------------------

_FactsKey = tuple[object, ...]


def _facts_key(row: FunnelRow) -> _FactsKey | None:
    """Everything of a row the funnel counts; None for a lead not captured yet (not counted)."""
    if row.captured_at is None:
        return None
    keys = tuple(_named(getattr(row, column)) for column in GROUP_COLUMNS.values())
    spans = tuple(_hours(getattr(row, start), getattr(row, end)) for _, start, end in STEPS)
    return (row.captured_at, keys, tuple(getattr(row, flag) for flag in FLAGS), row.revenue, spans)


def _named(value: str | None) -> str:
    return NONE_KEY if value is None else value


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds() / 3600.0


def _facts(key: _FactsKey, grains: Sequence[Grain]) -> list[LeadFacts[Period]]:
    captured_at, keys, flags, revenue, spans = key
    return [
        LeadFacts((grain, period_of(captured_at, grain)), keys, flags, revenue, spans)  # type: ignore[arg-type]
        for grain in grains
    ]


def funnel_delta(
    changes: Iterable[tuple[FunnelRow | None, FunnelRow]], grains: Sequence[Grain] = FUNNEL_GRAINS
) -> dict[CellKey, FunnelCell]:
    """The cells' change when each lead's row went from the first to the second (None: new)."""
    taken: list[LeadFacts[Period]] = []
    added: list[LeadFacts[Period]] = []
    for before, after in changes:
        old = None if before is None else _facts_key(before)
        new = _facts_key(after)
        if old == new:
            continue
        if old is not None:
            taken += _facts(old, grains)
        if new is not None:
            added += _facts(new, grains)
    cells = cells_of(FunnelFacts.of(added)) if added else {}
    for key, cell in (cells_of(FunnelFacts.of(taken)) if taken else {}).items():
        cells.setdefault(key, FunnelCell()).subtract(cell)
    return {key: cell for key, cell in cells.items() if not cell.empty}


# --- attribution --------------------------------------------------------------------------------


def lead_journeys(state: LeadState) -> dict[Outcome, tuple[datetime, dict[AttributionKey, Journey]]]:
    """Each outcome's journey of one lead and the instant it belongs to: the outcome's time, or
    (not reached) the last touch's; touches up to the outcome. A lead not captured has none."""
    row = state.row
    if row.captured_at is None:
        return {}
    times = [touch.occurred_at for touch in state.touches]
    # each key's touch points once: the outcomes' journeys are slices of them (the whole tuple,
    # not a copy, for the outcomes not reached)
    points = {
        key: tuple(TouchPoint(t.occurred_at, _named(getattr(t, key)), t.created_lead) for t in state.touches)
        for key in ATTRIBUTION_KEYS
    }
    found: dict[Outcome, tuple[datetime, dict[AttributionKey, Journey]]] = {}
    for outcome, column in OUTCOME_COLUMNS.items():
        at: datetime | None = getattr(row, column)
        if at is not None:
            upto, revenue, instant = bisect_right(times, at), row.revenue, at
        elif row.last_touch_at is not None:
            upto, revenue, instant = len(times), Decimal(0), row.last_touch_at
        else:
            continue
        found[outcome] = (
            instant,
            {
                key: Journey(points[key][:upto], at is not None, revenue, at, row.opportunity_at)
                for key in ATTRIBUTION_KEYS
            },
        )
    return found


TallyKey = tuple[Grain, datetime, Outcome, AttributionKey]


@dataclass
class AttributionDelta:
    """The change to attribution's three tables, by their keys without the value columns."""

    credits: dict[tuple[Grain, datetime, str, str, str, str], list[float]] = field(default_factory=dict)
    transitions: dict[tuple[Grain, datetime, str, str, str, str], int] = field(default_factory=dict)
    sets: dict[tuple[Grain, datetime, str, str, str], list[int | Decimal]] = field(default_factory=dict)

    def add(self, key: TallyKey, found: Tally, sign: int) -> None:
        grain, period, outcome, key_type = key
        head = (grain, period, outcome, key_type)
        for model, credits in found.rules.items():
            for name, value in credits.conversions.items():
                cell = self.credits.setdefault((*head, model, name), [0.0, 0.0])
                cell[0] += sign * value
                cell[1] += sign * credits.revenue_share[name]
        for (here, there), count in found.transitions.items():
            index = (*head, here, there)
            self.transitions[index] = self.transitions.get(index, 0) + sign * count
        for players, stats in found.sets.items():
            row = self.sets.setdefault((*head, SEPARATOR.join(sorted(players))), [0, 0, Decimal(0)])
            row[0] += sign * stats.journeys
            row[1] += sign * stats.conversions
            row[2] += sign * stats.revenue

    def pruned(self) -> AttributionDelta:
        """Without the entries that came to nothing (a journey taken away and added back alike)."""
        return AttributionDelta(
            {k: v for k, v in self.credits.items() if v[0] != 0 or v[1] != 0},
            {k: v for k, v in self.transitions.items() if v != 0},
            {k: v for k, v in self.sets.items() if any(part != 0 for part in v)},
        )


def _grouped(
    journeys: Iterable[tuple[datetime, dict[AttributionKey, Journey], Outcome]], grain: Grain
) -> dict[TallyKey, list[Journey]]:
    groups: dict[TallyKey, list[Journey]] = defaultdict(list)
    for instant, by_key, outcome in journeys:
        period = period_of(instant, grain)
        for key, journey in by_key.items():
            groups[(grain, period, outcome, key)].append(journey)
    return groups


def attribution_delta(
    changes: Iterable[tuple[LeadState | None, LeadState]], grains: Sequence[Grain] = ATTRIBUTION_GRAINS
) -> AttributionDelta:
    """The tallies' change when each lead went from the first state to the second (None: new)."""
    taken: list[tuple[datetime, dict[AttributionKey, Journey], Outcome]] = []
    added: list[tuple[datetime, dict[AttributionKey, Journey], Outcome]] = []
    for before, after in changes:
        old = {} if before is None else lead_journeys(before)
        new = lead_journeys(after)
        for outcome in OUTCOMES:
            was, now = old.get(outcome), new.get(outcome)
            if was == now:
                continue
            if was is not None:
                taken.append((*was, outcome))
            if now is not None:
                added.append((*now, outcome))
    # Tallies add up, so each group of the finest grain is tallied once and added to the period of
    # every coarser grain that holds it; and a lead's outcomes not reached share one journey, so
    # equal groups are tallied once (a new lead's four outcomes are one group four times).
    finest, coarser = grains[-1], grains[:-1]
    delta = AttributionDelta()
    tallied: dict[tuple[Journey, ...], Tally] = {}
    for sign, journeys in ((1, added), (-1, taken)):
        for key, group in _grouped(journeys, finest).items():
            members = tuple(group)
            found = tallied.get(members)
            if found is None:
                found = tallied[members] = tally(group)
            _, period, outcome, key_type = key
            delta.add(key, found, sign)
            for grain in coarser:
                delta.add((grain, period_of(period, grain), outcome, key_type), found, sign)
    return delta.pruned()
