"""`make demo`, the README's tour in one command, against the running test system."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.system.fixtures import API_KEY, ROOT, SERVICES, System


def test_make_demo_posts_its_leads_and_sales_steps_and_prints_the_funnel(system: System) -> None:
    urls = {f"{prefix}_URL": f"http://127.0.0.1:{port}" for _, (_, port, prefix) in SERVICES.items()}
    result = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "demo.py")],
        env=os.environ | urls | {"LEADLOOP_API_KEYS": API_KEY, "COLUMNS": "160"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0, report
    assert "Funnel by first-touch source (40 leads posted" in result.stdout, report
    assert "has not projected all of this run" not in result.stdout, report
