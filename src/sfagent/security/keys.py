"""Re-encrypting stored fields: after a key rotation, when encryption is first enabled, or to
decrypt everything before encryption is switched off.

Every encrypted column is found from the models' column types, so a new encrypted column is
rotated without being listed here. Rows are read and written as raw values (no type
processing), in batches by primary key, one transaction per batch and organization: an
interrupted run keeps what it finished, and running it again skips rows already under the
target key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Column, Table, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sfagent.db.base import Base
from sfagent.db.encrypted import EncryptedBytes, EncryptedJSON, EncryptedText
from sfagent.db.engine import bind_tenant
from sfagent.security.crypto import (
    Keyring,
    KeyringError,
    bytes_key_id,
    is_encrypted_bytes,
    is_encrypted_text,
    text_key_id,
)
from sfagent.tenancy.repository import OrganizationRepository

DEFAULT_BATCH = 500
PLAINTEXT = "plaintext"  # the "key id" of a value stored unencrypted

EncryptedType = EncryptedText | EncryptedJSON | EncryptedBytes


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    table: str
    column: str
    context: str
    binary: bool
    tenant_scoped: bool

    @property
    def label(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass
class RotationReport:
    examined: dict[str, int] = field(default_factory=dict)
    rewritten: dict[str, int] = field(default_factory=dict)

    def add(self, column: EncryptedColumn, examined: int, rewritten: int) -> None:
        self.examined[column.label] = self.examined.get(column.label, 0) + examined
        self.rewritten[column.label] = self.rewritten.get(column.label, 0) + rewritten

    @property
    def total_rewritten(self) -> int:
        return sum(self.rewritten.values())


Progress = Callable[[EncryptedColumn, int], None]


def encrypted_columns() -> list[EncryptedColumn]:
    import sfagent.db.models  # noqa: F401  (every table registered on the metadata)

    return sorted(
        (_describe(table, column) for table, column in _walk_encrypted()),
        key=lambda found: found.label,
    )


def _walk_encrypted() -> Iterator[tuple[Table, Column[object]]]:
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText | EncryptedJSON | EncryptedBytes):
                yield table, column


def _describe(table: Table, column: Column[object]) -> EncryptedColumn:
    kind: EncryptedType = column.type  # type: ignore[assignment]
    return EncryptedColumn(
        table=table.name,
        column=column.name,
        context=kind.context,
        binary=isinstance(kind, EncryptedBytes),
        tenant_scoped="organization_id" in table.columns,
    )


def stored_key_id(value: str | bytes) -> str:
    found = bytes_key_id(value) if isinstance(value, bytes) else text_key_id(value)
    return found or PLAINTEXT


def _scopes(column: EncryptedColumn, organizations: Scope) -> list[str | None]:
    """Each organization's rows under its own tenant binding (row-level security), then —
    for a whole-deployment run — the rows that belong to none."""
    if organizations.chosen:
        return list(organizations.ids) if column.tenant_scoped else []
    return [*organizations.ids, None] if column.tenant_scoped else [None]


@dataclass(frozen=True, slots=True)
class Scope:
    ids: list[str]
    chosen: bool  # only these organizations, not the whole deployment


async def _organization_ids(
    sessionmaker: async_sessionmaker[AsyncSession], chosen: Sequence[str] | None
) -> Scope:
    if chosen is not None:
        return Scope(list(chosen), chosen=True)
    async with sessionmaker() as session:
        ids = [org.id for org in await OrganizationRepository(session).list_all()]
    return Scope(ids, chosen=False)


class Reencryptor:
    """Moves each value of a column to the target: the primary key, or plain text."""

    def __init__(self, keyring: Keyring, *, to_plaintext: bool = False) -> None:
        self.keyring = keyring
        self.to_plaintext = to_plaintext
        self.target = PLAINTEXT if to_plaintext else keyring.primary.key_id

    def rewrite(self, column: EncryptedColumn, value: str | bytes) -> str | bytes | None:
        """The value under the target, or None when it is there already."""
        if stored_key_id(value) == self.target:
            return None
        plain = self._plain(column, value)
        if self.to_plaintext:
            return plain
        if isinstance(plain, bytes):
            return self.keyring.encrypt_bytes(plain, column.context)
        return self.keyring.encrypt_text(plain, column.context)

    def _plain(self, column: EncryptedColumn, value: str | bytes) -> str | bytes:
        if isinstance(value, bytes):
            return (
                self.keyring.decrypt_bytes(value, column.context)
                if is_encrypted_bytes(value)
                else value
            )
        if is_encrypted_text(value):
            return self.keyring.decrypt_text(value, column.context)
        return value


async def rotate(
    sessionmaker: async_sessionmaker[AsyncSession],
    keyring: Keyring,
    *,
    to_plaintext: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    organization_ids: Sequence[str] | None = None,
) -> RotationReport:
    """Rewrite every encrypted column's values under the primary key (or as plain text);
    only the given organizations' rows when organization_ids is given."""
    reencryptor = Reencryptor(keyring, to_plaintext=to_plaintext)
    organizations = await _organization_ids(sessionmaker, organization_ids)
    report = RotationReport()
    for column in encrypted_columns():
        for organization_id in _scopes(column, organizations):
            await _rotate_scope(
                sessionmaker, reencryptor, column, organization_id, batch_size, report, progress
            )
    return report


