"""A policy problem's path found at its line in the TOML text, as the console's editor shows it."""

from __future__ import annotations

import tomllib

import pytest

from leadkit.policy_lines import line_of

DOCUMENT = """\
# the test system's policy
default_team = "sales"

[[tiers]]
name = "hot"
accept = { minutes = 5, on_breach = "reassign" }

[[tiers]]
name = "warm"
first_contact = { minutes = -1 }
follow_up.days = 2

[teams.emea]
calendar = "emea"
"quoted key" = 3
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("default_team", 2),
        ("tiers[0].accept.minutes", 6),  # inside an inline table: the inline table's line
        ("tiers[1].first_contact.minutes", 10),
        ("tiers[1].name", 9),
        ("tiers[1]", 8),  # the entry itself: its header
        ("tiers[1].follow_up.days", 11),  # a dotted key
        ("teams.emea.calendar", 14),
        ("teams.emea.quoted key", 15),
        ("teams.emea.timezone", 13),  # a key that is missing: its table
        ("tiers[2].name", None),  # no third tier: nothing to point at
        ("$", None),
    ],
)
def test_a_path_is_found_at_its_line(path: str, line: int | None) -> None:
    assert line_of(DOCUMENT, path) == line


def test_a_syntax_error_names_its_own_line() -> None:
    broken = 'name = "x"\n[[tiers]\nname = 1\n'
    with pytest.raises(tomllib.TOMLDecodeError) as error:
        tomllib.loads(broken)
    assert line_of(broken, "$", f"not valid TOML: {error.value}") == 2
