"""No input of any shape makes a service answer 5xx: schemathesis fuzzes its OpenAPI document —
all of capture's, and the read side of scoring's and routing's (their writes change the models,
policies and roster every other test relies on; they were fuzzed by hand on a throwaway system)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.system.fixtures import API_KEY, System

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("port", "only", "at_least"),
    [
        (18001, [], 100),
        *(
            (port, ["--include-method", "GET", "--exclude-path-regex", "^/(healthz|readyz|metrics)$"], 20)
            for port in (18002, 18003)
        ),
    ],
    ids=["capture", "scoring-reads", "routing-reads"],
)
def test_no_input_makes_a_service_answer_with_a_server_error(
    system: System, port: int, only: list[str], at_least: int
) -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "run",
            f"http://127.0.0.1:{port}/openapi.json",
            *only,
            "--checks",
            "not_a_server_error",
            "--header",
            f"X-API-Key: {API_KEY}",
            "--max-examples",
            "40",
            "--generation-deterministic",
            "--request-timeout",
            "10",
            "--suppress-health-check",
            "all",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    counts = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert counts, report
    generated, passed = map(int, counts.groups())
    assert generated == passed > at_least, report
