"""What the quality report counts: leads, MQLs, SQLs and won, and sales' rejection, loss and
recycle reasons, per source, campaign, content, grade or score band of the leads captured in a
window."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from leadkit.db import Connection
from reporting.domain.funnel import NONE_KEY

QualityKey = Literal["source", "campaign", "content", "grade", "score_band"]
QUALITY_KEYS: tuple[QualityKey, ...] = get_args(QualityKey)
_KEYS = {
    "source": f"coalesce(source, '{NONE_KEY}')",
    "campaign": f"coalesce(campaign, '{NONE_KEY}')",
    "content": f"coalesce(content, '{NONE_KEY}')",
    "grade": f"coalesce(grade, '{NONE_KEY}')",
    # tens of the lead's latest score: 0-9, 10-19, … 90-99, 100+ (a lead never scored: (none))
    "score_band": (
        f"CASE WHEN score IS NULL THEN '{NONE_KEY}' WHEN score >= 100 THEN '100+' "
        "ELSE (score / 10 * 10)::text || '-' || (score / 10 * 10 + 9)::text END"
    ),
}


def _quality_sql(key: QualityKey) -> str:
    return f"""
WITH grouped AS (
    SELECT {_KEYS[key]} AS key, count(*) AS leads, count(*) FILTER (WHERE is_mql) AS mqls,
           count(*) FILTER (WHERE is_sql) AS sqls, count(*) FILTER (WHERE is_won) AS won,
           count(*) FILTER (WHERE is_mql AND is_sql) AS mqls_to_sql,
           count(*) FILTER (WHERE is_rejected) AS rejected, count(*) FILTER (WHERE is_lost) AS lost,
           count(*) FILTER (WHERE is_recycled) AS recycled
    FROM lead_funnel WHERE captured_at >= $1 AND captured_at < $2
    GROUP BY 1
),
reasons AS (
    SELECT {_KEYS[key]} AS key, kind, coalesce(reason, '{NONE_KEY}') AS reason, count(*) AS n
    FROM lead_funnel,
         LATERAL (VALUES ('rejected', rejected_reason, is_rejected), ('lost', lost_reason, is_lost),
                         ('recycled', recycle_reason, is_recycled)) AS v(kind, reason, flagged)
    WHERE captured_at >= $1 AND captured_at < $2 AND flagged
    GROUP BY 1, 2, 3
)
SELECT g.*, (SELECT coalesce(jsonb_object_agg(kind || ':' || reason, n), '{{}}') FROM reasons r
             WHERE r.key = g.key)::text AS reasons
FROM grouped g ORDER BY g.leads DESC, g.key
"""


@dataclass(frozen=True)
class QualityCounts:
    key: str
    leads: int
    mqls: int
    sqls: int
    won: int
    mqls_to_sql: int
    rejected: int
    lost: int
    recycled: int
    reasons: dict[str, dict[str, int]]  # rejected | lost | recycled → reason → leads, reasons sorted


async def quality_counts(
    conn: Connection, key: QualityKey, start: datetime, to: datetime
) -> list[QualityCounts]:
    found = []
    for record in await conn.fetch(_quality_sql(key), start, to):
        reasons: dict[str, dict[str, int]] = {"rejected": {}, "lost": {}, "recycled": {}}
        for label, count in sorted(json.loads(record["reasons"]).items()):
            kind, reason = label.split(":", 1)
            reasons[kind][reason] = count
        found.append(
            QualityCounts(
                key=record["key"],
                leads=record["leads"],
                mqls=record["mqls"],
                sqls=record["sqls"],
                won=record["won"],
                mqls_to_sql=record["mqls_to_sql"],
                rejected=record["rejected"],
                lost=record["lost"],
                recycled=record["recycled"],
                reasons=reasons,
            )
        )
    return found
