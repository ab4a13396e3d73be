"""Spend in (`PUT /v1/spend`, JSON or CSV; `leadloop reporting spend import`), and
`GET /v1/reports/roi`: cost per lead, MQL and opportunity, CAC, ROI and ROAS per channel, source
or campaign under any attribution model."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from leadkit.access import require_role
from leadkit.bounds import Currency, Day, Instant
from leadkit.db import Connection
from leadkit.service import Deps, get_deps
from reporting.api.formats import FormatParam, check_window, csv_response, wants_csv
from reporting.db import spend as spend_rows
from reporting.db.attribution_aggregates import window_tally
from reporting.db.funnel import funnel
from reporting.domain.attribution import DEFAULT_HALF_LIFE_HOURS, Model, attribute_tally
from reporting.domain.funnel import NONE_KEY
from reporting.domain.money import Bought, SpendEntry, keys_of, spend_in

router = APIRouter(tags=["money"], dependencies=[Depends(require_role("viewer"))])
MAX_ENTRIES = 10_000
RoiKey = Literal["channel", "source", "campaign"]
Name = Annotated[str | None, Field(default=None, max_length=200)]


class SpendIn(BaseModel):
    """Spend over a period, on a channel, source or campaign (any of them; a campaign's spend names
    its source too, so it counts under both)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    starts: Day = Field(alias="from", description="First day")
    ends: Day = Field(alias="to", description="Last day, inclusive")
    channel: Name
    source: Name
    campaign: Name
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    currency: Currency = Field(description="ISO 4217; reports add amounts as they are")

    @model_validator(mode="after")
    def _consistent(self) -> SpendIn:
        if self.ends < self.starts:
            raise ValueError("`to` is before `from`")
        if not (self.channel or self.source or self.campaign):
            raise ValueError("name a channel, a source or a campaign")
        return self

    def entry(self) -> SpendEntry:
        return SpendEntry(
            self.starts, self.ends, self.channel, self.source, self.campaign, self.amount, self.currency
        )


class SpendBatch(BaseModel):
    entries: list[SpendIn] = Field(min_length=1, max_length=MAX_ENTRIES)


def entries_from_csv(text: str) -> list[SpendIn]:
    """CSV with a header row: from, to, channel, source, campaign, amount, currency. ValidationError
    and ValueError name the line."""
    found = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        values = {k.strip().lower(): v.strip() for k, v in row.items() if k and v and v.strip()}
        try:
            found.append(SpendIn.model_validate(values))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in error.errors()
            )
            raise ValueError(f"line {line}: {problems}") from None
    if not found:
        raise ValueError("the CSV has no rows")
    return found


async def save_spend(conn: Connection, entries: list[SpendIn]) -> int:
    await spend_rows.save_spend(conn, [e.entry() for e in entries])
    return len(entries)


@router.put(
    "/v1/spend",
    dependencies=[Depends(require_role("admin"))],
    summary='Save campaign spend (JSON `{"entries": […]}`, or CSV with Content-Type text/csv)',
    responses={422: {"description": "A wrong entry, named by its place"}},
)
async def put_spend(request: Request, deps: Annotated[Deps, Depends(get_deps)]) -> dict[str, int]:
    body = (await request.body()).decode("utf-8", errors="replace")
    try:
        if request.headers.get("content-type", "").startswith("text/csv"):
            entries = entries_from_csv(body)
        else:
            entries = SpendBatch.model_validate_json(body).entries
    except ValidationError as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, detail=error.errors(include_url=False)
        ) from None
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail=str(error)) from None
    async with deps.pool.acquire() as conn:
        return {"saved": await save_spend(conn, entries)}


class RoiRow(BaseModel):
    key: str
    spend: Decimal
    leads: int
    mqls: int
    opportunities: int
    customers: float = Field(description="Won leads the model credits to the key")
    revenue: Decimal = Field(description="Won revenue the model credits to the key")
    cost_per_lead: Decimal | None
    cost_per_mql: Decimal | None
    cost_per_opportunity: Decimal | None
    cac: Decimal | None
    roi: float | None = Field(description="(revenue - spend) / spend")
    roas: float | None = Field(description="revenue / spend")


class RoiReport(BaseModel):
    group_by: RoiKey
    model: Model
    start: datetime = Field(serialization_alias="from")
    to: datetime
    rows: list[RoiRow]


@router.get(
    "/v1/reports/roi",
    response_model=RoiReport,
    response_model_by_alias=True,
    summary="Cost per lead, MQL and opportunity, CAC, ROI and ROAS, under an attribution model",
)
async def get_roi(
    request: Request,
    deps: Annotated[Deps, Depends(get_deps)],
    start: Annotated[Instant, Query(alias="from")],
    to: Annotated[Instant, Query()],
    group_by: Annotated[RoiKey, Query(description="channel, source or campaign")] = "channel",
    model: Annotated[Model, Query(description="Whose credits make customers and revenue")] = "linear",
    format_: FormatParam = None,
) -> RoiReport | Response:
    check_window(start, to)
    async with deps.pool.acquire() as conn:
        spent = await spend_rows.spend_between(conn, start.date(), to.date())
        # leads, MQLs and opportunities by first touch: the funnel's counts
        counts = {r.key: r for r in await funnel(conn, group_by=group_by, start=start, end=to, where={})}
        found = await window_tally(
            conn,
            outcome="won",
            key=group_by,
            start=start,
            end=to,
            models=[model],
            half_life_hours=DEFAULT_HALF_LIFE_HOURS,
        )
    spend = spend_in(spent, start.date(), to.date(), group_by, NONE_KEY)
    credited = {c.key: c for c in attribute_tally(found, [model]).models[model]}
    rows = []
    for key in keys_of(spend, counts, credited):
        bought = Bought(
            spend=spend.get(key, Decimal("0.00")),
            leads=counts[key].leads if key in counts else 0,
            mqls=counts[key].mqls if key in counts else 0,
            opportunities=counts[key].opportunities if key in counts else 0,
            customers=credited[key].conversions if key in credited else 0.0,
            revenue=credited[key].revenue if key in credited else Decimal("0.00"),
        )
        rows.append(
            RoiRow(key=key, **{name: getattr(bought, name) for name in RoiRow.model_fields if name != "key"})
        )
    if wants_csv(request, format_):
        fields = list(RoiRow.model_fields)
        return csv_response(
            f"roi-{group_by}-{model}", fields, [[getattr(r, f) for f in fields] for r in rows]
        )
    return RoiReport(group_by=group_by, model=model, start=start, to=to, rows=rows)
