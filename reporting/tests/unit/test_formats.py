"""Report CSVs: what a spreadsheet would evaluate reaches it as text."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from reporting.api.formats import csv_response


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
)
def test_a_cell_that_a_spreadsheet_would_run_is_written_as_text(name: str) -> None:
    body = bytes(csv_response("r", ["campaign", "leads"], [[name, 3]]).body).decode()
    (_, (cell, leads)) = list(csv.reader(io.StringIO(body)))
    assert cell == "'" + name
    assert leads == "3"


def test_numbers_and_plain_text_are_written_as_they_are() -> None:
    body = bytes(
        csv_response("r", ["a", "b", "c", "d"], [["brand-q4", -5, Decimal("-1.50"), None]]).body
    ).decode()
    assert list(csv.reader(io.StringIO(body)))[1] == ["brand-q4", "-5", "-1.50", ""]
