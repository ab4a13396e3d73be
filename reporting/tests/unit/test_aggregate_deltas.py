"""The aggregates' deltas: whatever polls a stream of events is cut into, the deltas the polls
give add up to the aggregates of the final state counted whole. Pure."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lead_schemas import (
    LeadCaptured,
    LeadCapturedData,
    LeadProgressed,
    LeadProgressedData,
    LeadQualified,
    LeadQualifiedData,
    Person,
    Touch,
)
from reporting.domain.aggregate_deltas import (
    AttributionDelta,
    LeadState,
    attribution_delta,
    funnel_delta,
    ordered_touches,
)
from reporting.domain.funnel_cells import FunnelCell
from reporting.domain.projection import FunnelRow, TouchRow, project, touch_of

T0 = datetime(2026, 3, 31, 20, tzinfo=UTC)  # a month's end inside the stream


def _events(rng: random.Random, leads: int) -> list[Any]:
    events: list[Any] = []
    for _ in range(leads):
        lead, at = uuid4(), T0 + timedelta(hours=rng.uniform(0, 30))
        for index in range(rng.randrange(1, 4)):
            touch = Touch(
                id=uuid4().hex, occurred_at=at + timedelta(hours=5 * index), source=rng.choice("abc")
            )
            data = LeadCapturedData(is_new=index == 0, person=Person(), touch=touch)
            events.append(
                LeadCaptured.new(producer="t", lead_id=lead, correlation_id=lead, occurred_at=at, data=data)
            )
        if rng.random() < 0.7:
            data_q = LeadQualifiedData(
                owner=rng.choice(["ada", "ben"]),
                reason="r",
                rule="round_robin",
                score=80,
                grade=rng.choice("AB"),
                assignment=1,
            )
            events.append(
                LeadQualified.new(
                    producer="t",
                    lead_id=lead,
                    correlation_id=lead,
                    occurred_at=at + timedelta(hours=2),
                    data=data_q,
                )
            )
        if rng.random() < 0.4:
            data_p = LeadProgressedData(stage="won", amount=Decimal(rng.randrange(1, 900)), currency="EUR")
            events.append(
                LeadProgressed.new(
                    producer="t",
                    lead_id=lead,
                    correlation_id=lead,
                    occurred_at=at + timedelta(hours=9),
                    data=data_p,
                )
            )
    rng.shuffle(events)
    return events


def _replay(
    events: list[Any], polls: list[int]
) -> tuple[list[list[tuple[LeadState, LeadState]]], dict[UUID, LeadState]]:
    """Each poll's changes (before, after), as the handler computes them, and the final states."""
    rows: dict[UUID, FunnelRow] = {}
    touches: dict[UUID, list[TouchRow]] = {}
    changes = []
    start = 0
    for size in [*polls, len(events)]:
        poll, start = events[start : start + size], start + size
        if not poll:
            continue
        leads = sorted({e.lead_id for e in poll})
        before = {
            lead: LeadState(
                replace(rows.setdefault(lead, FunnelRow(lead_id=lead))),
                ordered_touches(touches.get(lead, [])),
            )
            for lead in leads
        }
        for event in poll:
            project(rows[event.lead_id], event)
            if isinstance(event, LeadCaptured):
                touches.setdefault(event.lead_id, []).append(touch_of(event))
        changes.append(
            [
                (
                    before[lead],
                    LeadState(replace(rows[lead]), ordered_touches(touches[lead]) if lead in touches else ()),
                )
                for lead in leads
            ]
        )
    final = {lead: LeadState(row, ordered_touches(touches.get(lead, []))) for lead, row in rows.items()}
    return changes, final


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32), st.lists(st.integers(1, 40), max_size=12))
def test_deltas_of_any_polls_add_up_to_the_whole(seed: int, polls: list[int]) -> None:
    changes, final = _replay(_events(random.Random(seed), 25), polls)
    cells: dict[Any, FunnelCell] = {}
    tallies = AttributionDelta()
    for poll in changes:
        for key, cell in funnel_delta((b.row, a.row) for b, a in poll).items():
            cells.setdefault(key, FunnelCell()).add(cell)
        found = attribution_delta(poll)
        for key, value in found.credits.items():
            mine = tallies.credits.setdefault(key, [0.0, 0.0])
            mine[0] += value[0]
            mine[1] += value[1]
        for key, count in found.transitions.items():
            tallies.transitions[key] = tallies.transitions.get(key, 0) + count
        for key, stats in found.sets.items():
            row = tallies.sets.setdefault(key, [0, 0, Decimal(0)])
            for i in range(3):
                row[i] += stats[i]  # type: ignore[operator]
    whole_cells = funnel_delta((None, state.row) for state in final.values())
    assert {k: c for k, c in cells.items() if not c.empty}.keys() == whole_cells.keys()
    for key, cell in whole_cells.items():
        assert (cells[key].counts == cell.counts).all()
        assert (cells[key].spans == cell.spans).all()
        assert cells[key].revenue == cell.revenue
    whole = attribution_delta([(None, state) for state in final.values()])
    assert {k: v for k, v in tallies.transitions.items() if v} == whole.transitions
    assert {k: v for k, v in tallies.sets.items() if any(v)} == whole.sets
    kept = {k: v for k, v in tallies.credits.items() if abs(v[0]) > 1e-9 or abs(v[1]) > 1e-9}
    assert kept.keys() == {k for k, v in whole.credits.items() if abs(v[0]) > 1e-9 or abs(v[1]) > 1e-9}
    for key, value in kept.items():
        assert value == pytest.approx(whole.credits[key])


def test_an_event_that_changes_no_count_gives_no_delta() -> None:
    lead = uuid4()
    row = FunnelRow(lead_id=lead, captured_at=T0, last_touch_at=T0, source="a", touches=1, sla_breaches=0)
    touch = TouchRow(lead, "t", T0, None, "a", None, None, None, True)
    moved = replace(row, sla_breaches=3)  # a breach: the funnel and attribution count nothing of it
    assert funnel_delta([(row, moved)]) == {}
    assert attribution_delta([(LeadState(row, (touch,)), LeadState(moved, (touch,)))]) == AttributionDelta()


def test_a_lead_not_captured_yet_counts_nowhere() -> None:
    lead = uuid4()
    qualified_only = FunnelRow(lead_id=lead, is_mql=True, mql_at=T0)
    assert funnel_delta([(None, qualified_only)]) == {}
    assert attribution_delta([(None, LeadState(qualified_only, ()))]) == AttributionDelta()
