"""Console roles nest, and personal data is masked so two leads stay apart but no one is named."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadkit.console_keys import new_console_key
from leadkit.console_roles import ROLES, mask_email, mask_text, parse_role, role_allows
from leadkit.key_store import hash_key


def test_each_role_holds_the_ones_below_it_and_none_above() -> None:
    allowed = {(held, needed) for held in ROLES for needed in ROLES if role_allows(held, needed)}
    assert allowed == {
        ("viewer", "viewer"),
        ("operator", "viewer"),
        ("operator", "operator"),
        ("admin", "viewer"),
        ("admin", "operator"),
        ("admin", "admin"),
    }


@pytest.mark.parametrize("text", ["Admin", "owner", "", " viewer"])
def test_a_role_is_one_of_three_words_exactly(text: str) -> None:
    with pytest.raises(ValueError, match="viewer, operator, admin"):
        parse_role(text)


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("maria.lopez@acme.io", "m•••@acme.io"),
        ("x@y.z", "x•••@y.z"),
        ('"odd@local"@example.com', '"•••@example.com'),
        ("no-at-sign", "n•••"),
        (None, None),
    ],
)
def test_an_email_keeps_its_domain_and_first_character(email: str | None, masked: str | None) -> None:
    assert mask_email(email) == masked


@given(st.text(min_size=2))
def test_masked_text_never_holds_more_than_its_first_character(value: str) -> None:
    masked = mask_text(value)
    assert masked == value[0] + "•••"


def test_a_new_console_key_is_stored_only_as_its_hash() -> None:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    new = new_console_key(key_id=uuid4(), name="Maria Ops", role="operator", personal_data=False, now=now)
    assert new.key.startswith("ll_console_mariaops_")
    assert new.key.startswith(new.stored.prefix)
    assert len(new.key) > len(new.stored.prefix) + 20
    assert new.key_hash == hash_key(new.key)
    assert new.key not in repr(new.stored)
