"""Django's database sessions, with whose session it is in a column (portal.models.Session), read in one
prepared statement together with that user and their roles (PostgreSQL).

Every signed-in request reads its session, then its user. Through the ORM that was four queries (session,
user, memberships, guardian check), costing more to build, plan and send than to run (B3); here it is one,
planned once per kept connection. portal.auth_backend takes the user from it. Writing, creating and deleting
sessions stay Django's own. Other databases (the demo's SQLite) read through the ORM as Django ships it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

from portal.auth_backend import USER_COLUMNS, USER_ROLES_JOIN
from portal.prepared import Prepared

_LOAD = Prepared(
    "session_load",
    f"SELECT s.session_data, {USER_COLUMNS} FROM portal_session s LEFT JOIN portal_user u ON u.id = s.user_id "  # noqa: S608 - the model's column names
    f"{USER_ROLES_JOIN} WHERE s.session_key = %s::varchar AND s.expire_date > %s::timestamptz",
)


class SessionStore(db.SessionStore):
    user_row: tuple[Any, ...] | None = None  # the session's user, as load() read it (portal.auth_backend)

    @classmethod
    def get_model_class(cls):  # type: ignore[no-untyped-def]
        from portal.models import Session

        return Session

    def create_model_instance(self, data: dict[str, Any]):  # type: ignore[no-untyped-def]
        row = super().create_model_instance(data)
        user_id = str(data.get(SESSION_KEY, ""))
        row.user_id = int(user_id) if user_id.isascii() and user_id.isdigit() else None  # type: ignore[attr-defined]
        return row

    def load(self) -> dict[str, Any]:
        if connection.vendor != "postgresql":
            return super().load()
        with connection.cursor() as cursor:
            _LOAD.execute(cursor, [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:  # unknown or expired: a new, empty session (as Django's own load)
            self._session_key = None
            return {}
        self.user_row = row[1:] if row[1] is not None else None
        return self.decode(row[0])
