"""The `lead_profiles`, `touches` and `scores` tables, set-based for the hot paths: a poll's leads
are loaded with their touches in one statement, saved with their new touches in one, and their
scores recorded in one."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from leadkit.db import Connection
from scoring.domain.lead_state import LeadState
from scoring.domain.touches import Touch

_PROFILE_COLUMNS = """
p.lead_id, p.facts::text AS facts, p.score, p.grade, p.fit_score, p.engagement_score,
p.engagement_level, p.qualified, p.engagement_since, p.correlation_id, p.model_version,
(SELECT json_agg(json_build_array(t.touch_id, extract(epoch FROM t.occurred_at)::float8, t.type,
                                  t.form_id, t.content, t.page_url, t.source, t.medium,
                                  t.campaign, t.channel) ORDER BY t.occurred_at, t.touch_id)::text
 FROM touches t WHERE t.lead_id = p.lead_id) AS touches
"""
# a lead and its touches in one round trip: the poll's hot path pays per statement
_LOAD_PROFILES = f"""
SELECT {_PROFILE_COLUMNS} FROM lead_profiles p
WHERE p.lead_id = ANY($1::uuid[]) ORDER BY p.lead_id FOR UPDATE OF p
"""
_READ_PROFILES = f"SELECT {_PROFILE_COLUMNS} FROM lead_profiles p WHERE p.lead_id = ANY($1::uuid[])"
# the new touches ride along with the profiles' upsert: one statement, one round trip
_SAVE_PROFILES = """
WITH new_touches AS (
    INSERT INTO touches (lead_id, touch_id, occurred_at, type, form_id, content, page_url, source,
                         medium, campaign, channel)
    SELECT lead_id, touch_id, to_timestamp(at), type, form_id, content, page_url, source, medium,
           campaign, channel
    FROM unnest($16::uuid[], $17::text[], $18::float8[], $19::text[], $20::text[], $21::text[],
                $22::text[], $23::text[], $24::text[], $25::text[], $26::text[])
        AS u(lead_id, touch_id, at, type, form_id, content, page_url, source, medium, campaign,
             channel)
    ON CONFLICT DO NOTHING
)
INSERT INTO lead_profiles (lead_id, facts, score, grade, fit_score, engagement_score,
                           engagement_level, qualified, model_version, engagement_since,
                           correlation_id, decay_due_at, predicted_conversion, predicted_win,
                           updated_at)
SELECT lead_id, facts::jsonb, score, grade, fit_score, engagement_score, engagement_level,
       qualified, model_version, engagement_since, correlation_id, decay_due_at,
       predicted_conversion, predicted_win, $15
FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::int[], $6::int[], $7::text[],
            $8::bool[], $9::text[], $10::timestamptz[], $11::uuid[], $12::timestamptz[],
            $13::float8[], $14::float8[])
    AS u(lead_id, facts, score, grade, fit_score, engagement_score, engagement_level, qualified,
         model_version, engagement_since, correlation_id, decay_due_at, predicted_conversion,
         predicted_win)
ON CONFLICT (lead_id) DO UPDATE SET
    facts = excluded.facts, score = excluded.score, grade = excluded.grade,
    fit_score = excluded.fit_score, engagement_score = excluded.engagement_score,
    engagement_level = excluded.engagement_level, qualified = excluded.qualified,
    model_version = excluded.model_version, engagement_since = excluded.engagement_since,
    correlation_id = excluded.correlation_id, decay_due_at = excluded.decay_due_at,
    predicted_conversion = excluded.predicted_conversion, predicted_win = excluded.predicted_win,
    updated_at = excluded.updated_at
"""
_RECORD_SCORES = """
INSERT INTO scores (lead_id, event_id, cause_event_id, score, grade, fit_score, engagement_score,
                    engagement_level, qualified, predicted_conversion, cause, model_version,
                    reasons, scored_at)
SELECT lead_id, event_id, cause_event_id, score, grade, fit_score, engagement_score,
       engagement_level, qualified, predicted_conversion, cause, model_version, reasons::jsonb,
       scored_at
FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::int[], $7::int[],
            $8::text[], $9::bool[], $10::float8[], $11::text[], $12::text[], $13::text[],
            $14::timestamptz[])
    AS u(lead_id, event_id, cause_event_id, score, grade, fit_score, engagement_score,
         engagement_level, qualified, predicted_conversion, cause, model_version, reasons,
         scored_at)
"""


_TOUCH_FIELDS = (
    "id",
    "at",
    "type",
    "form_id",
    "content",
    "page_url",
    "source",
    "medium",
    "campaign",
    "channel",
)


async def load_states(
    conn: Connection, lead_ids: Sequence[UUID], *, lock: bool = True
) -> dict[UUID, LeadState]:
    """The leads' states and touches; locked for this transaction unless `lock` is False."""
    rows = await conn.fetch(_LOAD_PROFILES if lock else _READ_PROFILES, list(lead_ids))
    states = {
        row["lead_id"]: LeadState(
            lead_id=row["lead_id"],
            facts=json.loads(row["facts"]),
            score=row["score"],
            grade=row["grade"],
            fit=row["fit_score"],
            engagement=row["engagement_score"],
            level=row["engagement_level"] or None,
            qualified=row["qualified"] if row["engagement_level"] else None,
            engagement_since=row["engagement_since"],
            correlation_id=row["correlation_id"],
            model_version=row["model_version"],
        )
        for row in rows
    }
    for row in rows:
        if row["touches"]:
            states[row["lead_id"]].touches.extend(Touch(*fields) for fields in json.loads(row["touches"]))
    return states


