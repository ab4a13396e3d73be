"""Where the CPU goes: py-spy samples of each service, pg_stat_statements of PostgreSQL.

The bench runs one extra, profiled step after the measured ones (py-spy itself takes CPU from
the same two cores, so the measured steps run without it). py-spy samples each service from
outside (`--nonblocking`: the process is never paused) and writes collapsed stacks; this module
folds them into the share of samples per library, counted where the CPU is spent (the innermost
frame, "self") and anywhere on the stack ("inclusive": the time spent in or below a library's
calls), and the functions with the most self samples.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

OWN_DIRS = ("/services/", "/capture/", "/scoring/", "/routing/", "/sla-monitor/", "/reporting/", "/schemas/")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def start_py_spy(pid: int, seconds: int, output: Path, py_spy: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(py_spy),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            "200",
            "--nonblocking",
            "--full-filenames",
            "--format",
            "raw",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# uvloop runs the loop in C: the samples whose innermost Python frame is the runner are the loop's
# own work and the C extensions it calls back without a Python frame (asyncpg's protocol parsing,
# httptools); py-spy leaves out the samples where the thread waits in epoll.
NATIVE_LOOP = "native: uvloop and C-extension callbacks"


def library(path: str, function: str = "") -> str:
    """Which library a source file belongs to: a site-packages name, `leadloop`, or `stdlib:x`."""
    if function == "Runner.run" and path.endswith("asyncio/runners.py"):
        return NATIVE_LOOP
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if path.startswith("<"):
        return "builtin"
    if any(own in path for own in OWN_DIRS):
        return "leadloop"
    match = re.search(r"/lib/python3\.\d+/([^/]+)", path)
    if match:
        return "stdlib:" + match.group(1).removesuffix(".py")
    return path.rsplit("/", 1)[-1]


def summarise(collapsed: str, top: int = 15) -> dict[str, Any]:
    """Shares of samples per library (self and inclusive) and the top self functions."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_FRAME.match(frame) for frame in stack.split(";")]
        parsed = [(m.group("function"), m.group("file")) for m in frames if m]
        if not parsed:
            continue
        total += count
        function, path = parsed[-1]
        own[library(path, function)] += count
        functions[f"{function} ({library(path, function)}: {path.rsplit('/', 1)[-1]})"] += count
        for name in {library(path) for _, path in parsed}:
            inclusive[name] += count

    def shares(counter: Counter[str]) -> dict[str, float]:
        return {name: round(100 * n / total, 1) for name, n in counter.most_common(top)}

    return {
        "samples": total,
        "self_percent_by_library": shares(own),
        "inclusive_percent_by_library": shares(inclusive),
        "top_self_functions_percent": shares(functions),
    }


PG_TOP = """
SELECT d.datname AS database, s.calls, round(s.total_exec_time::numeric, 1) AS total_ms,
       round(s.mean_exec_time::numeric, 3) AS mean_ms, s.rows,
       left(regexp_replace(s.query, '\\s+', ' ', 'g'), 110) AS query
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname LIKE '%_bench'
ORDER BY s.total_exec_time DESC LIMIT 20
"""

PG_BY_DATABASE = """
SELECT d.datname AS database, sum(s.calls) AS calls, round(sum(s.total_exec_time)::numeric, 1) AS total_ms
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname LIKE '%_bench' GROUP BY d.datname ORDER BY 3 DESC
"""
