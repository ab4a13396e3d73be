"""The one glob matcher of scoring's touch rules, routing's conditions and the SLA tiers. Pure.

Patterns are shell globs (`*` any run of characters, `?` one, `[…]` a class), matched against the
whole value and case-blind; a list value matches when any of its items does; a missing value never
does. Each set of patterns is compiled once into one regular expression.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=4096)
def compile_globs(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One expression matching what any of the patterns matches, lower-cased."""
    return re.compile("|".join(fnmatch.translate(pattern.lower()) for pattern in patterns) or "(?!)")


def globs_of(patterns: str | Iterable[str]) -> tuple[str, ...]:
    return (patterns,) if isinstance(patterns, str) else tuple(patterns)


def matches_any(patterns: tuple[str, ...], value: object) -> bool:
    if value is None:
        return False
    compiled = compile_globs(patterns)
    if isinstance(value, list | tuple):
        return any(compiled.match(str(item).lower()) for item in value)
    return compiled.match(str(value).lower()) is not None
