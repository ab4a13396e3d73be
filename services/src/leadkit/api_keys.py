"""API key text and prefixes, shared by every service that issues keys. Pure.

A key is `ll_<kind>_<slug>_<random>`; its prefix, the handle `list` shows and `revoke` takes,
always holds 8 of the random characters, so two keys of one source never share it (a prefix of
the first 12 characters held none once a slug had 9 or more).
"""

from __future__ import annotations

import secrets
from typing import NamedTuple

PREFIX_RANDOM_CHARACTERS = 8


class NewKey(NamedTuple):
    key: str  # shown once, stored only as a hash
    prefix: str


class AmbiguousKey(Exception):
    """A revoke named more than one key: nothing was revoked."""

    def __init__(self, handle: str, count: int) -> None:
        super().__init__(f"{handle!r} names {count} active keys; revoke by a longer prefix or by id")


def slug_of(name: str, *, default: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())[:12] or default


def new_key(*parts: str) -> NewKey:
    head = "_".join(("ll", *parts)) + "_"
    random_part = secrets.token_urlsafe(24)
    return NewKey(head + random_part, head + random_part[:PREFIX_RANDOM_CHARACTERS])
