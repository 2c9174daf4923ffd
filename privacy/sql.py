"""privacy's hand-written SQL: erasing the audit log's oldest events, which the ORM cannot do past the table's
append-only trigger (portal migration 0003)."""

from __future__ import annotations

import datetime as dt

from django.db import connection

# Under the chain lock: the events before the first one written at or after the cut, as one run from the start
# (a gap anywhere else would break the chain); with none written since, all go (the trim event appended before
# they are deleted is newer than the cut and stays). Never younger than 36 months by the database's clock, the
# floor privacy_audit_trim holds too (PIPL art. 56: records of processing are kept at least three years).
_TRIM_PLAN = (
    "SELECT count(*), max(id), (array_agg(hash ORDER BY id DESC))[1] FROM portal_auditevent WHERE id < COALESCE("
    "(SELECT min(id) FROM portal_auditevent WHERE created_at >= LEAST(%s, now() - interval '36 months')), "
    "(SELECT max(id) + 1 FROM portal_auditevent))"
)


def audit_trim_plan(before: dt.datetime) -> tuple[int, int, str] | None:
    """(how many, last id, last hash) of the events to erase; None: nothing is due."""
    with connection.cursor() as cursor:
        cursor.execute(_TRIM_PLAN, [before])
        count, last_id, last_hash = cursor.fetchone()
    return (count, last_id, last_hash) if count else None


def audit_trim(through_id: int) -> int:
    """Erase the events up to `through_id` through privacy_audit_trim (migration 0001): the application's role may
    only SELECT and INSERT on the log; the function, owned by the table's owner, checks what it is asked to erase."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT privacy_audit_trim(%s)", [through_id])
        return int(cursor.fetchone()[0])
