"""SQL lives in a service's `db/` package: no other module of a service — its API, domain,
handlers, workers or commands — holds a statement, runs one, or builds one with SQLAlchemy (issue
21, "the same rooms in every service"). Read from each module's syntax tree, so a docstring that
mentions SELECT is no hit. (The kit is the services' infrastructure: its stores hold their own.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("capture", "scoring", "routing", "sla-monitor", "reporting")
STATEMENT = re.compile(r"^\s*(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|WITH\s+\w+\s+AS)\b")
RUNS = {
    "fetch",
    "fetchrow",
    "fetchval",
    "execute",
    "executemany",
    "scalars",
    "scalar",
    "copy_records_to_table",
}
BUILDS = {"select", "insert", "update", "delete", "text", "func", "and_", "or_"}
SESSION_CALLS = {"get", "add", "add_all", "delete", "merge", "flush", "stream"}


def modules() -> list[Path]:
    return sorted(
        path
        for service in SERVICES
        for path in (ROOT / service / "src").glob("*/**/*.py")
        if "db" not in path.relative_to(ROOT / service / "src").parts
    )


def sql_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if STATEMENT.match(node.value):
                found.append(f"line {node.lineno}: a statement")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            on_session = isinstance(node.func.value, ast.Name) and node.func.value.id == "session"
            if node.func.attr in RUNS or (on_session and node.func.attr in SESSION_CALLS):
                found.append(f"line {node.lineno}: runs .{node.func.attr}()")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            built = sorted({alias.name for alias in node.names} & BUILDS)
            if built:
                found.append(f"line {node.lineno}: builds with sqlalchemy {', '.join(built)}")
        elif isinstance(node, ast.ImportFrom | ast.Import):
            # a record's values are untyped: records are turned into typed rows in db/ only
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            if any(name.split(".")[0] == "asyncpg" for name in names):
                found.append(f"line {node.lineno}: imports asyncpg")
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sql_outside_db(path: Path) -> None:
    assert sql_in(path) == []


def test_every_service_has_its_rooms() -> None:
    for service in SERVICES:
        package = next((ROOT / service / "src").glob("*/main.py")).parent
        for room in ("api", "db", "domain"):
            assert (package / room / "__init__.py").exists(), f"{service} has no {room}/"
        for module in ("main.py", "settings.py", "workers.py", "cli.py"):
            assert (package / module).exists(), f"{service} has no {module}"


def test_the_check_finds_sql(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text(
        '"""SELECT in a docstring is prose."""\n'
        "from sqlalchemy import select\nfrom asyncpg import Record\n"
        '_Q = """\nSELECT 1\n"""\n'
        "async def f(conn, session):\n    await session.get(Lead, 1)\n    return await conn.fetch(_Q)\n"
    )
    assert [hit.split(":")[0] for hit in sql_in(module)] == ["line 2", "line 3", "line 4", "line 8", "line 9"]
