"""The model document: what it accepts, and the path of every part it refuses."""

import pytest

from leadkit.policy_document import InvalidPolicy
from scoring.domain.model import DEFAULT_MODEL as DEFAULT_RULES
from scoring.domain.model import half_life_seconds, load_rule_model

MINIMAL = "[levels]\nhot = 10\ncold = 0\n"
RULE = "[[rules]]\n"


def test_the_default_model_parses_with_its_matrix() -> None:
    model = load_rule_model(DEFAULT_RULES.read_text())
    assert [band.grade for band in model.grades] == ["A", "B", "C"]
    assert model.levels == (("hot", 40), ("warm", 20), ("cold", 0))
    assert ("A", "warm") in model.qualified
    assert ("C", "warm") not in model.qualified
    webinar = next(rule for rule in model.rules if rule.id == "webinar")
    assert (webinar.group, webinar.half_life, webinar.max_times) == ("content", 30 * 86400, 2)
    pricing = next(rule for rule in model.rules if rule.id == "pricing-page")
    assert pricing.half_life == 14 * 86400  # the group's, over the model's


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30d", 2592000.0), ("12h", 43200.0), ("90s", 90.0), ("1.5m", 90.0), ("2w", 1209600.0)],
)
def test_half_lives_read_as_durations(text: str, seconds: float) -> None:
    assert half_life_seconds(text) == seconds


ENGAGEMENT = RULE + 'id="a"\nkind="engagement"\npoints=5\ntouch={type=["*"]}\n'


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        (RULE + 'id = "a"', {"rules[0].kind", "rules[0].points"}),
        (RULE + 'id="a"\nkind="fit"\npoints=1\nfield="employees"\nop="near"\nvalue=1', {"rules[0].op"}),
        (RULE + 'id="a"\nkind="vibe"\npoints=1\nfield="employees"\nop="exists"', {"rules[0].kind"}),
        (RULE + 'id="a"\nkind="fit"\npoints=1\nfield="shoe_size"\nop="exists"', {"rules[0].field"}),
        (RULE + 'id="a"\nkind="fit"\npoints=1\nfield="employees"\nop="gte"', {"rules[0]"}),
        (RULE + 'id="a"\nkind="engagement"\npoints=5\ntouch={colour=["red"]}', {"rules[0].touch"}),
        (RULE + 'id="a"\nkind="engagement"\npoints=5\nfield="employees"\nop="exists"', {"rules[0]"}),
        (RULE + 'id="a"\nkind="negative"\npoints=5\nfield="employees"\nop="exists"', {"rules[0]"}),
        (ENGAGEMENT + 'half_life="0d"', {"rules[0].half_life"}),
        (ENGAGEMENT + 'half_life="-3d"', {"rules[0].half_life"}),
        (ENGAGEMENT + 'group="web"', {"rules[0].group"}),
        (ENGAGEMENT + "max_times=0", {"rules[0].max_times"}),
        ("[decay]\nhalf_life = '0s'", {"decay.half_life"}),
        ("[groups.web]\nhalf_life = 'soon'", {"groups.web.half_life"}),
        ("[grades]\nA = { min = 40 }\nB = { min = 20, max = 45 }", {"grades.B"}),
        ("[grades]\nA = 10\nB = 20", {"grades.B"}),
        ("[grades]\nA = { min = 40 }\nB = { min = 50, max = 60 }", {"grades.B"}),
        ("[grades]\nB = { min = 30, max = 20 }", {"grades.B"}),
        ("[qualification]\nA = ['hot', 'lukewarm']", {"qualification.A[1]"}),
        ("[qualification]\nE = ['hot']", {"qualification.E"}),
    ],
)
def test_a_broken_model_is_refused_naming_the_path_of_each_wrong_part(text: str, paths: set[str]) -> None:
    with pytest.raises(InvalidPolicy) as refused:
        load_rule_model(MINIMAL + text)
    assert {problem.path for problem in refused.value.problems} == paths


@pytest.mark.parametrize(
    ("text", "path"),
    [("label = 'no levels'", "levels"), ("not = [toml", "$"), ("colour = 'red'\n" + MINIMAL, "colour")],
)
def test_a_document_without_its_essentials_is_refused(text: str, path: str) -> None:
    with pytest.raises(InvalidPolicy) as refused:
        load_rule_model(text)
    assert [problem.path for problem in refused.value.problems] == [path]


def test_every_part_of_a_model_with_many_faults_is_named_at_once() -> None:
    rule = 'id="{id}"\nkind="fit"\npoints=1\nfield="employees"\nop="{op}"'
    text = MINIMAL + "\n".join(
        [RULE + rule.format(id="a", op="exists")] * 2 + [RULE + rule.format(id="b", op="near")]
    )
    with pytest.raises(InvalidPolicy) as refused:
        load_rule_model(text)
    assert {problem.path for problem in refused.value.problems} == {"rules[1].id", "rules[2].op"}


def test_an_overlapping_band_and_wrong_fields_are_named_in_one_answer() -> None:
    """docs/scoring.md's own example: a wrong operator and an overlapping band, both at once (the band
    check used to wait until every field validated)."""
    rule = RULE + 'id="a"\nkind="fit"\npoints=1\nfield="employees"\nop="near"'
    grades = "\n[grades]\nA = { min = 50 }\nB = { min = 30, max = 60 }\n"
    with pytest.raises(InvalidPolicy) as refused:
        load_rule_model(MINIMAL + grades + rule)
    found = {(problem.path, problem.message) for problem in refused.value.problems}
    assert {path for path, _ in found} == {"rules[0].op", "grades.B"}
    assert ("grades.B", "overlaps grade A's band") in found
