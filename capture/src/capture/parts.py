"""What capture's routes and workers share, built once from the settings: `Deps.extras`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from capture.limits import Limiters
from leadkit.next_due import NextDue
from leadkit.service import Deps, parts_of

if TYPE_CHECKING:
    from capture.keys import KeyAuth
    from capture.shared_writes import SharedWrites


@dataclass(frozen=True)
class CaptureParts:
    key_auth: KeyAuth
    limiters: Limiters
    # the platform fetcher's rest: until the next retry is due, or a webhook parks a lead
    fetches_due: NextDue
    # plain single leads that arrive while others are being written share the next statement
    shared_writes: SharedWrites


def capture_parts(deps: Deps) -> CaptureParts:
    return parts_of(deps, CaptureParts)
