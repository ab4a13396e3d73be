import pytest

from reporting.domain.funnel import stages_reached


@pytest.mark.parametrize(
    ("stage", "flags"),
    [
        ("accepted", ("is_sal",)),
        ("sql", ("is_sal", "is_sql")),
        ("won", ("is_sal", "is_sql", "is_opportunity", "is_won")),
        ("rejected", ()),
        ("lost", ()),
        ("something-new", ()),
    ],
)
def test_a_later_stage_implies_the_earlier_ones(stage: str, flags: tuple[str, ...]) -> None:
    assert stages_reached(stage) == flags
