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
    from django.db import transaction

    from portal import sql

    done: dict[str, int] = {}
    for model, encrypted in encrypted_fields():
        count = 0
        last = None
        while True:
            # The ciphertext itself is rotated: no plaintext passes through the ORM or the audit log.
            with transaction.atomic():
                rows = sql.encrypted_batch(model, encrypted.column, last, batch_size)
                for row_pk, token in rows:
                    sql.encrypted_replace(model, encrypted.column, row_pk, token, rotate(token))
            if not rows:
                break
            count += len(rows)
            last = rows[-1][0]
        done[f"{model._meta.label}.{encrypted.name}"] = count
    return done
