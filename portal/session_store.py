"""Django's database sessions, with whose session it is in a column (portal.models.Session), read in one
prepared statement together with that user and their roles (portal.sql.session_load).

portal.auth_backend takes the user from it. Writing, creating and deleting sessions stay Django's own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.utils import timezone

from portal import sql


class SessionStore(db.SessionStore):
    user_row: tuple[Any, ...] | None = None  # the session's user, as load() read it (portal.auth_backend)

    @classmethod
    def get_model_class(cls):  # type: ignore[no-untyped-def]
        from portal.models import Session

        return Session

    def _validate_session_key(self, key: str | None) -> bool:
        # Our keys are 32 lowercase letters and digits. A cookie's quoted value may decode to anything (a NUL from
        # an octal escape, which PostgreSQL refuses in a string: a 500): then there is no session.
        return key is not None and len(key) >= 8 and key.isascii() and key.isalnum()

    def create_model_instance(self, data: dict[str, Any]):  # type: ignore[no-untyped-def]
        row = super().create_model_instance(data)
        user_id = str(data.get(SESSION_KEY, ""))
        row.user_id = int(user_id) if user_id.isascii() and user_id.isdigit() else None  # type: ignore[attr-defined]
        return row

    def load(self) -> dict[str, Any]:
        found = sql.session_load(self.session_key, timezone.now())
        if found is None:  # unknown or expired: a new, empty session (as Django's own load)
            self._session_key = None
            return {}
        data, self.user_row = found
        return self.decode(data)
