"""Django's ModelBackend, with the signed-in user and their roles read in the session's own statement.

Every signed-in request loads its session, its user, then the user's roles (portal.access.roles_of:
memberships and whether they are a guardian). Through the ORM those were four queries, each costing more to
build and plan than to run (B3). Here the session store reads all of it in one prepared statement
(portal.session_store), and get_user takes the user from there; asked for anyone else, it reads the same
columns by id in a statement of its own. Other databases (the demo's SQLite) use the ORM as shipped. Sign-in
itself (authenticate, password checks) and the session hash check are Django's, unchanged.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.contrib.auth import backends
from django.db import connection

from portal import access
from portal.models import User
from portal.prepared import Prepared, columns, instance, split

# The user with their active memberships and guardian flag, for a statement whose user table is aliased "u".
USER_COLUMNS = (
    f"{columns(User, 'u')}, m.roles, m.schools, m.districts, "  # noqa: S608 - the model's column names
    "EXISTS (SELECT 1 FROM portal_guardian g WHERE g.user_id = u.id)"
)
USER_ROLES_JOIN = (
    "LEFT JOIN LATERAL (SELECT array_agg(role) AS roles, array_agg(school_id) AS schools, "
    "array_agg(district_id) AS districts FROM portal_membership WHERE user_id = u.id AND active) m ON true"
)
_LOAD = Prepared("user_load", f"SELECT {USER_COLUMNS} FROM portal_user u {USER_ROLES_JOIN} WHERE u.id = %s::bigint")  # noqa: S608 - the model's column names

# The user row the current request's session came with (set by portal.middleware around Django's get_user).
session_user_row: ContextVar[tuple[Any, ...] | None] = ContextVar("session_user_row", default=None)


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: int) -> User | None:  # type: ignore[override]
        if connection.vendor != "postgresql":
            return super().get_user(user_id)  # type: ignore[return-value]
        row = session_user_row.get()
        if row is None or row[0] != user_id:  # not this session's user: read them
            with connection.cursor() as cursor:
                _LOAD.execute(cursor, [user_id])
                row = cursor.fetchone()
        if row is None:
            return None
        user = user_from_row(row)
        return user if self.user_can_authenticate(user) else None


def user_from_row(row: tuple[Any, ...]) -> User:
    """The user from USER_COLUMNS' values, with their roles kept for the request."""
    values, (roles, schools, districts, is_parent) = split(row, User)
    user = instance(User, values)
    access.remember_roles(user, zip(roles or [], schools or [], districts or [], strict=True), is_parent=is_parent)
    return user
