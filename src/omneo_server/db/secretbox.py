"""Signing secrets encrypted at rest (tenant ``signing_key``, webhook ``secret``).

A database dump alone must not let anyone sign ID tokens or webhook deliveries, so those columns
hold Fernet tokens (AES-128-CBC + HMAC-SHA256). The keys come from ``OMNEO_SECRET_KEY``: one or
more comma-separated Fernet keys, the first encrypts and all decrypt (``MultiFernet``), which is
what makes rotation possible. Without it a key is generated on first use into
``<OMNEO_DATA_DIR>/omneo-secret.key`` (mode 0600) and read back on later starts.

The process's cipher is resolved lazily from :func:`load_settings` on first use, so the API, the
CLI, the worker and the migrations all share it without plumbing; :func:`configure` replaces or
forgets it (tests, rotation). :class:`EncryptedText` is the column type: everything above the
database layer keeps seeing plaintext.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.types import TypeDecorator

from omneo_server.settings import Settings, load_settings

log = logging.getLogger("omneo_server.secrets")

KEY_FILE = "omneo-secret.key"
#: Every column that holds an encrypted secret: (table, primary key, column).
ENCRYPTED_COLUMNS: tuple[tuple[str, str, str], ...] = (("tenants", "id", "signing_key"), ("webhooks", "id", "secret"))
#: First byte of every Fernet token (its version), decoded.
_FERNET_VERSION = 0x80
#: Version, timestamp, IV, one AES block and the HMAC: no Fernet token is shorter.
_FERNET_MIN_BYTES = 1 + 8 + 16 + 16 + 32


class SecretKeyError(RuntimeError):
    """The secret key is missing, malformed, or not the one a stored secret was encrypted with."""


class SecretBox:
    """Encrypts with the first key, decrypts with any of them."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise SecretKeyError("no secret key: set OMNEO_SECRET_KEY to one or more comma-separated Fernet keys")
        try:
            self._primary = Fernet(keys[0])
            self._all = MultiFernet([Fernet(key) for key in keys])
        except ValueError:  # binascii.Error is one too
            # Never echo the key itself: it may be a real one with a typo.
            raise SecretKeyError(
                "a secret key is not a Fernet key (32 url-safe base64 bytes); "
                "make one with `omneo-server secrets new-key`"
            ) from None

    def encrypt(self, plaintext: str) -> str:
        return self._all.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                "a stored secret does not decrypt with any key of OMNEO_SECRET_KEY (or omneo-secret.key): "
                "the key it was encrypted with is missing"
            ) from None

    def rotate(self, token: str) -> str | None:
        """``token`` re-encrypted with the first key, or ``None`` when it already is."""
        try:
            self._primary.decrypt(token.encode())
            return None
        except InvalidToken:
            pass
        try:
            return self._all.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                "a stored secret does not decrypt with any key of OMNEO_SECRET_KEY: keep the old key in the list "
                "(OMNEO_SECRET_KEY=new,old) until `omneo-server secrets rotate` has run"
            ) from None


def new_key() -> str:
    """A fresh random key, in the form ``OMNEO_SECRET_KEY`` takes."""
    return Fernet.generate_key().decode()


def looks_encrypted(value: str) -> bool:
    """Whether ``value`` is shaped like a Fernet token (plaintext secrets are hex or ``whsec_…``)."""
    try:
        raw = base64.urlsafe_b64decode(value.encode())
    except ValueError:  # binascii.Error included: not base64 at all
        return False
    return len(raw) >= _FERNET_MIN_BYTES and raw[0] == _FERNET_VERSION


def parse_keys(text: str) -> list[str]:
    return [key.strip() for key in text.split(",") if key.strip()]


