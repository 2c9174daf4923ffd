"""Django's ModelBackend, with the signed-in user and their roles read in one prepared statement.

Every signed-in request loads its user, then its roles (portal.access.roles_of: memberships and whether the
user is a guardian). Through the ORM those were three queries, more costly to build and plan than to run (B3);
here they are one, planned once per kept connection (PostgreSQL; other databases use the ORM as shipped).
Sign-in itself (authenticate, password checks) is Django's unchanged.
"""

from __future__ import annotations

from django.contrib.auth import backends
from django.db import connection

from portal import access
from portal.models import User
from portal.prepared import Prepared, columns, instance, width

_LOAD = Prepared(
    "user_load",
    f"SELECT {columns(User, 'u')}, "  # noqa: S608 - the model's column names
    "m.roles, m.schools, m.districts, EXISTS (SELECT 1 FROM portal_guardian g WHERE g.user_id = u.id) "
    "FROM portal_user u LEFT JOIN LATERAL ("
    "  SELECT array_agg(role) AS roles, array_agg(school_id) AS schools, array_agg(district_id) AS districts"
    "  FROM portal_membership WHERE user_id = u.id AND active) m ON true "
    "WHERE u.id = %s::bigint",
)


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: int) -> User | None:  # type: ignore[override]
        if connection.vendor != "postgresql":
            return super().get_user(user_id)  # type: ignore[return-value]
        with connection.cursor() as cursor:
            _LOAD.execute(cursor, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        n = width(User)
        user = instance(User, row[:n])
        if not self.user_can_authenticate(user):
            return None
        roles, schools, districts, is_parent = row[n:]
        access.remember_roles(user, zip(roles or [], schools or [], districts or [], strict=True), is_parent=is_parent)
        return user
