"""Signing secrets at rest: a database dump holds only Fernet tokens of the tenant ``signing_key``
and webhook ``secret``, useless without ``OMNEO_SECRET_KEY``; everything that signs still works."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.fernet import Fernet, InvalidToken
from typer.testing import CliRunner

from omneo import webhooks
from omneo_server import cli
from omneo_server.db import migrate, secretbox
from omneo_server.db.engine import Database
from omneo_server.db.tables import Tenant, Webhook
from omneo_server.domain import access
from omneo_server.settings import Settings
from tests.conftest import Server, TenantInfo, fresh_database
from tests.e2e.receivers import Receiver, serving
from tests.server.api import Api
from tests.server.test_id_security import forge, id_client, mint, signing_key

#: Delivery timestamps follow the wall clock; accept a day either way, as the webhook tests do.
DAY = 86_400
PREVIOUS_REVISION = "0005"


def raw(server: Server, sql: str, **params: Any) -> str:
    """One value read with plain SQL: what a database dump shows, past the ORM's decryption."""

    async def work() -> str:
        async with server.db.read() as session:
            value: str = (await session.execute(sa.text(sql), params)).scalar_one()
            return value

    return server.run(work())


def stored_secret_count(server: Server) -> int:
    async def work() -> int:
        async with server.db.read() as session:
            tenants = (await session.execute(sa.text("select count(*) from tenants"))).scalar_one()
            hooks = (
                await session.execute(sa.text("select count(*) from webhooks where secret is not null"))
            ).scalar_one()
            return int(tenants) + int(hooks)

    return server.run(work())


def suite_cipher() -> Fernet:
    """The cipher of the key the suite runs with (tests/conftest.py sets it)."""
    return Fernet(os.environ["OMNEO_SECRET_KEY"].split(",")[0])


@pytest.fixture
def api(tenant: TenantInfo) -> Api:
    return Api(tenant)


def test_signing_key_is_stored_encrypted_and_raw_value_signs_nothing(api: Api, tenant: TenantInfo) -> None:
    plaintext = signing_key(tenant)  # through the ORM: still the plaintext
    stored = raw(tenant.server, "select signing_key from tenants where id = :id", id=tenant.id)
    assert stored != plaintext and plaintext not in stored
    assert secretbox.looks_encrypted(stored)
    assert suite_cipher().decrypt(stored.encode()).decode() == plaintext

    profile = api.ok("POST", "/profiles", json={"email": "dumped@example.com"})
    good = mint(tenant, id=profile["id"])
    claims = jwt.decode(good["token"], options={"verify_signature": False})
    header = {"alg": "HS256", "typ": "JWT"}
    with id_client(tenant, None) as http:
        # Someone holding only a database dump cannot sign for any customer...
        from_dump = forge(header, claims, stored)
        assert http.get("/profiles/me", headers={"Authorization": f"Bearer {from_dump}"}).status_code == 401
        # ...while the real key, and the tokens the platform mints with it, work as before.
        assert http.get("/profiles/me", headers={"Authorization": f"Bearer {good['token']}"}).status_code == 200
        by_hand = forge(header, claims, plaintext)
        assert http.get("/profiles/me", headers={"Authorization": f"Bearer {by_hand}"}).status_code == 200


def test_webhook_secret_is_stored_encrypted_and_deliveries_signed_with_the_plaintext(
    api: Api, tenant: TenantInfo
) -> None:
    with serving(Receiver()) as receiver:
        created = api.ok(
            "POST", "/webhooks", json={"trigger": "profile.created", "url": receiver.url, "namespace": "crm"}
        )
        secret = created["secret"]
        assert secret.startswith("whsec_")
        stored = raw(tenant.server, "select secret from webhooks where id = :id", id=created["id"])
        assert stored != secret and secret not in stored and "whsec_" not in stored
        assert suite_cipher().decrypt(stored.encode()).decode() == secret

        api.ok("POST", "/profiles", json={"email": "hooked@example.com"})
        tenant.work()
        [request] = receiver.received

    event = webhooks.verify(request.body, request.headers, secret, tolerance=DAY)
    assert event["type"] == "profile.created" and event["data"]["email"] == "hooked@example.com"
    hosted = request.headers["x-omneo-hmac-sha256"]
    assert hosted == hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert hosted != hmac.new(stored.encode(), request.body, hashlib.sha256).hexdigest()


