"""Policies as versioned documents: scoring models, routing policies and SLA policies share this.

A document (TOML or JSON) is posted as a draft; it is validated on save, and a document with
wrong parts is refused with every part's path (`rules[3].op`), so nothing invalid is ever stored.
Versions are numbered per kind, 1, 2, 3…, and never change once saved. Activating a version
appends to an activation log; the active version is the last one activated, so every instance
of a service agrees on it by reading one row, and rolling back activates the version that was
active before. A service supplies only its kind: a name, a parser from the document to its own
typed value, and the default document shipped in the repository (version 1 of an empty store).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, Integer, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB

from leadkit.db import Connection
from leadkit.policy_document import (
    Format,
    InvalidPolicy,
    NothingToRollBack,
    PolicyKind,
    Problem,
    UnknownVersion,
    distinct,
    read_document,
)

T = TypeVar("T")


@dataclass(frozen=True)
class PolicyVersion:
    kind: str
    version: int
    document: dict[str, Any]
    source: str
    format: str
    note: str | None
    created_at: datetime
    active: bool
    created_by: str | None = None  # who saved it: a key's name, the CLI; None: the shipped default


@dataclass(frozen=True)
class Activation:
    kind: str
    version: int
    action: str  # default | activate | rollback
    note: str | None
    activated_at: datetime
    by: str | None = None  # who: a console key's name, system-<n>, the CLI; None: the default


def policy_tables(metadata: MetaData) -> tuple[Table, Table]:
    versions = Table(
        "policy_versions",
        metadata,
        Column("kind", Text, primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("document", JSONB, nullable=False, comment="the parsed document, as validated"),
        Column("source", Text, nullable=False, comment="the text as posted"),
        Column("format", Text, nullable=False),
        Column("note", Text, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("created_by", Text, nullable=True, comment="who saved it: a key's name or the CLI"),
        comment="immutable: a version is never updated or deleted",
    )
    activations = Table(
        "policy_activations",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("kind", Text, nullable=False),
        Column("version", Integer, nullable=False),
        Column("action", Text, nullable=False, comment="default | activate | rollback"),
        Column("note", Text, nullable=True),
        Column("activated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column(
            "activated_by", Text, nullable=True, comment="who: a key's name or the CLI; null: the default"
        ),
        Index("ix_policy_activations_kind_id", "kind", "id"),
        comment="append-only: the active version of a kind is its last row",
    )
    return versions, activations


# Versions are immutable in the database too, not only by convention in the code: the migration
# that creates a service's policy tables runs these (and the drops on downgrade).
IMMUTABLE_VERSIONS = (
    "CREATE FUNCTION policy_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'policy versions are immutable: save a new version'; END $$",
    "CREATE TRIGGER policy_versions_immutable BEFORE UPDATE OR DELETE ON policy_versions "
    "FOR EACH ROW EXECUTE FUNCTION policy_versions_immutable()",
)
DROP_IMMUTABLE_VERSIONS = (
    "DROP TRIGGER policy_versions_immutable ON policy_versions",
    "DROP FUNCTION policy_versions_immutable()",
)

_LOCK = "SELECT pg_advisory_xact_lock(hashtext('leadloop-policy:' || $1))"
_ACTIVE_VERSION = "SELECT version FROM policy_activations WHERE kind = $1 ORDER BY id DESC LIMIT 1"
_ACTIVE_AT = """
SELECT version FROM policy_activations WHERE kind = $1 AND activated_at <= $2 ORDER BY id DESC LIMIT 1
"""
_FIRST_ACTIVE = "SELECT version FROM policy_activations WHERE kind = $1 ORDER BY id LIMIT 1"
_NEXT_VERSION = "SELECT coalesce(max(version), 0) + 1 FROM policy_versions WHERE kind = $1"
_INSERT_VERSION = """
INSERT INTO policy_versions (kind, version, document, source, format, note, created_by)
VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7) RETURNING created_at
"""
_VERSIONS = """
SELECT version, document::text AS document, source, format, note, created_at, created_by FROM policy_versions
WHERE kind = $1 AND ($2::int IS NULL OR version = $2) ORDER BY version
"""
_ACTIVATE = """
INSERT INTO policy_activations (kind, version, action, note, activated_by) VALUES ($1, $2, $3, $4, $5)
RETURNING activated_at
"""
_ACTIVATIONS = """
SELECT version, action, note, activated_at, activated_by FROM policy_activations WHERE kind = $1
ORDER BY id DESC LIMIT $2
"""


class PolicyStore(Generic[T]):
    """One kind's versions in the service's own database. Parsed versions are cached by number:
    a version never changes, so the cache never goes stale; which one is active is read from the
    database each time it is asked, so every instance follows an activation at once."""

    def __init__(
        self,
        kind: PolicyKind[T],
        *,
        on_activated: Callable[[Connection, int], Awaitable[None]] | None = None,
        check: Callable[[Connection, dict[str, Any], T | None], Awaitable[list[Problem]]] | None = None,
    ) -> None:
        """`on_activated` runs inside an activation's (or a rollback's) transaction, so whatever it
        writes (a re-score job, say) commits with the activation or not at all. `check` tests a
        parsed document against the service's own data (a team the roster lacks) when it is saved,
        validated, activated or rolled back to: a version valid when saved may name a rep deleted
        since."""
        self.kind = kind
        self._on_activated = on_activated
        self._check = check
        self._parsed: dict[int, T] = {}
        self._seeded = False

    async def _seed(self, conn: Connection) -> None:
        """Every public call first makes sure an empty store has its default (once a process)."""
        if not self._seeded:
            await self.ensure_default(conn)
            self._seeded = True

    def validate(self, text: str, format: Format) -> tuple[dict[str, Any], T]:
        document = read_document(text, format)
        return document, self.kind.parse(document)

    async def checked(self, conn: Connection, text: str, format: Format) -> tuple[dict[str, Any], T]:
        """`validate`, then the service's `check` against its data; InvalidPolicy names every part
        in one answer: the check runs on the document even when it does not parse (it is handed
        None for the parsed value then)."""
        document = read_document(text, format)
        try:
            parsed = self.kind.parse(document)
        except InvalidPolicy as invalid:
            found = await self._check(conn, document, None) if self._check is not None else []
            raise InvalidPolicy(distinct([*invalid.problems, *found])) from invalid
        await self._check_parsed(conn, document, parsed)
        return document, parsed

    async def _check_parsed(self, conn: Connection, document: dict[str, Any], parsed: T) -> None:
        if self._check is not None:
            problems = await self._check(conn, document, parsed)
            if problems:
                raise InvalidPolicy(problems)

    async def ensure_default(self, conn: Connection) -> None:
        """An empty store gets the shipped default as version 1, active. Safe to race."""
        async with conn.transaction():
            await conn.execute(_LOCK, self.kind.name)
            if await conn.fetchval(_ACTIVE_VERSION, self.kind.name) is not None:
                return
            text = self.kind.default_document.read_text()
            checked = self.validate(text, "toml")
            saved = await self._save(conn, text, "toml", "the default shipped with leadloop", checked, None)
            await conn.execute(_ACTIVATE, self.kind.name, saved.version, "default", None, None)

    async def draft(
        self, conn: Connection, text: str, format: Format, note: str | None = None, *, by: str | None = None
    ) -> PolicyVersion:
        """Validate and save a new version (not active). InvalidPolicy names every wrong part."""
        await self._seed(conn)
        checked = await self.checked(conn, text, format)
        async with conn.transaction():
            await conn.execute(_LOCK, self.kind.name)
            return await self._save(conn, text, format, note, checked, by)

    async def _save(
        self,
        conn: Connection,
        text: str,
        format: Format,
        note: str | None,
        checked: tuple[dict[str, Any], T],
        by: str | None,
    ) -> PolicyVersion:
        document, parsed = checked
        version = await conn.fetchval(_NEXT_VERSION, self.kind.name)
        created_at = await conn.fetchval(
            _INSERT_VERSION, self.kind.name, version, json.dumps(document), text, format, note, by
        )
        self._parsed[version] = parsed
        return PolicyVersion(self.kind.name, version, document, text, format, note, created_at, False, by)

    async def versions(self, conn: Connection, version: int | None = None) -> list[PolicyVersion]:
        await self._seed(conn)
        active = await conn.fetchval(_ACTIVE_VERSION, self.kind.name)
        return [
            PolicyVersion(
                self.kind.name,
                row["version"],
                json.loads(row["document"]),
                row["source"],
                row["format"],
                row["note"],
                row["created_at"],
                row["version"] == active,
                row["created_by"],
            )
            for row in await conn.fetch(_VERSIONS, self.kind.name, version)
        ]

    async def version(self, conn: Connection, version: int) -> PolicyVersion:
        found = await self.versions(conn, version)
        if not found:
            raise UnknownVersion(f"{self.kind.name} version {version} does not exist")
        return found[0]

    async def activate(
        self, conn: Connection, version: int, note: str | None = None, *, by: str | None = None
    ) -> Activation:
        await self._seed(conn)
        async with conn.transaction():
            await conn.execute(_LOCK, self.kind.name)
            found = await self.version(conn, version)
            await self._check_parsed(conn, found.document, await self.parsed(conn, version))
            return await self._activate(conn, version, "activate", note, by)

    async def rollback(
        self, conn: Connection, note: str | None = None, *, by: str | None = None
    ) -> Activation:
        """Activate again the version that was active before the current one."""
        await self._seed(conn)
        async with conn.transaction():
            await conn.execute(_LOCK, self.kind.name)
            log = await conn.fetch(_ACTIVATIONS, self.kind.name, 1000)
            current = log[0]["version"] if log else None
            earlier = next((row["version"] for row in log if row["version"] != current), None)
            if earlier is None:
                raise NothingToRollBack(f"no earlier {self.kind.name} version has been active")
            found = await self.version(conn, earlier)
            await self._check_parsed(conn, found.document, await self.parsed(conn, earlier))
            return await self._activate(conn, earlier, "rollback", note, by)

    async def _activate(
        self, conn: Connection, version: int, action: str, note: str | None, by: str | None
    ) -> Activation:
        activated_at = await conn.fetchval(_ACTIVATE, self.kind.name, version, action, note, by)
        if self._on_activated is not None:
            await self._on_activated(conn, version)
        return Activation(self.kind.name, version, action, note, activated_at, by)

    async def activations(self, conn: Connection, limit: int = 100) -> list[Activation]:
        await self._seed(conn)
        return [
            Activation(
                self.kind.name,
                row["version"],
                row["action"],
                row["note"],
                row["activated_at"],
                row["activated_by"],
            )
            for row in await conn.fetch(_ACTIVATIONS, self.kind.name, limit)
        ]

    async def active(self, conn: Connection) -> tuple[int, T]:
        """The active version and its parsed value: one small statement; parsed once per version."""
        await self._seed(conn)
        version: int | None = await conn.fetchval(_ACTIVE_VERSION, self.kind.name)
        if version is None:
            raise UnknownVersion(f"no {self.kind.name} version is active")
        return version, await self.parsed(conn, version)

    async def active_at(self, conn: Connection, at: datetime) -> tuple[int, T]:
        """The version that was active at `at` (the first one, for an instant before any activation)."""
        await self._seed(conn)
        version: int | None = await conn.fetchval(_ACTIVE_AT, self.kind.name, at)
        if version is None:
            version = await conn.fetchval(_FIRST_ACTIVE, self.kind.name)
            assert version is not None  # seeded above
        return version, await self.parsed(conn, version)

    async def parsed(self, conn: Connection, version: int) -> T:
        if version not in self._parsed:
            self._parsed[version] = self.kind.parse((await self.version(conn, version)).document)
        return self._parsed[version]
