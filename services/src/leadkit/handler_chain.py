"""One topic, several use cases: a service registers one handler per topic, and where two rooms
of it act on the same events (sla-monitor's clocks and its deliveries on lead.qualified, say)
they run in turn, in the same transaction, on the same events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadkit.consumer import Handler, HandlerContext


def in_turn(*handlers: Handler) -> Handler:
    async def each(events: Sequence[Any], ctx: HandlerContext) -> None:
        for handler in handlers:
            await handler(events, ctx)

    return each
