"""What one attempt's answer means for a delivery. Pure.

Only a 2xx delivers; a redirect is not followed and counts as a failure (the endpoint moved, its
owner should say so); `410 Gone` disables the subscription; 429, 502 and 504 back off, honouring
`Retry-After`; anything else, a timeout or a refused connection is tried again on the schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sla_monitor.delivery.domain.schedule import next_attempt

Verdict = Literal["delivered", "retry", "failed", "disable"]
BACK_OFF = frozenset({429, 502, 504})
DISABLING_AFTER = timedelta(days=5)


@dataclass(frozen=True)
class Answer:
    """What an attempt came to: the status (None when no response came) and why it failed."""

    status: int | None
    error: str | None = None
    retry_after: timedelta | None = None
    permanent: bool = False  # the destination will refuse it again (a CRM's validation rule)


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    next_attempt_at: datetime | None
    reason: str | None


def judge(answer: Answer, *, attempts: int, now: datetime, failing_since: datetime | None) -> Judgement:
    """`attempts` counts this one. A subscription that has failed every attempt for five days is
    disabled by its next failure."""
    status = answer.status
    if status is not None and 200 <= status < 300:
        return Judgement("delivered", None, None)
    if status == 410:
        return Judgement("disable", None, "the endpoint answered 410 Gone")
    reason = answer.error or f"the endpoint answered {status}"
    if answer.permanent:
        return Judgement("failed", None, f"refused for good: {reason}")
    if status is not None and 300 <= status < 400:
        reason = f"the endpoint answered {status}; redirects are not followed"
    if failing_since is not None and now - failing_since >= DISABLING_AFTER:
        return Judgement("disable", None, f"every attempt failed for 5 days; the last: {reason}")
    retry_after = answer.retry_after if status in BACK_OFF else None
    when = next_attempt(attempts, now, retry_after=retry_after)
    if when is None:
        return Judgement("failed", None, f"{attempts} attempts failed; the last: {reason}")
    return Judgement("retry", when, reason)
