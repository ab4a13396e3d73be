"""Every report as JSON (its documented shape) or CSV: `Accept: text/csv`, or `format=csv`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import HTTPException, Query, Request, status
from fastapi.responses import Response

Format = Literal["json", "csv"]
FormatParam = Annotated[Format | None, Query(alias="format", description="csv, or send Accept: text/csv")]


def wants_csv(request: Request, format_: Format | None) -> bool:
    if format_ is not None:
        return format_ == "csv"
    return "text/csv" in request.headers.get("accept", "")


# A cell a spreadsheet would run as a formula (OWASP's CSV injection list). Campaign and content
# names come from public forms, so `=HYPERLINK(…)` in a utm_campaign must reach a sheet as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """None is an empty cell; a text a spreadsheet would evaluate gets a leading `'`; numbers stay
    numbers (a negative amount is not a formula)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A CSV file (RFC 4180, a header row) named `name`.csv; None is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def check_window(start: datetime | None, end: datetime | None) -> None:
    """Every report's window: `from` before `to` when both are given, or a 422."""
    if start is not None and end is not None and start >= end:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail="`from` must be before `to`")