def resolve_keys(settings: Settings) -> list[str]:
    """The keys of ``OMNEO_SECRET_KEY`` or, when it is unset, of the key file in ``data_dir``
    (generated on first use)."""
    if configured := parse_keys(settings.secret_key):
        return configured
    path = settings.data_dir / KEY_FILE
    if path.exists():
        keys = parse_keys(path.read_text())
        log.warning(
            "OMNEO_SECRET_KEY is not set: signing secrets are encrypted with the key in %s. Losing that file "
            "makes the stored secrets unreadable; in production set OMNEO_SECRET_KEY instead.",
            path,
        )
    else:
        keys = [_generate_key_file(path)]
        log.warning(
            "OMNEO_SECRET_KEY is not set: generated a secret key into %s (mode 0600). It encrypts the stored "
            "signing secrets: back it up, because losing it makes them unreadable. In production set "
            "OMNEO_SECRET_KEY (make a key with `omneo-server secrets new-key`).",
            path,
        )
    if not keys:
        raise SecretKeyError(f"{path} holds no key")
    return keys


def _generate_key_file(path: Path) -> str:
    """Write a fresh key to ``path`` (0600) and return it; if another process got there first,
    return its key instead, so two processes starting together never hold different keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    draft = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, f"{key}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        # A hard link appears complete and fails if the file exists: no reader sees half a key.
        os.link(draft, path)
    except FileExistsError:
        return parse_keys(path.read_text())[0]
    finally:
        draft.unlink()
    return key


_lock = threading.Lock()
_box: SecretBox | None = None


def box() -> SecretBox:
    """The process's cipher, resolved from the settings on first use."""
    global _box
    if _box is None:
        with _lock:
            if _box is None:
                _box = SecretBox(resolve_keys(load_settings()))
    return _box


def configure(keys: Sequence[str] | None) -> None:
    """Use ``keys`` from now on, or with ``None`` resolve them again from the settings on next use."""
    global _box
    with _lock:
        _box = SecretBox(keys) if keys is not None else None


class EncryptedText(TypeDecorator[str]):
    """Text stored as a Fernet token: encrypted on the way in, decrypted on the way out."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        # SQLite keeps these columns' original VARCHAR(128) (it ignores lengths, and changing a type
        # there recreates the table, cascading deletes): an unsized VARCHAR is what autogenerate
        # then finds unchanged. Everywhere else they are TEXT.
        return sa.String() if dialect.name == "sqlite" else sa.Text()

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else box().encrypt(value)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> str | None:
        return None if value is None else box().decrypt(str(value))


def rewrite(
    connection: Connection, change: Callable[[str], str | None], columns: Sequence[tuple[str, str, str]]
) -> int:
    """Apply ``change`` to every stored value of ``columns`` (read raw, past :class:`EncryptedText`),
    writing back those it returns a new value for; returns how many it wrote."""
    written = 0
    for table_name, key_name, column_name in columns:
        # Plain Text, not EncryptedText: these are the stored tokens themselves.
        key: sa.ColumnClause[Any] = sa.column(key_name)
        column = sa.column(column_name, sa.Text)
        table = sa.table(table_name, key, column)
        rows = connection.execute(sa.select(key, column).where(column.is_not(None))).all()
        updates = [{"row_key": row_key, "new_value": new} for row_key, old in rows if (new := change(old)) is not None]
        if updates:
            statement = (
                sa.update(table).where(key == sa.bindparam("row_key")).values({column_name: sa.bindparam("new_value")})
            )
            connection.execute(statement, updates)
            written += len(updates)
    return written


def encrypt_plaintext(
    connection: Connection, columns: Sequence[tuple[str, str, str]], cipher: SecretBox | None = None
) -> int:
    """Encrypt every value of ``columns`` still stored in plain text (the migration to this scheme)."""
    current = cipher or box()
    return rewrite(connection, lambda value: None if looks_encrypted(value) else current.encrypt(value), columns)


def rotate_all(connection: Connection, cipher: SecretBox | None = None) -> int:
    """Re-encrypt with the first key every stored secret that is encrypted with another one."""
    return rewrite(connection, (cipher or box()).rotate, ENCRYPTED_COLUMNS)
