"""`GET /v1/reports/attribution`: every attribution model asked for, side by side."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from leadkit.access import require_role
from leadkit.bounds import Instant
from leadkit.service import Deps, get_deps
from reporting.api.formats import FormatParam, check_window, csv_response, wants_csv
from reporting.db.attribution_aggregates import window_tally
from reporting.domain.attribution import (
    DEFAULT_HALF_LIFE_HOURS,
    MODELS,
    AttributionKey,
    Model,
    Outcome,
    attribute_tally,
)
from reporting.domain.model_formulas import MODEL_FORMULAS

router = APIRouter(prefix="/v1/reports", tags=["reports"], dependencies=[Depends(require_role("viewer"))])


class CreditRead(BaseModel):
    key: str
    conversions: float
    revenue: str = Field(description="A decimal string, to the cent")


class MarkovRead(BaseModel):
    conversion_probability: float
    removal_effects: dict[str, float]
    transitions: dict[str, dict[str, float]] = Field(
        description="From state to state, with `(start)`, `(conversion)` and `(null)` as the ends"
    )


class AttributionRead(BaseModel):
    outcome: Outcome
    group_by: AttributionKey
    start: datetime = Field(serialization_alias="from")
    to: datetime
    half_life_hours: float
    journeys: int = Field(description="Leads whose outcome (or, without one, last touch) is in the window")
    conversions: int
    revenue: str
    models: dict[str, list[CreditRead]] = Field(description="Only the models asked for")
    markov: MarkovRead | None = Field(default=None, description="Present when the Markov model was asked for")


def parse_models(text: str | None) -> list[Model]:
    if not text:
        return list(MODELS)
    asked = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in asked if name not in MODELS]
    if unknown or not asked:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            detail=f"unknown model(s) {', '.join(unknown) or '(none given)'}; allowed: {', '.join(MODELS)}",
        )
    return [model for model in MODELS if model in asked]


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


class ModelFormula(BaseModel):
    model: Model
    formula: str


@router.get(
    "/attribution/models",
    response_model=list[ModelFormula],
    summary="Each attribution model and its formula, in the order the report lists them",
)
async def attribution_models() -> list[ModelFormula]:
    return [ModelFormula(model=model, formula=MODEL_FORMULAS[model]) for model in MODELS]


@router.get(
    "/attribution",
    response_model=AttributionRead,
    response_model_by_alias=True,
    response_model_exclude_none=True,
    summary="Multi-touch attribution: conversions and revenue credited by every model side by side",
)
async def get_attribution(
    request: Request,
    deps: Annotated[Deps, Depends(get_deps)],
    start: Annotated[Instant, Query(alias="from", description="Window start (inclusive)")],
    to: Annotated[Instant, Query(description="Window end (exclusive)")],
    outcome: Annotated[Outcome, Query(description="What counts as a conversion")] = "won",
    group_by: Annotated[AttributionKey, Query(description="The touch field credited")] = "channel",
    models: Annotated[
        str | None,
        Query(max_length=200, description=f"Comma-separated; all when absent: {', '.join(MODELS)}"),
    ] = None,
    half_life_hours: Annotated[float, Query(gt=0, le=24 * 3650)] = DEFAULT_HALF_LIFE_HOURS,
    format_: FormatParam = None,
) -> AttributionRead | Response:
    check_window(start, to)
    chosen = parse_models(models)
    async with deps.pool.acquire() as conn:
        found = await window_tally(
            conn,
            outcome=outcome,
            key=group_by,
            start=start,
            end=to,
            models=chosen,
            half_life_hours=half_life_hours,
        )
    result = attribute_tally(found, chosen)
    if wants_csv(request, format_):
        return csv_response(
            f"attribution-{outcome}-{group_by}",
            ["model", "key", "conversions", "revenue"],
            [
                (model, c.key, c.conversions, _money(c.revenue))
                for model, rows in result.models.items()
                for c in rows
            ],
        )
    chain = result.markov
    return AttributionRead(
        outcome=outcome,
        group_by=group_by,
        start=start,
        to=to,
        half_life_hours=half_life_hours,
        journeys=result.journeys,
        conversions=result.conversions,
        revenue=_money(result.revenue),
        models={
            model: [CreditRead(key=c.key, conversions=c.conversions, revenue=_money(c.revenue)) for c in rows]
            for model, rows in result.models.items()
        },
        markov=None
        if chain is None
        else MarkovRead(
            conversion_probability=round(chain.conversion_probability, 6),
            removal_effects={k: round(v, 6) for k, v in chain.removal_effects.items()},
            transitions=chain.transitions,
        ),
    )
