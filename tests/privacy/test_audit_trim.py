"""Trimming the audit log's oldest events (privacy.retention.audit_trim): the chain still verifies from the trim
event's hash, anchors taken before still hold, the table stays append-only, nothing younger than three years by the
database's clock goes, and a start removed by anyone else is still found."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from portal import audit
from portal.models import AuditEvent
from privacy.retention import audit_trim

# In the past: the database's own clock (now()) keeps anything younger than 36 months, whatever Python's says.
NOW = timezone.now()
OLD = NOW - dt.timedelta(days=6 * 365)
CUT = NOW - dt.timedelta(days=5 * 365)
NEW = NOW - dt.timedelta(days=4 * 365)


def _events(n: int, at: dt.datetime) -> None:
    with time_machine.travel(at, tick=False):
        for i in range(n):
            audit.append([audit.Entry("student.view", "portal.student", i)])


def _behind_the_back(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")


@pytest.fixture
def chain(db):
    """Three events before the cut, two after."""
    _events(3, OLD)
    _events(2, NEW)


def test_the_events_before_the_cut_go_and_the_chain_still_verifies(chain, capsys):
    last_old = AuditEvent.objects.order_by("id")[2]
    with time_machine.travel(NEW + dt.timedelta(days=1), tick=False):
        assert audit_trim(before=CUT) == 3
    assert not AuditEvent.objects.filter(created_at__lt=CUT).exists()
    trimmed = AuditEvent.objects.get(action=audit.TRIMMED)
    assert trimmed.detail == {"through": last_old.pk, "through_hash": last_old.hash, "erased": 3, "erased_total": 3,
                              "before": CUT.isoformat()}  # fmt: skip
    assert audit.chain_start() == (3, last_old.hash)
    assert audit.verify() == (3, None)  # two events and the trim event
    call_command("audit", "verify")
    assert "3 events verified (after 3 older events erased under the retention policy)" in capsys.readouterr().out


def test_a_second_trim_counts_on_from_the_first_and_a_repeat_erases_nothing(chain):
    with time_machine.travel(NEW, tick=False):
        audit_trim(before=CUT)
    _events(1, NEW + dt.timedelta(days=400))
    later = NEW + dt.timedelta(days=300)
    with time_machine.travel(later, tick=False):
        assert audit_trim(before=later) == 3  # the two events and the first trim event
        assert audit_trim(before=later) == 0
    assert audit.chain_start()[0] == 6
    assert audit.verify()[1] is None
    assert audit.head()[0] == 6 + AuditEvent.objects.count()


def test_when_every_event_is_old_all_go_and_the_trim_event_starts_the_chain(chain):
    with time_machine.travel(NEW + dt.timedelta(days=1), tick=False):
        assert audit_trim(before=NEW + dt.timedelta(days=1)) == 5
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [audit.TRIMMED]
    assert audit.verify() == (1, None)


def test_an_anchor_taken_before_the_trim_still_holds(chain):
    before_count, before_hash = audit.head()
    _events(1, NEW)
    with time_machine.travel(NEW, tick=False):
        audit_trim(before=CUT)
    assert audit.verify(anchor=(before_count, before_hash)) == (4, None)
    assert audit.head()[0] == before_count + 2  # one more event, and the trim event
    # The last erased event's hash is still known from the trim event: an anchor on it holds too, a forged one not.
    last_erased = AuditEvent.objects.get(action=audit.TRIMMED).detail["through_hash"]
    assert audit.verify(anchor=(3, last_erased))[1] is None
    assert audit.verify(anchor=(3, "f" * 64))[1] is not None


def test_events_removed_from_the_start_by_anyone_else_are_found(chain):
    _behind_the_back("DELETE FROM portal_auditevent WHERE id = %s", [AuditEvent.objects.order_by("id").first().pk])
    assert audit.verify()[1] is not None  # no trim event vouches for the new start


def test_after_a_trim_removing_the_new_start_is_found(chain):
    with time_machine.travel(NEW, tick=False):
        audit_trim(before=CUT)
    first = AuditEvent.objects.order_by("id").first()
    _behind_the_back("DELETE FROM portal_auditevent WHERE id = %s", [first.pk])
    checked, broken = audit.verify()
    assert broken is not None and broken.event_id != first.pk
    with pytest.raises(CommandError, match="broken"):
        call_command("audit", "verify")


def test_a_forged_trim_event_without_the_key_is_found(chain, settings):
    cut_at = AuditEvent.objects.order_by("id")[1]
    settings.AUDIT_CHAIN_KEY = "the intruder's guess"
    with time_machine.travel(NEW, tick=False):
        audit.append([audit.Entry(audit.TRIMMED, "portal.auditevent", cut_at.pk,
                                  detail={"through_hash": cut_at.hash, "erased_total": 2})])  # fmt: skip
    settings.AUDIT_CHAIN_KEY = ""
    _behind_the_back("DELETE FROM portal_auditevent WHERE id <= %s", [cut_at.pk])
    assert audit.verify()[1] is not None


def test_nothing_younger_than_three_years_by_the_databases_clock_goes(db):
    _events(2, NOW - dt.timedelta(days=400))
    with time_machine.travel(NOW + dt.timedelta(days=20 * 365), tick=False):  # a clock set wrong
        assert audit_trim(before=NOW + dt.timedelta(days=19 * 365)) == 0
    assert AuditEvent.objects.count() == 2


def test_the_database_refuses_to_erase_what_no_trim_event_names_or_what_is_young(chain):
    first = AuditEvent.objects.order_by("id").first()
    with pytest.raises(DatabaseError, match="no trim event names"), transaction.atomic(), connection.cursor() as c:
        c.execute("SELECT privacy_audit_trim(%s)", [first.pk])
    _events(1, NOW)
    young = AuditEvent.objects.order_by("-id").first()
    audit.append([audit.Entry(audit.TRIMMED, "portal.auditevent", young.pk, detail={"through_hash": young.hash})])
    with pytest.raises(DatabaseError, match="younger than 36 months"), transaction.atomic(), connection.cursor() as c:
        c.execute("SELECT privacy_audit_trim(%s)", [young.pk])
    assert AuditEvent.objects.count() == 7


def test_the_log_is_still_append_only_after_a_trim(chain):
    with time_machine.travel(NEW, tick=False):
        audit_trim(before=CUT)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.update(actor_username="someone else")
    assert AuditEvent.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_trim_while_writers_append_never_forks_or_breaks_the_chain():
    """Writers take the chain lock, then the table; the trim takes them in the same order, so neither waits for
    the other in a circle, and every event a writer appends links to the one before it, erased or not."""
    _events(300, OLD)
    writers, per_writer = 4, 50
    errors: list[BaseException] = []
    start = threading.Barrier(writers + 1)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                audit.append([audit.Entry("student.view", "portal.student", f"{n}-{i}")])
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    start.wait()
    erased = audit_trim(before=CUT)
    for thread in threads:
        thread.join()
    assert errors == [] and erased == 300
    assert AuditEvent.objects.count() == writers * per_writer + 1
    assert AuditEvent.objects.values("prev_hash").distinct().count() == AuditEvent.objects.count()
    assert audit.verify() == (writers * per_writer + 1, None)
    assert audit.head()[0] == 300 + writers * per_writer + 1
