"""Django's ModelBackend, with the signed-in user and their roles read in the session's own statement.

The session store reads session, user and roles in one prepared statement (portal.session_store,
portal.sql.session_load), and get_user takes the user from there; asked for anyone else, it reads the same
columns by id (portal.sql.user_load). Sign-in itself (authenticate, password checks) and the session hash check
are Django's, unchanged.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.contrib.auth import backends

from portal import sql
from portal.models import User

# The user row the current request's session came with (set by portal.middleware around Django's get_user).
session_user_row: ContextVar[tuple[Any, ...] | None] = ContextVar("session_user_row", default=None)


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: int) -> User | None:  # type: ignore[override]
        row = session_user_row.get()
        if row is None or row[0] != user_id:  # not this session's user: read them
            row = sql.user_load(user_id)
        if row is None:
            return None
        user = sql.user_from_row(row)
        return user if self.user_can_authenticate(user) else None
