"""No input of any shape makes capture answer 5xx: schemathesis fuzzes its OpenAPI document."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.system.fixtures import API_KEY, System

ROOT = Path(__file__).resolve().parents[2]


def test_capture_answers_no_input_with_a_server_error(system: System) -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "run",
            "http://127.0.0.1:18001/openapi.json",
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
    assert generated == passed > 100, report
