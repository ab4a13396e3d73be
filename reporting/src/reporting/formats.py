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


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A CSV file (RFC 4180, a header row) named `name`.csv; None is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def check_window(start: datetime | None, end: datetime | None) -> None:
    """Every report's window: `from` before `to` when both are given, or a 422."""
    if start is not None and end is not None and start >= end:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail="`from` must be before `to`")