async def _rotate_scope(
    sessionmaker: async_sessionmaker[AsyncSession],
    reencryptor: Reencryptor,
    column: EncryptedColumn,
    organization_id: str | None,
    batch_size: int,
    report: RotationReport,
    progress: Progress | None,
) -> None:
    """One organization's rows of one column (None: rows without an organization)."""
    after = ""
    while True:
        async with sessionmaker() as session, session.begin():
            if organization_id is not None:
                await bind_tenant(session, organization_id)
            rows = await _batch(session, column, organization_id, after, batch_size)
            rewritten = 0
            for row_id, value in rows:
                replacement = _rewrite(reencryptor, column, row_id, value)
                if replacement is not None:
                    await _store(session, column, row_id, replacement)
                    rewritten += 1
        report.add(column, len(rows), rewritten)
        if progress is not None:
            progress(column, len(rows))
        if len(rows) < batch_size:
            return
        after = rows[-1][0]


def _rewrite(
    reencryptor: Reencryptor, column: EncryptedColumn, row_id: str, value: str | bytes | None
) -> str | bytes | None:
    if value is None:
        return None
    try:
        return reencryptor.rewrite(column, value)
    except KeyringError as error:
        raise KeyringError(f"{column.label} row {row_id}: {error}") from None


async def _batch(
    session: AsyncSession,
    column: EncryptedColumn,
    organization_id: str | None,
    after: str,
    batch_size: int,
) -> list[tuple[str, str | bytes | None]]:
    scope = ""
    if column.tenant_scoped:
        scope = (
            "organization_id = :org AND "
            if organization_id is not None
            else "organization_id IS NULL AND "
        )
    statement = text(
        f"SELECT id, {column.column} FROM {column.table} WHERE {scope}id > :after "
        "ORDER BY id LIMIT :limit"
    )
    result = await session.execute(
        statement, {"org": organization_id, "after": after, "limit": batch_size}
    )
    return [(row[0], _raw(row[1])) for row in result.all()]


def _raw(value: object) -> str | bytes | None:
    if value is None or isinstance(value, str | bytes):
        return value
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    raise KeyringError(f"unexpected stored value of type {type(value).__name__}")


async def _store(
    session: AsyncSession, column: EncryptedColumn, row_id: str, value: str | bytes
) -> None:
    await session.execute(
        text(f"UPDATE {column.table} SET {column.column} = :value WHERE id = :id"),
        {"value": value, "id": row_id},
    )


async def key_usage(
    sessionmaker: async_sessionmaker[AsyncSession], organization_ids: Sequence[str] | None = None
) -> dict[str, dict[str, int]]:
    """How many stored values each key id (or plain text) holds, per column."""
    usage: dict[str, dict[str, int]] = {}
    organizations = await _organization_ids(sessionmaker, organization_ids)
    for column in encrypted_columns():
        counts = usage.setdefault(column.label, {})
        for organization_id in _scopes(column, organizations):
            async with sessionmaker() as session, session.begin():
                if organization_id is not None:
                    await bind_tenant(session, organization_id)
                after = ""
                while rows := await _batch(session, column, organization_id, after, DEFAULT_BATCH):
                    for _row_id, value in rows:
                        if value is not None:
                            key_id = stored_key_id(value)
                            counts[key_id] = counts.get(key_id, 0) + 1
                    after = rows[-1][0]
    return usage
