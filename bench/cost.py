"""What each process of the bench costs, read from /proc: CPU seconds and resident memory.

PostgreSQL runs one process per connection; its cost is the postmaster's own time, its live
backends' and what its exited children left in the postmaster's cumulative child time. A service
is counted the same way with its children (sla-monitor's delivery process is one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    # the fields after the command name, which may itself hold spaces and parentheses
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int, *, with_children: bool = False) -> float:
    fields = _stat(pid)
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if with_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime: exited children
    return ticks / _TICKS


def _own_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb(pid: int) -> float:
    """The process's resident memory and its live children's."""
    total = _own_rss_mb(pid)
    for child in _children(pid):
        try:
            total += _own_rss_mb(child)
        except OSError:  # exited meanwhile
            continue
    return total


def _processes() -> list[tuple[int, int, str, str]]:
    """(pid, parent pid, name, command line) of every process we may read."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat(int(entry.name))
            name = (entry / "comm").read_text().strip()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found.append((int(entry.name), int(fields[1]), name, command))
    return found


@dataclass(frozen=True)
class Infrastructure:
    kafka: int | None
    postmaster: int | None


def find_infrastructure() -> Infrastructure:
    processes = _processes()
    kafka = next((pid for pid, _, _, cmd in processes if "kafka.Kafka" in cmd), None)
    postgres = {pid: ppid for pid, ppid, name, _ in processes if name in ("postgres", "postmaster")}
    postmaster = next((pid for pid, ppid in postgres.items() if ppid not in postgres), None)
    return Infrastructure(kafka, postmaster)


def _children(parent: int) -> list[int]:
    return [pid for pid, ppid, _, _ in _processes() if ppid == parent]


def tree_cpu_seconds(parent: int) -> float:
    """The process's CPU, its exited children's and its live children's."""
    total = cpu_seconds(parent, with_children=True)
    for pid in _children(parent):
        try:
            total += cpu_seconds(pid)
        except OSError:  # exited meanwhile: now in the parent's child time
            continue
    return total


def snapshot(services: dict[str, int], infrastructure: Infrastructure) -> dict[str, float]:
    """CPU seconds so far of each service (by pid), Kafka and PostgreSQL."""
    taken = {name: tree_cpu_seconds(pid) for name, pid in services.items()}
    if infrastructure.kafka is not None:
        taken["kafka"] = cpu_seconds(infrastructure.kafka)
    if infrastructure.postmaster is not None:
        taken["postgresql"] = tree_cpu_seconds(infrastructure.postmaster)
    return taken


def machine_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (every core; /proc/stat's first line less idle
    and iowait)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / _TICKS
