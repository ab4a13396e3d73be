"""The yardstick for capture's throughput: a bare FastAPI endpoint doing one validated insert.

python bench/baseline.py PORT DATABASE_URL
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID, uuid4

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, EmailStr
from sqlalchemy import Column, MetaData, Table, Text, Uuid, insert
from sqlalchemy.ext.asyncio import create_async_engine

metadata = MetaData()
leads = Table(
    "baseline_leads",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", Text),
    Column("first_name", Text),
    Column("utm_source", Text),
)


class LeadIn(BaseModel):
    email: EmailStr
    first_name: str | None = None
    utm_source: str | None = None


class LeadOut(BaseModel):
    lead_id: UUID


def create_app(database_url: str) -> FastAPI:
    engine = create_async_engine(database_url, pool_size=10, max_overflow=10)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/v1/leads", status_code=202)
    async def post_lead(lead: LeadIn) -> LeadOut:
        lead_id = uuid4()
        async with engine.begin() as conn:
            await conn.execute(insert(leads).values(id=lead_id, **lead.model_dump()))
        return LeadOut(lead_id=lead_id)

    return app


if __name__ == "__main__":
    uvicorn.run(
        create_app(sys.argv[2]),
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        access_log=False,
    )
