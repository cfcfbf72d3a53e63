"""Encryption at rest: AES-256-GCM with key ids; what is stored is ciphertext, what the API
returns is the original; `sfagent keys rotate` moves every value to the new key in
resumable batches."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from typer.testing import CliRunner

from sfagent.cli import app as cli
from sfagent.config import Settings
from sfagent.db.engine import bind_tenant, create_engine, create_sessionmaker
from sfagent.security.crypto import (
    Keyring,
    KeyringError,
    generate_key_spec,
    parse_key,
    text_key_id,
)
from sfagent.security.keys import encrypted_columns, key_usage, rotate
from tests.conftest import Harness, HarnessFactory, TenantHandle

OLD_KEY = generate_key_spec("old")
NEW_KEY = generate_key_spec("new")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


# --- the cipher --------------------------------------------------------------------------


def test_a_value_round_trips_and_names_its_key() -> None:
    keyring = Keyring.load(OLD_KEY, None)
    assert keyring is not None
    sealed = keyring.encrypt_text("my trigger fails", "messages.content")
    assert sealed.startswith("enc:v1:old:") and "trigger" not in sealed
    assert text_key_id(sealed) == "old"
    assert keyring.decrypt_text(sealed, "messages.content") == "my trigger fails"
    # A fresh nonce each time: equal plaintexts do not give equal ciphertexts.
    assert keyring.encrypt_text("x", "c") != keyring.encrypt_text("x", "c")


def test_a_value_moved_to_another_field_or_altered_does_not_decrypt() -> None:
    keyring = Keyring.load(OLD_KEY, None)
    assert keyring is not None
    sealed = keyring.encrypt_text("secret", "notification_channels.secret")
    with pytest.raises(KeyringError, match="belongs to another field"):
        keyring.decrypt_text(sealed, "messages.content")
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(KeyringError, match="altered"):
        keyring.decrypt_text(flipped, "notification_channels.secret")


def test_only_the_first_key_encrypts_but_every_key_decrypts() -> None:
    old = Keyring.load(OLD_KEY, None)
    both = Keyring.load(f"{NEW_KEY},{OLD_KEY}", None)
    assert old is not None and both is not None
    written = old.encrypt_bytes(PNG, "attachments.data")
    assert both.decrypt_bytes(written, "attachments.data") == PNG
    assert text_key_id(both.encrypt_text("x", "c")) == "new"
    new_only = Keyring.load(NEW_KEY, None)
    assert new_only is not None
    with pytest.raises(KeyringError, match="key 'old', which is not configured"):
        new_only.decrypt_bytes(written, "attachments.data")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("not base64!", "not valid base64"),
        (base64.b64encode(b"short").decode(), "decodes to 5 bytes; AES-256 needs 32"),
        ("bad id:" + base64.b64encode(bytes(range(32))).decode(), "key id 'bad id'"),
    ],
)
def test_a_malformed_key_is_refused_saying_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(KeyringError, match=message):
        parse_key(spec)


def test_settings_refuse_a_bad_key_and_a_repeated_key_id() -> None:
    with pytest.raises(ValueError, match="SFAGENT_ENCRYPTION_KEY: an encryption key"):
        Settings(encryption_key="abc")
    with pytest.raises(ValueError, match="given twice"):
        Settings(encryption_key=f"{OLD_KEY},{OLD_KEY}")


def test_keys_come_from_a_file_too(tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    key_file.write_text(f"# written by the key manager\n{NEW_KEY}\n{OLD_KEY}\n")
    keyring = Settings(encryption_key_file=key_file).keyring()
    assert keyring is not None and keyring.key_ids == ["new", "old"]
    with pytest.raises(ValueError, match="cannot read the key file"):
        Settings(encryption_key_file=tmp_path / "missing")


def test_an_unnamed_key_gets_an_id_from_its_bytes() -> None:
    key = parse_key(base64.b64encode(bytes(32)).decode())
    assert len(key.key_id) == 8 and "secret" not in repr(key)


# --- in the database -----------------------------------------------------------------------


async def _raw(harness: Harness, tenant: TenantHandle, sql: str) -> list[Any]:
    async with harness.app.state.sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        scoped = text(f"{sql} WHERE organization_id = :org")
        return list((await session.execute(scoped, {"org": tenant.organization_id})).scalars())


async def _conversation_with_everything(harness: Harness, tenant: TenantHandle) -> str:
    conversation = await harness.create_conversation(tenant)
    await harness.say(tenant, "My trigger throws Too many SOQL queries: 101", conversation["id"])
    attached = await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/attachments",
        files={"file": ("shot.png", PNG, "image/png")},
        headers=tenant.headers,
    )
    assert attached.status_code == 201, attached.text
    channel = {
        "name": "ops",
        "method": "webhook",
        "target": "https://hooks.example.com/sfagent",
        "secret": "whsec-0123456789abcdef",
    }
    made = await harness.client.post(
        "/api/v1/admin/notification-channels", json=channel, headers=tenant.headers
    )
    assert made.status_code == 201, made.text
    return str(conversation["id"])


async def test_stored_content_is_ciphertext_and_the_api_returns_the_original(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(encryption_key=_secret(OLD_KEY))
    tenant = await harness.create_tenant()
    conversation_id = await _conversation_with_everything(harness, tenant)

    contents = await _raw(harness, tenant, "SELECT content FROM messages")
    assert contents and all(value.startswith("enc:v1:old:") for value in contents)
    assert not any("SOQL" in value for value in contents)
    analyses = await _raw(harness, tenant, "SELECT analysis FROM messages")
    assert all(value is None or value.startswith("enc:v1:old:") for value in analyses)
    images = await _raw(harness, tenant, "SELECT data FROM attachments")
    assert [bytes(value)[:6] for value in images] == [b"SFENC1"]
    secrets = await _raw(harness, tenant, "SELECT secret FROM notification_channels")
    assert secrets[0].startswith("enc:v1:old:")

    listed = await harness.client.get(
        f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers
    )
    assert listed.status_code == 200, listed.text
    assert "Too many SOQL queries: 101" in listed.text


async def test_rotation_moves_every_value_to_the_new_key_and_can_resume(
    make_harness: HarnessFactory,
) -> None:
    old = await make_harness(encryption_key=_secret(OLD_KEY))
    tenant = await old.create_tenant()
    other = await old.create_tenant()
    await _conversation_with_everything(old, tenant)
    await _conversation_with_everything(old, other)
    ids = [tenant.organization_id, other.organization_id]

    rotated_settings = old.settings.model_copy(
        update={"encryption_key": _secret(f"{NEW_KEY},{OLD_KEY}")}
    )
    engine = create_engine(rotated_settings)
    sessionmaker = create_sessionmaker(engine, writer=True)
    keyring = rotated_settings.keyring()
    assert keyring is not None
    try:
        batches = 0

        def interrupt_after_three(_column: object, _rows: int) -> None:
            nonlocal batches
            batches += 1
            if batches == 3:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            await rotate(
                sessionmaker,
                keyring,
                batch_size=1,
                progress=interrupt_after_three,
                organization_ids=ids,
            )
        partly = await key_usage(sessionmaker, ids)
        assert any("new" in counts for counts in partly.values())
        assert any("old" in counts for counts in partly.values())

        await rotate(sessionmaker, keyring, batch_size=2, organization_ids=ids)
        usage = await key_usage(sessionmaker, ids)
        assert all(set(counts) <= {"new"} for counts in usage.values()), usage
        assert usage["messages.content"]["new"] >= 4

        again = await rotate(sessionmaker, keyring, batch_size=2, organization_ids=ids)
        assert again.total_rewritten == 0
    finally:
        await engine.dispose()

    # The new key alone now reads everything.
    new_only = await make_harness(encryption_key=_secret(NEW_KEY))
    listed = await new_only.client.get("/api/v1/conversations", headers=tenant.headers)
    assert listed.status_code == 200, listed.text


async def test_data_written_before_a_key_is_encrypted_by_rotate_and_decrypt_reverses_it(
    make_harness: HarnessFactory,
) -> None:
    plain = await make_harness()
    tenant = await plain.create_tenant()
    await _conversation_with_everything(plain, tenant)
    assert "My trigger throws Too many SOQL queries: 101" in await _raw(
        plain, tenant, "SELECT content FROM messages"
    )

    settings = plain.settings.model_copy(update={"encryption_key": _secret(NEW_KEY)})
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine, writer=True)
    keyring = settings.keyring()
    assert keyring is not None
    try:
        ids = [tenant.organization_id]
        await rotate(sessionmaker, keyring, organization_ids=ids)
        assert set((await key_usage(sessionmaker, ids))["messages.content"]) == {"new"}
        await rotate(sessionmaker, keyring, to_plaintext=True, organization_ids=ids)
        assert set((await key_usage(sessionmaker, ids))["messages.content"]) == {"plaintext"}
    finally:
        await engine.dispose()


async def test_encrypted_data_without_its_key_is_a_503_not_garbage(
    make_harness: HarnessFactory,
) -> None:
    keyed = await make_harness(encryption_key=_secret(OLD_KEY))
    tenant = await keyed.create_tenant()
    conversation_id = await _conversation_with_everything(keyed, tenant)
    keyless = await make_harness()
    response = await keyless.client.get(
        f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers
    )
    assert response.status_code == 503
    assert response.json()["error"] == "stored data cannot be decrypted with the configured keys"


def test_every_sensitive_column_is_encrypted() -> None:
    labels = {column.label for column in encrypted_columns()}
    assert {
        "messages.content",
        "messages.analysis",
        "attachments.data",
        "notification_channels.target",
        "notification_channels.secret",
        "salesforce_connections.private_key",
        "salesforce_connections.client_secret",
        "escalations.summary",
        "idempotency_records.response_body",
        "outbox_jobs.payload",
        "pii_tokens.value",
    } <= labels


def test_keys_generate_prints_a_usable_key() -> None:
    result = CliRunner().invoke(cli, ["keys", "generate", "--id", "2026-12"])
    assert result.exit_code == 0, result.output
    assert parse_key(result.output.strip()).key_id == "2026-12"


def test_keys_rotate_without_a_key_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SFAGENT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")
    from sfagent.db import migrate

    migrate.upgrade(Settings())
    result = CliRunner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 1
    assert "no encryption key is configured" in result.output


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=500), context=st.text(min_size=1, max_size=40))
def test_any_text_round_trips_and_never_shows_through(value: str, context: str) -> None:
    keyring = Keyring.load(f"{NEW_KEY},{OLD_KEY}", None)
    assert keyring is not None
    sealed = keyring.encrypt_text(value, context)
    assert keyring.decrypt_text(sealed, context) == value
    assert text_key_id(sealed) == "new"
    if len(value) >= 8:
        assert value not in sealed


@settings(max_examples=100, deadline=None)
@given(value=st.binary(max_size=2000))
def test_any_bytes_round_trip(value: bytes) -> None:
    keyring = Keyring.load(OLD_KEY, None)
    assert keyring is not None
    assert (
        keyring.decrypt_bytes(keyring.encrypt_bytes(value, "attachments.data"), "attachments.data")
        == value
    )
