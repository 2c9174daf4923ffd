"""Django's database sessions, read with one prepared statement (PostgreSQL).

Every signed-in request reads its session. Through the ORM that read cost more in building and planning the
query than in running it (B3); here it is planned once per kept connection. Writing, creating and deleting
sessions stay Django's own. Other databases (the demo's SQLite) read through the ORM as Django ships it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

from portal.prepared import Prepared

_LOAD = Prepared(
    "session_load",
    "SELECT session_data FROM django_session WHERE session_key = %s::varchar AND expire_date > %s::timestamptz",
)


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        if connection.vendor != "postgresql":
            return super().load()
        with connection.cursor() as cursor:
            _LOAD.execute(cursor, [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:  # unknown or expired: a new, empty session (as Django's own load)
            self._session_key = None
            return {}
        return self.decode(row[0])
