"""A policy document's pure parts: the problems that name its wrong parts, reading TOML or JSON
with every value bounded, and what a kind of policy supplies. No I/O: the domain modules of
scoring, routing and sla-monitor import this; the store is `leadkit.policies`."""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import ValidationError

from leadkit.bounds import text_problem, value_problems

T = TypeVar("T")
Format = Literal["toml", "json"]


@dataclass(frozen=True)
class Problem:
    """One wrong part of a document: where (`rules[3].op`, `$` for the whole) and what."""

    path: str
    message: str


class InvalidPolicy(ValueError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in self.problems))


class UnknownVersion(LookupError):
    pass


class NothingToRollBack(LookupError):
    pass


def path_of(location: Sequence[str | int]) -> str:
    """pydantic's error location as a document path: ('rules', 3, 'op') → `rules[3].op`."""
    path = ""
    for part in location:
        if part == "[key]":  # pydantic's marker for a mapping's key that is wrong: the key's path
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "$"


def problems_of(error: ValidationError) -> list[Problem]:
    return [Problem(path_of(item["loc"]), item["msg"]) for item in error.errors()]


def read_document(text: str, format: Format) -> dict[str, Any]:
    """The document's data; InvalidPolicy at `$` when it does not parse or is not a table."""
    if "\x00" in text:  # PostgreSQL's text and jsonb cannot hold it: refuse it here, not with a 500
        raise InvalidPolicy([Problem("$", "the document holds a NUL character")])
    if text_problem(text):
        raise InvalidPolicy([Problem("$", f"the document: {text_problem(text)}")])
    try:
        data = json.loads(text) if format == "json" else tomllib.loads(text)
    except RecursionError:
        raise InvalidPolicy([Problem("$", "nested too deeply")]) from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise InvalidPolicy([Problem("$", f"not valid {format.upper()}: {error}")]) from error
    if not isinstance(data, dict):
        raise InvalidPolicy([Problem("$", f"a {format.upper()} document must be a table of settings")])
    problems = unbounded_values(data)
    if problems:
        raise InvalidPolicy(problems)
    return data


# No number in any policy is larger than this (a score, a weight, a cap, a count); each kind sets
# tighter bounds where its numbers mean time (an SLA target, a half-life).
MAX_POLICY_NUMBER = 1_000_000_000


def unbounded_values(data: dict[str, Any]) -> list[Problem]:
    """Every value that could break a version at run time once active: NaN and Infinity (TOML
    has both), numbers past ±MAX_POLICY_NUMBER, text that cannot be stored, deep nesting."""
    problems = [Problem(path_of(p.loc), p.msg) for p in value_problems(data)]
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, dict):
            stack.extend((item, (*loc, key)) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, (*loc, index)) for index, item in enumerate(value))
        elif (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and abs(value) > MAX_POLICY_NUMBER
        ):
            problems.append(Problem(path_of(loc), f"at most {MAX_POLICY_NUMBER:,} in size"))
    return sorted(problems, key=lambda p: p.path)


def distinct(problems: Sequence[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


@dataclass(frozen=True)
class PolicyKind(Generic[T]):
    """What a service supplies: its kind's name, a parser (raises InvalidPolicy) and its default."""

    name: str
    parse: Callable[[dict[str, Any]], T]
    default_document: Path
