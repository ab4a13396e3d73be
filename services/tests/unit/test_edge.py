"""The kit's edge: what every service refuses before a route runs (no I/O: an app in memory)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from leadkit.bounds import EARLIEST, LATEST, Currency, Day, Instant, instant_problem, value_problems
from leadkit.edge import guard_the_edge, item_problems, safe_errors


class Body(BaseModel):
    name: str = ""
    at: Instant | None = None
    amount: float = 0


def app_under_test(*, max_body_bytes: int = 4096, failures_per_minute: float = 3) -> TestClient:
    app = FastAPI()

    @app.post("/things")
    async def post_thing(body: Body) -> dict[str, Any]:
        return {"name": body.name}

    @app.get("/things")
    async def get_things(at: Annotated[Instant | None, Query()] = None) -> dict[str, Any]:
        return {"at": at}

    @app.post("/batch")
    async def post_batch(body: dict[str, Any]) -> dict[str, Any]:
        return {
            "errors": [e for i, item in enumerate(body["items"]) for e in item_problems(item, "items", i)]
        }

    @app.get("/secret")
    async def secret(key: str = "") -> dict[str, Any]:
        if key != "right":
            from fastapi import HTTPException

            raise HTTPException(401, "no")
        return {}

    guard_the_edge(
        app,
        max_body_bytes=max_body_bytes,
        auth_failures_per_minute=failures_per_minute,
        itemwise={"/batch": "items"},
    )
    return TestClient(app, raise_server_exceptions=True)


def post_json(client: TestClient, text: str, path: str = "/things") -> Any:
    return client.post(
        path, content=text.encode("utf-8", "surrogatepass"), headers={"content-type": "application/json"}
    )


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ('{"name": "a\\u0000b"}', ["body", "name"]),
        ('{"name": "a\\ud800b"}', ["body", "name"]),
        ('{"amount": NaN}', ["body", "amount"]),
        ('{"amount": Infinity}', ["body", "amount"]),
        ('{"amount": -Infinity}', ["body", "amount"]),
        ('{"amount": 1e999}', ["body", "amount"]),
        ('{"custom": {"a\\u0000": 1}}', ["body", "custom"]),
        ("[" * 60_000, ["body"]),
        ('{"at": "0001-01-01T00:00:00+14:00"}', ["body", "at"]),
        ('{"at": "9999-12-31T23:59:59-14:00"}', ["body", "at"]),
        ('{"at": -62135596800}', ["body", "at"]),
        ('{"at": "1969-12-31T23:59:59Z"}', ["body", "at"]),
        ('{"at": "2100-01-01T00:00:00Z"}', ["body", "at"]),
    ],
)
def test_what_cannot_be_stored_is_a_422_naming_where_it_is(body: str, loc: list[Any]) -> None:
    answer = post_json(app_under_test(max_body_bytes=1_000_000), body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == loc


def test_nesting_past_the_bound_is_named_and_within_it_is_taken() -> None:
    client = app_under_test()
    deep = '{"name": "x", "extra": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"
    assert post_json(client, deep).status_code == 422
    shallow = '{"name": "x", "extra": ' + '{"a": ' * 10 + "1" + "}" * 10 + "}"
    assert post_json(client, shallow).status_code == 200


def test_a_good_body_passes_untouched() -> None:
    answer = post_json(app_under_test(), '{"name": "Ada \\u00e9", "at": "2026-03-01T10:00:00+01:00"}')
    assert answer.status_code == 200
    assert answer.json() == {"name": "Ada é"}


def test_query_strings_are_checked_for_text_and_instants() -> None:
    client = app_under_test()
    assert client.get("/things?at=0001-01-01T00:00:00%2B14:00").status_code == 422
    assert client.get("/things?name=a%00b").json()["detail"][0]["loc"] == ["query", "name"]
    assert client.get("/things?name=%ED%A0%80").status_code == 422
    assert client.get("/things?at=2026-01-01T00:00:00Z").status_code == 200


def test_a_body_too_large_is_413_declared_or_chunked() -> None:
    client = app_under_test(max_body_bytes=4096)
    assert post_json(client, json.dumps({"name": "x" * 5000})).status_code == 413

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    answer = client.post("/things", content=chunks(), headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["detail"][0]["type"] == "too_large"


def test_a_form_body_with_nul_is_refused() -> None:
    answer = app_under_test().post(
        "/things", content=b"name=a%00b", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "name"]


def test_a_multipart_body_with_nul_is_refused() -> None:
    answer = app_under_test().post("/things", files={"name": (None, "a\x00b")})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body"]


def test_an_itemwise_route_gets_its_bad_items_to_answer_one_by_one() -> None:
    answer = post_json(app_under_test(), '{"items": [{"a": 1}, {"b": NaN}, {"c": "x\\u0000"}]}', "/batch")
    assert answer.status_code == 200
    assert [e["loc"] for e in answer.json()["errors"]] == [["items", 1, "b"], ["items", 2, "c"]]


def test_repeated_failed_authentication_gets_429_and_good_keys_still_pass() -> None:
    client = app_under_test(failures_per_minute=3)
    assert [client.get("/secret?key=wrong").status_code for _ in range(5)] == [401, 401, 401, 429, 429]
    assert client.get("/secret?key=wrong").headers["retry-after"].isdigit()
    assert client.get("/secret?key=right").status_code == 200  # a good key from a shared address


def test_validation_errors_never_echo_what_cannot_be_encoded() -> None:
    errors = safe_errors(
        [
            {
                "loc": ("body", "x"),
                "msg": "bad",
                "type": "t",
                "input": float("nan"),
                "ctx": {"e": ValueError("v")},
            }
        ]
    )
    assert errors == [{"loc": ["body", "x"], "msg": "bad", "type": "t", "ctx": {"e": "v"}}]
    json.dumps(errors, allow_nan=False)


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),  # noqa: DTZ001 (hypothesis: naive bounds, zones given)
        max_value=datetime(9999, 12, 30),  # noqa: DTZ001
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-14))]),
    )
)
def test_every_instant_is_judged_without_overflow(at: datetime) -> None:
    problem = instant_problem(at)
    assert (problem is None) == (
        EARLIEST <= at.astimezone(UTC) < LATEST if 1970 <= at.year <= 2100 else False
    )


@settings(max_examples=200)
@given(
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
    )
)
def test_a_value_with_no_problem_encodes_as_json_and_utf8(value: Any) -> None:
    if not value_problems(value, limit=1):
        json.dumps(value, allow_nan=False).encode("utf-8")


def test_a_path_with_nul_is_refused() -> None:
    answer = app_under_test().get("/things/a%00b")
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["path"]


def test_a_currency_is_one_the_iso_4217_list_holds() -> None:
    from pydantic import TypeAdapter, ValidationError

    currency = TypeAdapter(Currency)
    assert currency.validate_python("EUR") == "EUR"
    for wrong in ("ZZZ", "eur", "EURO", "€"):
        with pytest.raises(ValidationError):
            currency.validate_python(wrong)


def test_a_day_is_within_the_years_leadloop_takes() -> None:
    from datetime import date

    from pydantic import TypeAdapter, ValidationError

    day = TypeAdapter(Day)
    assert day.validate_python("2026-12-24") == date(2026, 12, 24)
    for wrong in ("0001-01-01", "9999-12-31", "1969-12-31", "2100-01-01"):
        with pytest.raises(ValidationError):
            day.validate_python(wrong)
