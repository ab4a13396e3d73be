"""The pure parts of versioned policies: document paths and reading TOML or JSON."""

from typing import Literal

import pytest
from pydantic import BaseModel, ValidationError

from leadkit.policy_document import InvalidPolicy, path_of, problems_of, read_document


@pytest.mark.parametrize(
    ("location", "path"),
    [
        (("rules", 3, "op"), "rules[3].op"),
        (("grades",), "grades"),
        (("matrix", "A", 0), "matrix.A[0]"),
        ((), "$"),
    ],
)
def test_a_location_reads_as_a_document_path(location: tuple[str | int, ...], path: str) -> None:
    assert path_of(location) == path


class _Rule(BaseModel):
    op: Literal["equals", "in"]


class _Doc(BaseModel):
    rules: list[_Rule]


def test_every_wrong_part_of_a_document_is_named() -> None:
    with pytest.raises(ValidationError) as error:
        _Doc.model_validate({"rules": [{"op": "in"}, {"op": "near"}, {}]})
    assert [p.path for p in problems_of(error.value)] == ["rules[1].op", "rules[2].op"]


@pytest.mark.parametrize(
    ("text", "format", "message"),
    [
        ("a = [", "toml", "not valid TOML"),
        ("{", "json", "not valid JSON"),
        ("[1, 2]", "json", "must be a table"),
    ],
)
def test_a_document_that_does_not_parse_is_refused_at_its_root(
    text: str, format: Literal["toml", "json"], message: str
) -> None:
    with pytest.raises(InvalidPolicy) as refused:
        read_document(text, format)
    [problem] = refused.value.problems
    assert problem.path == "$"
    assert message in problem.message


def test_toml_and_json_read_to_the_same_data() -> None:
    assert read_document('a = 1\n[b]\nc = "x"', "toml") == read_document('{"a": 1, "b": {"c": "x"}}', "json")


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("[clocks.accept]\nminutes = inf", "clocks.accept.minutes"),
        ("[clocks.accept]\ndays = nan", "clocks.accept.days"),
        ("[[rules]]\nwhen = { score = { min = nan } }", "rules[0].when.score.min"),
        ("[[rules]]\npoints = 1e12", "rules[0].points"),
        ("[[rules]]\npoints = -10000000000", "rules[0].points"),
        ('label = "a\\u0000b"', "label"),
    ],
)
def test_a_value_that_could_break_an_active_version_is_refused_on_save(text: str, path: str) -> None:
    with pytest.raises(InvalidPolicy) as refused:
        read_document(text, "toml")
    assert path in [p.path for p in refused.value.problems]


def test_json_documents_are_held_to_the_same_bounds() -> None:
    with pytest.raises(InvalidPolicy) as refused:
        read_document('{"weights": {"amara": NaN, "li": 1e999}}', "json")
    assert sorted(p.path for p in refused.value.problems) == ["weights.amara", "weights.li"]
    assert read_document('{"weights": {"amara": 3, "li": 0.5}}', "json") == {
        "weights": {"amara": 3, "li": 0.5}
    }
