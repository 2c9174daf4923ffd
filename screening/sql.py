"""screening's hand-written SQL: a school kiosk's whole questionnaire, submitted in two statements.

A city's students answer in the same few weeks, many classes at once: through the ORM the submission was a dozen
queries that took longer to compile than PostgreSQL took to run them (docs/benchmarks.md). The rules stay in
services.response_submit and the functions the one-question form uses; here is only the reading and the writing.
tests/screening/test_kiosk_sql.py runs both against the database; tests/portal/test_sql_columns.py prepares them
and holds their columns to the models.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection

from portal.prepared import Prepared

# The participation a code opens, row-locked, with what the code check needs and its student's battery (self and
# parent instruments, in order), each with the status of its response if one is there: one row per instrument.
_KIOSK_BATTERY = Prepared(
    "kiosk_battery",
    """
SELECT p.id, k.status, k.opens_on, k.closes_on, p.completed_at, p.consent, s.status, p.student_id, s.school_id,
       i.id, i.loaded_at, r.status, p.opened_at, r.submitted_at
  FROM screening_participation p
  JOIN screening_campaign k ON k.id = p.campaign_id
  JOIN portal_student s ON s.id = p.student_id
  JOIN portal_classroom c ON c.id = s.classroom_id
  LEFT JOIN screening_battery b ON b.campaign_id = p.campaign_id AND b.grade_from <= c.grade
                               AND b.grade_to >= c.grade
  LEFT JOIN screening_instrument i ON i.id = b.instrument_id
  LEFT JOIN screening_response r ON r.participation_id = p.id AND r.instrument_id = i.id
 WHERE p.code_digest = %s::varchar
 ORDER BY b.position, b.id
   FOR UPDATE OF p
""",
)


def kiosk_battery(code_digest: str) -> list[tuple[Any, ...]]:
    """For the participation whose code has this digest, locked until the transaction ends: one row per instrument
    of its battery, (participation, campaign status, opens on, closes on, completed at, consent, student status,
    student, school, instrument, instrument loaded at, response status or None, the code's first opening or None,
    the response's submission time or None). No rows: no such code."""
    with connection.cursor() as cursor:
        _KIOSK_BATTERY.execute(cursor, [code_digest])
        return cursor.fetchall()


# The response and the participation's progress in one statement.
_KIOSK_WRITE = Prepared(
    "kiosk_write",
    """
WITH response AS (
  INSERT INTO screening_response (participation_id, instrument_id, source, answers, status, started_at,
                                  submitted_at, band, outcome, subscales, review_flags, score_error)
  VALUES (%s::bigint, %s::bigint, %s::varchar, %s::jsonb, %s::varchar, %s::timestamptz, %s::timestamptz,
          '', '', '{}', '[]', '{}')
  RETURNING id
)
UPDATE screening_participation SET started_at = COALESCE(started_at, %s::timestamptz), completed_at = %s::timestamptz
 WHERE id = %s::bigint
RETURNING (SELECT id FROM response)
""",
)


def kiosk_write(
    *, participation: int, instrument: int, source: str, status: str, answers: dict[str, int | None],
    started: dt.datetime | None, begun: dt.datetime, now: dt.datetime, completed: bool,
) -> int:  # fmt: skip
    """Store a submitted response (not yet scored) begun at `started` (None: not measured) and the participation's
    progress: started at `begun` unless it had started before, completed at `now` when `completed`. The
    response's id."""
    with connection.cursor() as cursor:
        _KIOSK_WRITE.execute(cursor, [participation, instrument, source, json.dumps(answers), status, started, now,
                                      begun, now if completed else None, participation])  # fmt: skip
        return cursor.fetchone()[0]
