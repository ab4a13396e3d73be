"""What capture's routes and workers share, built once from the settings: `Deps.extras`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from capture.limits import Limiters
from leadkit.service import Deps, parts_of

if TYPE_CHECKING:
    from capture.keys import KeyAuth


@dataclass(frozen=True)
class CaptureParts:
    key_auth: KeyAuth
    limiters: Limiters
    fetcher_wake: asyncio.Event  # set when a webhook parked a lead for the fetcher


def capture_parts(deps: Deps) -> CaptureParts:
    return parts_of(deps, CaptureParts)
