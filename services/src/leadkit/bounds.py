"""What a value must be to be stored and encoded everywhere: pure checks, no I/O.

PostgreSQL's text and jsonb cannot hold NUL; UTF-8 cannot encode a lone surrogate; JSON has no
NaN or Infinity; Python's recursive encoders and decoders stop at about a thousand levels; and
an instant near the ends of the calendar overflows as soon as it is moved to UTC (PostgreSQL
then stores `-infinity`, which Python cannot read back). Every service's edge refuses these with
a 4xx (`leadkit.edge`), and workers use the same checks on what they load.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import pycountry
from pydantic import AfterValidator, AwareDatetime, Field

# Leads, touches and outcomes are never older than the Unix epoch and no plan reaches past 2100;
# within these bounds every offset (±14 h) moves an instant to UTC without overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_DEPTH = 32  # a lead is flat; policy documents nest a few levels
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def instant_problem(value: datetime) -> str | None:
    """Why an instant cannot be taken, or None. Compares years first: the ends of the calendar
    overflow when an aware datetime is compared (both are moved to UTC)."""
    if value.year < EARLIEST.year or value.year > LATEST.year:
        return _instant_range()
    if value.tzinfo is not None and value.utcoffset() is not None and not EARLIEST <= value < LATEST:
        return _instant_range()
    return None


def _instant_range() -> str:
    return f"an instant must be from {EARLIEST.isoformat()} to before {LATEST.isoformat()}"


def _in_range(value: datetime) -> datetime:
    problem = instant_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# An RFC 3339 instant with a zone, within [EARLIEST, LATEST): every instant a request carries.
Instant = Annotated[
    AwareDatetime,
    AfterValidator(_in_range),
    Field(json_schema_extra={"x-earliest": EARLIEST.isoformat(), "x-latest": LATEST.isoformat()}),
]


def _known_currency(code: str) -> str:
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


# An ISO 4217 code (EUR, USD, JPY), checked against pycountry's copy of the standard's list
Currency = Annotated[
    str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217"), AfterValidator(_known_currency)
]


def _day_in_range(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError(f"a day must be from {EARLIEST.date()} to before {LATEST.date()}")
    return value


# A calendar day within the instants leadloop takes (absences, holidays, spend periods)
Day = Annotated[
    date,
    AfterValidator(_day_in_range),
    Field(
        json_schema_extra={
            "x-earliest-day": EARLIEST.date().isoformat(),
            "x-latest-day": (LATEST.date() - timedelta(days=1)).isoformat(),
        }
    ),
]


def text_problem(text: str) -> str | None:
    """Why a text cannot be stored, or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "text may not contain the NUL character"
    return "text may not contain a lone surrogate (not valid Unicode)"


# PostgreSQL's bigint: no whole number a service stores or compares in SQL is larger
MAX_INTEGER = 2**63 - 1


def number_problem(value: float) -> str | None:
    if isinstance(value, int):
        return None if -MAX_INTEGER <= value <= MAX_INTEGER else f"whole numbers are within ±{MAX_INTEGER}"
    if math.isfinite(value):
        return None
    return "numbers must be finite (JSON has no NaN or Infinity)"


@dataclass(frozen=True)
class ValueProblem:
    loc: tuple[str | int, ...]
    msg: str
    type: str

    def as_error(self, *prefix: str | int) -> dict[str, Any]:
        """In FastAPI's 422 shape."""
        return {"loc": [*prefix, *self.loc], "msg": self.msg, "type": self.type}


class NonFinite(float):
    """What a JSON decoder returns for NaN, Infinity and numbers too large for a float, so the
    walk below can say where they were (the decoder's hooks know no path)."""


def non_finite(token: str) -> NonFinite:
    return NonFinite(token)


def parse_number(token: str) -> float:
    value = float(token)
    return value if math.isfinite(value) else NonFinite(value)


def value_problems(value: Any, *, max_depth: int = MAX_DEPTH, limit: int = 20) -> list[ValueProblem]:
    """Every place in a decoded JSON value (keys too) that cannot be stored: unstorable text,
    non-finite numbers, nesting deeper than `max_depth`. At most `limit` are reported."""
    return list(_walk(value, max_depth=max_depth, limit=limit))


def _walk(root: Any, *, max_depth: int, limit: int) -> Iterator[ValueProblem]:
    # iterative, so a deep value cannot exhaust Python's stack while it is being checked
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, ())]
    found = 0
    while stack and found < limit:
        value, loc = stack.pop()
        problem: tuple[str, str] | None = None
        if isinstance(value, str):
            text = text_problem(value)
            problem = (text, "string_unstorable") if text else None
        elif isinstance(value, float | int) and not isinstance(value, bool):
            number = number_problem(value)
            problem = (number, "finite_number") if number else None
        elif isinstance(value, dict | list):
            if len(loc) >= max_depth:
                problem = (f"nested deeper than {max_depth} levels", "too_deep")
            elif isinstance(value, dict):
                for key, item in reversed(value.items()):
                    key_problem = text_problem(key) if isinstance(key, str) else None
                    if key_problem:
                        found += 1
                        yield ValueProblem(loc, f"a field name: {key_problem}", "string_unstorable")
                        continue
                    stack.append((item, (*loc, key)))
            else:
                stack.extend((item, (*loc, index)) for index, item in reversed(list(enumerate(value))))
        if problem:
            found += 1
            yield ValueProblem(loc, problem[0], problem[1])