async def save_states(conn: Connection, states: Iterable[LeadState], now: datetime) -> None:
    saved = sorted(states, key=lambda state: state.lead_id)
    if not saved:
        return
    touches = [(state.lead_id, touch) for state in saved for touch in state.new_touches]
    await conn.execute(
        _SAVE_PROFILES,
        [s.lead_id for s in saved],
        [json.dumps(s.facts) for s in saved],
        [s.score for s in saved],
        [s.grade for s in saved],
        [s.fit for s in saved],
        [s.engagement for s in saved],
        [s.level for s in saved],
        [s.qualified for s in saved],
        [s.model_version for s in saved],
        [s.engagement_since for s in saved],
        [s.correlation_id for s in saved],
        [s.decay_due_at for s in saved],
        [s.predicted_conversion for s in saved],
        [s.predicted_win for s in saved],
        now,
        [lead_id for lead_id, _ in touches],
        *([getattr(touch, name) for _, touch in touches] for name in _TOUCH_FIELDS),
    )
    for state in saved:
        state.new_touches.clear()


@dataclass(frozen=True)
class ScoreRow:
    """One emitted lead.scored, as scoring remembers it (GET /v1/leads/{id}/score's history)."""

    lead_id: UUID
    event_id: UUID
    cause_event_id: UUID | None
    score: int
    grade: str
    fit: int
    engagement: int
    level: str
    qualified: bool
    predicted_conversion: float | None
    cause: str
    model_version: str
    reasons: list[dict[str, object]]
    scored_at: datetime


async def record_scores(conn: Connection, rows: Sequence[ScoreRow]) -> None:
    if not rows:
        return
    await conn.execute(
        _RECORD_SCORES,
        [r.lead_id for r in rows],
        [r.event_id for r in rows],
        [r.cause_event_id for r in rows],
        [r.score for r in rows],
        [r.grade for r in rows],
        [r.fit for r in rows],
        [r.engagement for r in rows],
        [r.level for r in rows],
        [r.qualified for r in rows],
        [r.predicted_conversion for r in rows],
        [r.cause for r in rows],
        [r.model_version for r in rows],
        [json.dumps(r.reasons) for r in rows],
        [r.scored_at for r in rows],
    )


_HISTORY = """
SELECT event_id, cause_event_id, cause, score, grade, fit_score, engagement_score, engagement_level,
       qualified, predicted_conversion, model_version, reasons::text AS reasons, scored_at
FROM scores WHERE lead_id = $1 AND scored_at <= $2 ORDER BY scored_at DESC, id DESC
"""
_RESET_AT = """
SELECT max(occurred_at) FROM outcomes WHERE lead_id = $1 AND stage = 'recycled' AND occurred_at <= $2
"""
_WINDOW = "SELECT lead_id FROM lead_profiles WHERE created_at >= $1 AND created_at < $2 ORDER BY lead_id"
_STAGES = """
SELECT lead_id, array_agg(stage) AS stages FROM outcomes WHERE lead_id = ANY($1::uuid[]) GROUP BY lead_id
"""


@dataclass(frozen=True)
class RecordedScore:
    """A lead.scored as it went out, newest first in a lead's history."""

    event_id: UUID
    cause_event_id: UUID | None
    cause: str
    score: int
    grade: str
    fit_score: int
    engagement_score: int
    engagement_level: str
    qualified: bool
    predicted_conversion: float | None
    model_version: str
    reasons: list[dict[str, object]]
    scored_at: datetime


async def score_history(conn: Connection, lead_id: UUID, at: datetime) -> list[RecordedScore]:
    """The scores a lead was given up to `at`, newest first."""
    return [
        RecordedScore(**{**dict(row), "reasons": json.loads(row["reasons"])})
        for row in await conn.fetch(_HISTORY, lead_id, at)
    ]


async def engagement_reset_at(conn: Connection, lead_id: UUID, at: datetime) -> datetime | None:
    """When the lead was last recycled to marketing before `at` (engagement counts afresh from it)."""
    reset: datetime | None = await conn.fetchval(_RESET_AT, lead_id, at)
    return reset


async def leads_created_between(conn: Connection, since: datetime, until: datetime) -> list[UUID]:
    return [row["lead_id"] for row in await conn.fetch(_WINDOW, since, until)]


async def stages_reached(conn: Connection, lead_ids: Sequence[UUID]) -> dict[UUID, frozenset[str]]:
    """The sales stages each lead reached (from the outcomes scoring learns from)."""
    return {row["lead_id"]: frozenset(row["stages"]) for row in await conn.fetch(_STAGES, list(lead_ids))}


_FORGET_FACTS = """
UPDATE lead_profiles SET facts = '{"erased": true}'::jsonb, updated_at = $2 WHERE lead_id = ANY($1::uuid[])
"""
# a landing page's query string can hold an email or a click id; the rest of a touch is anonymous
_FORGET_PAGES = "UPDATE touches SET page_url = NULL WHERE lead_id = ANY($1::uuid[]) AND page_url IS NOT NULL"


async def forget_people(conn: Connection, lead_ids: Sequence[UUID], now: datetime) -> None:
    """What scoring knew of erased people goes; the bare score stays."""
    await conn.execute(_FORGET_FACTS, lead_ids, now)
    await conn.execute(_FORGET_PAGES, lead_ids)
