"""Which line of a TOML policy document a problem's path names, so an editor can show each
problem at its line. Pure.

Python's TOML reader keeps no positions, so the lines are read off the text: each table header
(`[a.b]`, `[[a]]` counting its entries) and each `key = …` line stands for a path, and a
problem's line is the one whose path is the longest prefix of the problem's — the key itself,
else its inline table or its table's header. A syntax error names its own line.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r'^\s*("[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-.]+)\s*=')
_AT_LINE = re.compile(r"at line (\d+)")
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _segments(path: str) -> list[str]:
    """`tiers[0].accept.minutes` → ['tiers', '0', 'accept', 'minutes']."""
    return [name or index for name, index in _PART.findall(path)]


def _dotted(key: str) -> list[str]:
    return [part.strip().strip("\"'") for part in key.split(".")]


def line_of(source: str, path: str, message: str = "") -> int | None:
    """The 1-based line `path` names in `source`, or None (the whole document, or not found)."""
    if path == "$":
        found = _AT_LINE.search(message)
        return int(found.group(1)) if found else None
    wanted = _segments(path)
    arrays: dict[tuple[str, ...], int] = {}
    table: list[str] = []
    best: tuple[int, int] | None = None  # (matched segments, line)
    for number, line in enumerate(source.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            names = _dotted(header.group(2))
            if header.group(1) == "[[":
                key = tuple(names)
                arrays[key] = arrays.get(key, -1) + 1
                table = [*names, str(arrays[key])]
            else:
                table = names
            here = table
        else:
            key_match = _KEY.match(line)
            if not key_match:
                continue
            here = [*table, *_dotted(key_match.group(1))]
        if wanted[: len(here)] == here and (best is None or len(here) >= best[0]):
            best = (len(here), number)
    return None if best is None else best[1]