def test_key_file_is_generated_0600_once_and_read_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(database_url="sqlite+aiosqlite:///:memory:", data_dir=data_dir, secret_key="")
    with caplog.at_level(logging.WARNING, logger="omneo_server.secrets"):
        [key] = secretbox.resolve_keys(settings)
    path = data_dir / secretbox.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == key
    assert [p.name for p in data_dir.iterdir()] == [secretbox.KEY_FILE]  # no draft left behind
    [warning] = [r.getMessage() for r in caplog.records]
    assert str(path) in warning and "unreadable" in warning and "OMNEO_SECRET_KEY" in warning

    # Later starts read the same key; the box it makes round-trips.
    assert secretbox.resolve_keys(settings) == [key]
    box = secretbox.SecretBox(secretbox.resolve_keys(settings))
    assert box.decrypt(box.encrypt("whsec_x")) == "whsec_x"
    assert Fernet(key).decrypt(box.encrypt("k").encode()) == b"k"
    # A configured key wins over the file.
    other = secretbox.new_key()
    assert secretbox.resolve_keys(Settings(data_dir=data_dir, secret_key=f" {other} ,{key}")) == [other, key]


def test_bad_keys_are_refused_without_echoing_them() -> None:
    with pytest.raises(secretbox.SecretKeyError) as bad:
        secretbox.SecretBox(["not-a-fernet-key"])
    assert "not-a-fernet-key" not in str(bad.value)
    token = secretbox.SecretBox([secretbox.new_key()]).encrypt("secret")
    with pytest.raises(secretbox.SecretKeyError):
        secretbox.SecretBox([secretbox.new_key()]).decrypt(token)


@pytest.fixture
def added_keys(server: Server) -> Iterator[list[str]]:
    """Keys a test rotates to; afterwards every stored secret is put back under the suite's key
    and the process's cipher is resolved from the (unchanged) environment again."""
    added: list[str] = []
    yield added
    secretbox.configure([*secretbox.parse_keys(os.environ["OMNEO_SECRET_KEY"]), *added])

    async def back() -> None:
        async with server.db.write() as session:
            connection = await session.connection()
            await connection.run_sync(lambda sync: secretbox.rotate_all(sync))

    server.run(back())
    secretbox.configure(None)


def test_rotate_reencrypts_with_the_new_key_so_the_old_can_go(
    api: Api, tenant: TenantInfo, added_keys: list[str], database_url: str
) -> None:
    original_key = os.environ["OMNEO_SECRET_KEY"]
    hook = api.ok("POST", "/webhooks", json={"trigger": "*", "url": "https://example.com/in", "namespace": "crm"})
    plaintext_key = signing_key(tenant)
    expected = stored_secret_count(tenant.server)
    new = secretbox.new_key()
    added_keys.append(new)
    runner = CliRunner()
    env = {"OMNEO_SECRET_KEY": f"{new},{original_key}", "OMNEO_DATABASE_URL": database_url}

    secretbox.configure(None)  # the command resolves its keys from its environment, as a new process would
    rotated = runner.invoke(cli.app, ["secrets", "rotate"], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert f"Re-encrypted {expected} secret(s)" in rotated.output
    again = runner.invoke(cli.app, ["secrets", "rotate"], env=env)
    assert again.exit_code == 0 and "Re-encrypted 0 secret(s)" in again.output  # all under the new key already

    # Drop the old key: everything still decrypts, with the new one alone.
    secretbox.configure([new])
    stored_key = raw(tenant.server, "select signing_key from tenants where id = :id", id=tenant.id)
    stored_hook = raw(tenant.server, "select secret from webhooks where id = :id", id=hook["id"])
    assert Fernet(new).decrypt(stored_key.encode()).decode() == plaintext_key
    assert Fernet(new).decrypt(stored_hook.encode()).decode() == hook["secret"]
    with pytest.raises(InvalidToken):
        Fernet(original_key).decrypt(stored_key.encode())
    assert signing_key(tenant) == plaintext_key
    profile = api.ok("POST", "/profiles", json={"email": "rotated@example.com"})
    token = mint(tenant, id=profile["id"])["token"]  # reads (and decrypts) the tenant row again
    assert jwt.decode(token, plaintext_key, algorithms=["HS256"])["pid"] == profile["id"]

    # Without the key the secrets were encrypted with, the command says so and changes nothing.
    secretbox.configure(None)
    lost = runner.invoke(cli.app, ["secrets", "rotate"], env={**env, "OMNEO_SECRET_KEY": secretbox.new_key()})
    assert lost.exit_code == 1 and "does not decrypt" in lost.output
    secretbox.configure([new])
    assert raw(tenant.server, "select signing_key from tenants where id = :id", id=tenant.id) == stored_key


def test_new_key_prints_a_usable_key() -> None:
    result = CliRunner().invoke(cli.app, ["secrets", "new-key"])
    assert result.exit_code == 0
    key = result.output.strip()
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"x")) == b"x"


