"""The progress bar every `leadloop import …` command shows (rich), one look for all of them."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


def import_progress(console: Console) -> Progress:
    """`importing ━━━━━━━━ 1200/5000 0:00:07`: add a task with the row count, advance it per row."""
    return Progress(
        TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    )
