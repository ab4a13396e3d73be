"""The SLA policy document's shape, as pydantic models: what a TOML or JSON policy may hold and
the checks each part takes on its own (sla_policy.py turns it into the typed policy). Pure."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leadkit.bounds import Day
from leadkit.hours import InvalidHours, TimezoneName, parse_hours

ClockName = Literal["accept", "first_contact", "follow_up", "disposition"]
OnBreach = Literal["reassign", "notify_manager", "recycle"]
WHEN_FIELDS = ("team", "grade", "score", "source", "region", "country")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClockDoc(_Strict):
    # a year at most: a due time is found by walking the calendar, and an SLA of longer is a typo
    minutes: float | None = Field(default=None, le=366 * 24 * 60, description="Business minutes")
    hours: float | None = Field(default=None, le=366 * 24)
    days: float | None = Field(default=None, le=366, description="Business days of the calendar")
    warn_share: Annotated[float, Field(ge=0, lt=1)] = 0.8
    on_breach: OnBreach = "reassign"

    @model_validator(mode="after")
    def _one_target(self) -> ClockDoc:
        given = [v for v in (self.minutes, self.hours, self.days) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one target: minutes, hours or days")
        if given[0] <= 0:
            raise ValueError("the target must be positive")
        return self


class FollowUpDoc(_Strict):
    attempts: Annotated[int, Field(ge=1, le=100)]
    days: Annotated[float, Field(gt=0, le=366)]
    warn_share: Annotated[float, Field(ge=0, lt=1)] = 0.8
    on_breach: OnBreach = "notify_manager"
    unresponsive_reasons: list[str] = Field(default_factory=lambda: ["no_decision"])


class RangeDoc(_Strict):
    min: float | None = None
    max: float | None = None


class CalendarDoc(_Strict):
    timezone: TimezoneName
    hours: str
    holidays: list[Day] = Field(default_factory=list)

    @field_validator("hours")
    @classmethod
    def _working_time(cls, hours: str) -> str:
        try:
            if not parse_hours(hours):
                raise ValueError("a calendar needs working hours on at least one weekday")
        except InvalidHours as error:
            raise ValueError(str(error)) from None
        return hours


class NurtureDoc(_Strict):
    rejected: str = "rejected-by-sales"
    not_now: str = "not-now"
    sla_exhausted: str = "sla-exhausted"


class TierDoc(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
    when: dict[str, str | list[str] | RangeDoc] = Field(default_factory=dict)
    max_reassignments: Annotated[int, Field(ge=0, le=20)] = 2
    nurture: NurtureDoc = NurtureDoc()
    calendar: CalendarDoc | None = None
    team_calendar: str | None = Field(default=None, description="A team's calendar by name")
    accept: ClockDoc | None = None
    first_contact: ClockDoc | None = None
    follow_up: FollowUpDoc | None = None
    disposition: ClockDoc | None = None


class TargetDoc(_Strict):
    team: str | None = None
    region: str | None = None
    period: Literal["week", "month", "quarter"] = "month"
    mqls: Annotated[int, Field(ge=0)]
    min_accepted_share: Annotated[float | None, Field(ge=0, le=1)] = None
    max_rejected_share: Annotated[float | None, Field(ge=0, le=1)] = None


class SlaPolicyDoc(_Strict):
    tiers: Annotated[list[TierDoc], Field(min_length=1)]
    targets: list[TargetDoc] = Field(default_factory=list)
