"""portal's hand-written SQL, each statement where a measurement or a rule showed the ORM was not enough.

Each function has the signature its caller needs and says why it is SQL. tests/portal/test_sql.py runs every one
against the database; tests/portal/test_sql_columns.py prepares every statement of every app's sql.py there and
holds each INSERT's column list to its model, so a schema change cannot silently break a statement. What the
measurements were is in docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, models
from psycopg2.extras import execute_values

from portal import access
from portal.models import Delivery, Notification, User
from portal.prepared import Prepared, columns, instance, split

# -- The signed-in request: session, user and roles -------------------------------------------------------------
# Through the ORM every signed-in request read its session, its user, the user's memberships and whether they are
# a guardian: four queries, each costing more to build, plan and send than to run. Here it is one statement,
# planned once per kept connection (portal.session_store, portal.auth_backend).

# The user with their active memberships, guardian flag and unread messages (the count in every page's
# navigation, from a partial index), for a statement whose user table is aliased "u".
USER_COLUMNS = (
    f"{columns(User, 'u')}, m.roles, m.schools, m.districts, "  # noqa: S608 - the model's column names
    "EXISTS (SELECT 1 FROM portal_guardian g WHERE g.user_id = u.id), "
    "(SELECT count(*) FROM portal_inboxmessage i WHERE i.user_id = u.id AND i.read_at IS NULL)"
)
USER_ROLES_JOIN = (
    "LEFT JOIN LATERAL (SELECT array_agg(role) AS roles, array_agg(school_id) AS schools, "
    "array_agg(district_id) AS districts FROM portal_membership WHERE user_id = u.id AND active) m ON true"
)
_SESSION_LOAD = Prepared(
    "session_load",
    f"SELECT s.session_data, {USER_COLUMNS} FROM portal_session s LEFT JOIN portal_user u ON u.id = s.user_id "  # noqa: S608 - the model's column names
    f"{USER_ROLES_JOIN} WHERE s.session_key = %s::varchar AND s.expire_date > %s::timestamptz",
)
_USER_LOAD = Prepared(
    "user_load",
    f"SELECT {USER_COLUMNS} FROM portal_user u {USER_ROLES_JOIN} "  # noqa: S608 - the model's column names
    "WHERE u.id = %s::bigint",
)


def session_load(session_key: str | None, now: dt.datetime) -> tuple[str, tuple[Any, ...] | None] | None:
    """A live session's data with its user's row (USER_COLUMNS' values, None when nobody is signed in), or None
    for a session unknown or expired at `now`."""
    with connection.cursor() as cursor:
        _SESSION_LOAD.execute(cursor, [session_key, now])
        row = cursor.fetchone()
    if row is None:
        return None
    return row[0], (row[1:] if row[1] is not None else None)


def user_load(user_id: int) -> tuple[Any, ...] | None:
    """USER_COLUMNS' values for one user, or None."""
    with connection.cursor() as cursor:
        _USER_LOAD.execute(cursor, [user_id])
        return cursor.fetchone()


def user_from_row(row: tuple[Any, ...]) -> User:
    """The user from USER_COLUMNS' values, with their roles and unread count kept for the request."""
    values, (roles, schools, districts, is_parent, unread) = split(row, User)
    user = instance(User, values)
    access.remember_roles(user, zip(roles or [], schools or [], districts or [], strict=True), is_parent=is_parent)
    user.unread_messages = unread  # type: ignore[attr-defined]
    return user


# -- The audit chain (portal.audit) -----------------------------------------------------------------------------
# Any fixed 64-bit number: the key of the advisory lock that serialises chain writers.
CHAIN_LOCK = 0x5053595F41554454  # "PSY_AUDT"
# Planned at each use, never prepared: a prepared statement without parameters keeps its first plan for the
# connection's life, and on a new database (an empty audit table, its statistics saying so) that plan was a scan
# and sort of the whole table, held under the chain lock while the chain grew. Planned each time, the table's real
# size picks the index.
_CHAIN_HEAD = "SELECT hash FROM portal_auditevent ORDER BY id DESC LIMIT 1"
# One INSERT of arrays, whatever the number of events: Django's bulk_create spent longer compiling a thousand rows
# than PostgreSQL took to write them (scoring writes one event per response), and one event no longer pays for
# planning.
_AUDIT_INSERT = Prepared(
    "audit_insert",
    "INSERT INTO portal_auditevent (created_at, actor_id, actor_username, role, action, object_type, object_id, "
    "student_id, school_id, request_id, detail, prev_hash, hash) "
    "SELECT * FROM unnest(%s::timestamptz[], %s::bigint[], %s::varchar[], %s::varchar[], %s::varchar[], "
    "%s::varchar[], %s::varchar[], %s::bigint[], %s::bigint[], %s::varchar[], %s::jsonb[], %s::varchar[], "
    "%s::varchar[])",
)


def audit_chain_lock() -> str | None:
    """Take the chain's lock until the transaction ends, then read the newest event's hash (None: no event yet).

    One round trip; the hash is read by a statement of its own, so in a snapshot taken after the lock."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_advisory_xact_lock(%s); {_CHAIN_HEAD}", [CHAIN_LOCK])
        last = cursor.fetchone()
    return last[0] if last else None


def audit_insert(rows: list[tuple[Any, ...]]) -> None:
    """Insert chained events: each row holds _AUDIT_INSERT's columns in order, `detail` as JSON text."""
    with connection.cursor() as cursor:
        _AUDIT_INSERT.execute(cursor, [list(column) for column in zip(*rows, strict=True)])


# -- The outbox (portal.notifications) --------------------------------------------------------------------------
# Every booking, alert and reminder writes a notification with its deliveries: one statement instead of three.
# A repeated dedupe_key inserts nothing (ON CONFLICT), even when two writers race.
_NOTIFICATION_WRITE = Prepared(
    "notification_write",
    "WITH n AS (INSERT INTO portal_notification (kind, user_id, guardian_id, student_id, context, dedupe_key, "
    "created_at) VALUES (%s::varchar, %s::bigint, %s::bigint, %s::bigint, %s::jsonb, %s::varchar, %s::timestamptz) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id), "
    "d AS (INSERT INTO portal_delivery (notification_id, channel, address, language, status, attempts, "
    "next_attempt_at, enqueued_at, claimed_at, claim, sent_at, last_error) "
    "SELECT n.id, x.* FROM n, unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::smallint[], "
    "%s::timestamptz[], %s::timestamptz[], %s::timestamptz[], %s::varchar[], %s::timestamptz[], %s::varchar[]) AS x "
    "RETURNING id, status) "
    "SELECT (SELECT id FROM n), ARRAY(SELECT id FROM d WHERE status = 'pending' ORDER BY id)",
)
_DELIVERY_COLUMNS = ("channel", "address", "language", "status", "attempts", "next_attempt_at", "enqueued_at",
                     "claimed_at", "claim", "sent_at", "last_error")  # fmt: skip


def notification_write(notification: Notification, deliveries: list[Delivery]) -> list[int] | None:
    """Insert the notification and its deliveries; the pending deliveries' ids, or None for a repeated key."""
    context = Notification._meta.get_field("context").get_db_prep_save(notification.context, connection)
    with connection.cursor() as cursor:
        _NOTIFICATION_WRITE.execute(cursor, [
            notification.kind, notification.user_id, notification.guardian_id, notification.student_id, context,
            notification.dedupe_key,
            notification.created_at, *([getattr(d, c) for d in deliveries] for c in _DELIVERY_COLUMNS),
        ])  # fmt: skip
        pk, pending = cursor.fetchone()
    if pk is None:
        return None
    notification.pk = pk
    notification._state.adding = False
    return list(pending)


# -- Bulk updates of audited tables (portal.models.audit) -------------------------------------------------------
def bulk_update(model: type[models.Model], objs: list[models.Model], fields: list[str], batch_size: int | None) -> int:
    """QuerySet.bulk_update as one UPDATE ... FROM (VALUES ...) per batch: Django's CASE WHEN per field and row
    took longer to build than to run (scoring 500 responses: about 3 s against 0.1 s). Identifiers come from the
    model's own metadata, values are parameters. The number of rows given."""
    meta = model._meta
    targets = [meta.get_field(name) for name in fields]
    pk = meta.pk
    assert pk is not None  # noqa: S101 - every model has one
    casts = ", ".join(["%s"] + [f"%s::{field.db_type(connection)}" for field in targets])  # type: ignore[union-attr]
    assignments = ", ".join(f'"{f.column}" = v."{f.column}"' for f in targets)  # type: ignore[union-attr]
    names = ", ".join(f'"{name}"' for name in ["_pk", *(f.column for f in targets)])  # type: ignore[union-attr]
    sql = (f'UPDATE "{meta.db_table}" AS t SET {assignments} FROM (VALUES %s) AS v({names}) '  # noqa: S608
           f'WHERE t."{pk.column}" = v."_pk"')  # fmt: skip
    rows = [
        (obj.pk, *(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in targets))  # type: ignore[union-attr]
        for obj in objs
    ]
    step = batch_size or len(rows) or 1
    with connection.cursor() as cursor:
        for start in range(0, len(rows), step):
            execute_values(cursor, sql, rows[start : start + step], template=f"({casts})", page_size=step)
    return len(rows)


# -- Key rotation (portal.encryption) ---------------------------------------------------------------------------
# SQL because the ciphertext itself is what is read and compared: through the ORM, the encrypted field would decrypt
# what it reads and encrypt (with a fresh nonce) what it filters on, so "still holds what was read" never matched.
def encrypted_batch(model: type[models.Model], column: str, after: Any, limit: int) -> list[tuple[Any, str]]:
    """(pk, ciphertext) of the next `limit` rows after pk `after` (None: from the start) that hold a value."""
    table, pk = model._meta.db_table, model._meta.pk.column  # type: ignore[union-attr]
    where = f'WHERE "{pk}" > %s AND ' if after is not None else "WHERE "
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "{pk}", "{column}" FROM "{table}" {where}"{column}" IS NOT NULL AND "{column}" <> \'\' '  # noqa: S608
            f'ORDER BY "{pk}" LIMIT %s',
            [after, limit] if after is not None else [limit],
        )
        return cursor.fetchall()


def encrypted_replace(model: type[models.Model], column: str, pk_value: Any, old: str, new: str) -> None:
    """Replace one row's ciphertext only if it still holds `old`: a save in between is kept, not overwritten."""
    table, pk = model._meta.db_table, model._meta.pk.column  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" SET "{column}" = %s WHERE "{pk}" = %s AND "{column}" = %s',  # noqa: S608
            [new, pk_value, old],
        )
