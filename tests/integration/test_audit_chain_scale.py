"""The audit chain at scale: 8 concurrent writers, 10,000 events, one unbroken line, tampering found.

Each writer thread has its own PostgreSQL connection and commits one event per transaction, as eight
web processes would. tests/portal/test_audit.py covers the same properties with a few hundred events.
"""

import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from portal import audit
from portal.models import AuditEvent

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WRITERS = 8
PER_WRITER = 1250  # 8 x 1,250 = 10,000


def _write_concurrently() -> float:
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(PER_WRITER):
                with audit.acting_as(audit.Actor(None, f"writer-{n}", "test", f"w{n}-{i}")):
                    audit.append([audit.Entry("student.view", "portal.student", i, detail={"writer": n})])
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    assert errors == []
    return elapsed


def _tamper(sql: str, params: list) -> None:
    """A superuser switching the append-only trigger off, as an intruder with the database password would."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")


def test_ten_thousand_events_from_eight_writers_form_one_verifiable_chain(capsys):
    before, head_before = audit.head()
    last_id_before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    elapsed = _write_concurrently()

    new = AuditEvent.objects.filter(id__gt=last_id_before)
    assert new.count() == WRITERS * PER_WRITER
    # Every writer's every event is there, once.
    assert new.values("request_id").distinct().count() == WRITERS * PER_WRITER
    # No fork: no two events name the same predecessor, and the first new one follows the old head.
    with connection.cursor() as cursor:
        cursor.execute("SELECT prev_hash, count(*) FROM portal_auditevent GROUP BY prev_hash HAVING count(*) > 1")
        assert cursor.fetchall() == []
    assert new.order_by("id").values_list("prev_hash", flat=True).first() == head_before

    began = time.perf_counter()
    call_command("audit", "verify")
    verify_seconds = time.perf_counter() - began
    assert f"{before + WRITERS * PER_WRITER} events verified" in capsys.readouterr().out

    with capsys.disabled():
        print(
            f"\naudit at scale: {WRITERS * PER_WRITER} events from {WRITERS} writers in {elapsed:.1f} s "
            f"({WRITERS * PER_WRITER / elapsed:.0f} events/s); verify {verify_seconds:.1f} s"
        )

    # The application's own path cannot change or remove a row in the middle of the chain...
    middle = new.order_by("id")[WRITERS * PER_WRITER // 2]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=middle.pk).update(actor_username="someone else")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=middle.pk).delete()
    assert audit.verify() == (before + WRITERS * PER_WRITER, None)

    # ...and a row altered behind its back is found, exactly there.
    _tamper("UPDATE portal_auditevent SET actor_username = 'nobody' WHERE id = %s", [middle.pk])
    position = AuditEvent.objects.filter(id__lt=middle.pk).count()
    checked, broken = audit.verify()
    assert (checked, broken.event_id) == (position, middle.pk)
    assert "content does not match" in broken.reason
    with pytest.raises(CommandError, match=f"event #{middle.pk}: its content does not match"):
        call_command("audit", "verify")

    # Put it back, then remove a later row instead: the link of the row after it breaks.
    _tamper("UPDATE portal_auditevent SET actor_username = %s WHERE id = %s", [middle.actor_username, middle.pk])
    assert audit.verify() == (before + WRITERS * PER_WRITER, None)
    removed, following = new.order_by("id").values_list("id", flat=True)[7500:7502]
    _tamper("DELETE FROM portal_auditevent WHERE id = %s", [removed])
    checked, broken = audit.verify()
    assert (checked, broken.event_id) == (before + 7500, following)
    assert "link to the previous event is broken" in broken.reason
