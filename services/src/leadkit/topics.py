"""Logical topic names (the contract) versus the physical names on a cluster (with a prefix)."""

from __future__ import annotations

from dataclasses import dataclass

DLQ_SUFFIX = ".dlq"


def dlq_of(topic: str) -> str:
    return topic + DLQ_SUFFIX


@dataclass(frozen=True)
class TopicNames:
    prefix: str = ""

    def physical(self, topic: str) -> str:
        return self.prefix + topic

    def logical(self, physical: str) -> str:
        return physical.removeprefix(self.prefix)

    def group(self, group_id: str) -> str:
        return self.prefix + group_id
