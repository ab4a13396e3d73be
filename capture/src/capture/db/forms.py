"""The `forms` table: website forms that post straight from browsers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from capture.db.tables import Form


async def form_by_id(session: AsyncSession, form_id: str) -> Form | None:
    return await session.get(Form, form_id)


async def form_with_public_key(session: AsyncSession, key: str) -> Form | None:
    form: Form | None = await session.scalar(select(Form).where(Form.public_key == key))
    return form


async def all_forms(session: AsyncSession) -> list[Form]:
    return list((await session.scalars(select(Form).order_by(Form.id))).all())


def add_form(session: AsyncSession, form: Form) -> None:
    """A new form, written when the session's transaction commits."""
    session.add(form)