# --- the migration --------------------------------------------------------------------------------


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind the suite runs on."""
    with fresh_database(tmp_path / "old.db") as url:
        yield url


def test_migration_encrypts_existing_plaintext_in_place(fresh_database_url: str) -> None:
    url = fresh_database_url
    config = migrate.alembic_config(url)
    command.upgrade(config, PREVIOUS_REVISION)
    plaintext_key, plaintext_secret = "ab" * 32, "whsec_" + "A" * 32

    async def seed() -> None:
        db = Database(url)
        async with db.write() as session:
            await session.execute(
                sa.text(
                    "insert into tenants (handle, name, signing_key, created_at, updated_at) "
                    "values ('legacy', 'Legacy', :key, current_timestamp, current_timestamp)"
                ),
                {"key": plaintext_key},
            )
            tenant_id = (await session.execute(sa.text("select id from tenants where handle = 'legacy'"))).scalar_one()
            await session.execute(
                sa.text(
                    "insert into webhooks (trigger, url, namespace, is_active, retry_daily, retry_hourly, "
                    "failure_count, secret, tenant_id, created_at, updated_at) values ('*', 'https://example.com/h', "
                    "'crm', true, true, true, 0, :secret, :tenant, current_timestamp, current_timestamp)"
                ),
                {"secret": plaintext_secret, "tenant": tenant_id},
            )
        await db.dispose()

    async def read() -> tuple[str, str, str, str]:
        db = Database(url)
        async with db.read() as session:
            key = (
                await session.execute(sa.text("select signing_key from tenants where handle = 'legacy'"))
            ).scalar_one()
            secret = (await session.execute(sa.text("select secret from webhooks"))).scalar_one()
            orm_key = (
                await session.execute(sa.select(Tenant.signing_key).where(Tenant.handle == "legacy"))
            ).scalar_one()
            orm_secret = (await session.execute(sa.select(Webhook.secret))).scalar_one()
        await db.dispose()
        return key, secret, orm_key, orm_secret

    async def add_tenant() -> str:
        db = Database(url)
        async with db.write() as session:
            tenant = await access.create_tenant(session, "fresh")  # an encrypted key fits the widened column
            key = tenant.signing_key
        await db.dispose()
        return key

    asyncio.run(seed())
    migrate.upgrade(url)
    stored_key, stored_secret, orm_key, orm_secret = asyncio.run(read())
    assert stored_key != plaintext_key and stored_secret != plaintext_secret
    assert suite_cipher().decrypt(stored_key.encode()).decode() == plaintext_key
    assert suite_cipher().decrypt(stored_secret.encode()).decode() == plaintext_secret
    assert (orm_key, orm_secret) == (plaintext_key, plaintext_secret)
    fresh_key = asyncio.run(add_tenant())

    # Upgrading again leaves tokens alone (no double encryption); downgrading decrypts them back.
    migrate.upgrade(url)
    assert asyncio.run(read())[:2] == (stored_key, stored_secret)
    command.downgrade(config, PREVIOUS_REVISION)

    async def plain() -> list[str]:
        db = Database(url)
        async with db.read() as session:
            rows = (await session.execute(sa.text("select signing_key from tenants order by id"))).scalars()
            values = [*rows, (await session.execute(sa.text("select secret from webhooks"))).scalar_one()]
        await db.dispose()
        return values

    assert asyncio.run(plain()) == [plaintext_key, fresh_key, plaintext_secret]
