"""Encryption at rest for free text (case notes, session notes, mailbox and inbox messages).

Keys come from FIELD_ENCRYPTION_KEYS (comma-separated Fernet keys): the first encrypts, all of them
decrypt, so a new key is added in front, `manage.py encryption rotate` re-encrypts every row with it,
and the old key is removed afterwards. A value no key can decrypt raises: it is never shown as ciphertext.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models


class DecryptionError(Exception):
    """No configured key decrypts this value (a missing or wrong FIELD_ENCRYPTION_KEYS entry)."""


@lru_cache(maxsize=1)
def _keys() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key") from exc


def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting == "FIELD_ENCRYPTION_KEYS":
        _keys.cache_clear()


setting_changed.connect(_reset)


def encrypt(text: str) -> str:
    return _keys().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("no key in FIELD_ENCRYPTION_KEYS decrypts this value") from exc


def rotate(token: str) -> str:
    """Re-encrypt with the first key, keeping the original timestamp."""
    try:
        return _keys().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("no key in FIELD_ENCRYPTION_KEYS decrypts this value") from exc


class EncryptedTextField(models.TextField):
    """A TextField stored as Fernet ciphertext. None and "" are stored as they are.

    It cannot be searched or ordered on: the database only ever sees ciphertext.
    """

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value)


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    return [
        (model, f)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedTextField)
    ]


def rotate_all(*, batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every encrypted value with the newest key. Returns rows rewritten per field."""
    from django.db import connection, transaction

    done: dict[str, int] = {}
    for model, encrypted in encrypted_fields():
        name, column = encrypted.name, encrypted.column
        table = model._meta.db_table
        pk = model._meta.pk.column  # type: ignore[union-attr]
        count = 0
        last = None
        while True:
            # Raw SQL: the ciphertext itself is rotated, so no plaintext passes through memory or the audit log.
            with transaction.atomic(), connection.cursor() as cursor:
                where = f"WHERE {pk} > %s AND " if last is not None else "WHERE "
                cursor.execute(
                    f"SELECT {pk}, {column} FROM {table} {where}{column} IS NOT NULL AND {column} <> '' "  # noqa: S608
                    f"ORDER BY {pk} LIMIT %s",
                    [last, batch_size] if last is not None else [batch_size],
                )
                rows = cursor.fetchall()
                for row_pk, token in rows:
                    # Only if the row still holds what was read: a save in between is kept, not overwritten
                    # (it is encrypted with the newest key already).
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s",  # noqa: S608
                        [rotate(token), row_pk, token],
                    )
            if not rows:
                break
            count += len(rows)
            last = rows[-1][0]
        done[f"{model._meta.label}.{name}"] = count
    return done
