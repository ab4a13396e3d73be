"""sla-monitor's integration tests run on the real PostgreSQL test database, with a policy kind of
their own (so the test system's active SLA policy is never touched)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest

from leadkit.db import Pool, create_pool
from leadkit.policies import PolicyStore
from leadkit.policy_document import PolicyKind
from leadkit.testing import database_url_for_tests, migrate_test_database
from sla_monitor.delivery.domain.sealing import Sealer, new_sealing_key
from sla_monitor.delivery.domain.targets import TargetRules
from sla_monitor.delivery.sender import SafeSender
from sla_monitor.delivery.sending import Sending
from sla_monitor.domain.sla_policy import parse_sla_policy
from sla_monitor.parts import SlaParts, calendars_check
from tests.receiver import Receiver, served

ROOT = Path(__file__).resolve().parents[3]
DATABASE_URL = database_url_for_tests("sla_monitor")

POLICY = """
[[tiers]]
name = "it"
max_reassignments = 1
nurture = { rejected = "it-rejected", not_now = "it-later", sla_exhausted = "it-rescue" }
accept = { minutes = 30, warn_share = 0.5 }
first_contact = { minutes = 60, on_breach = "notify_manager" }
follow_up = { attempts = 2, days = 1, on_breach = "notify_manager" }
disposition = { minutes = 120, on_breach = "recycle" }
"""


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[Pool]:
    migrate_test_database(ROOT, "sla-monitor")
    pool = await create_pool(DATABASE_URL, size=4)
    yield pool
    await pool.close()


@pytest.fixture
def parts(tmp_path: Path) -> SlaParts:
    document = tmp_path / "policy.toml"
    document.write_text(POLICY)
    kind = PolicyKind(name=f"sla-it-{uuid4().hex[:8]}", parse=parse_sla_policy, default_document=document)
    return SlaParts(policies=PolicyStore(kind, check=calendars_check))


@pytest.fixture
async def sender() -> AsyncIterator[Sending]:
    """What the delivery worker sends with, allowed to reach the test endpoints on 127.0.0.1."""
    rules = TargetRules.of(allow_http=True, allowed=["127.0.0.1/32"])
    found = Sending(SafeSender(rules), Sealer(new_sealing_key()))
    yield found
    await found.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A sales tool's endpoint on 127.0.0.1 that records what it is sent."""
    async with served(Receiver()) as found:
        yield found
