"""The domain is plain Python: no module under a service's `domain/` reaches a database, Kafka or
HTTP, directly or through the kit (DESIGN.md, "Arrows point one way"; the brief, "How we write
code"). Checked by importing each domain module in a fresh interpreter and listing what it loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = sorted(ROOT.glob("*/src/*/**/domain/*.py"))
IO = ("asyncpg", "sqlalchemy", "aiokafka", "httpx", "fastapi", "starlette", "uvicorn")


def module_of(path: Path) -> str:
    src = next(parent for parent in path.parents if parent.name == "src")
    parts = path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("path", DOMAINS, ids=lambda p: module_of(p))
def test_a_domain_module_loads_no_io_library(path: Path) -> None:
    probe = (
        f"import importlib, json, sys; importlib.import_module({module_of(path)!r}); "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(IO)!r}))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert json.loads(loaded.stdout) == []


def test_there_are_domain_modules_to_check() -> None:
    assert len(DOMAINS) > 20
