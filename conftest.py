"""Fixtures shared by every test suite (one conftest, so test modules need no packages)."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.system.fixtures", "tests.system.browser"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Mark by location, so `make test-unit` can leave out whatever needs the infrastructure.
    for item in items:
        path = str(item.path)
        if "/integration/" in path:
            item.add_marker(pytest.mark.integration)
        elif "/system/" in path:
            item.add_marker(pytest.mark.system)
