"""Fixtures of reporting's integration tests: its test database, migrated, and a pool on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from leadkit.db import Pool, create_pool
from leadkit.testing import database_url_for_tests, migrate_test_database

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[Pool]:
    migrate_test_database(ROOT, "reporting")
    pool = await create_pool(database_url_for_tests("reporting"), size=3)
    yield pool
    await pool.close()
