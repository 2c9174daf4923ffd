"""portal.sql against the database: each statement answers what its docstring says, edge cases included."""

import datetime as dt

import pytest
from django.db import connections
from django.utils import timezone

from portal import audit, encryption, sql
from portal.models import AuditEvent, Delivery, InboxMessage, Notification, Session, Student
from portal.models.notify import DeliveryStatus
from portal.models.staff import Role
from tests import factories


def _session(key: str, user, expires: dt.datetime) -> None:
    Session.objects.create(session_key=key, session_data="signed", expire_date=expires, user=user)


def test_a_live_session_comes_with_its_user_and_roles(world):
    now = timezone.now()
    counselor = world.users["counselor_a"]
    _session("live", counselor, now + dt.timedelta(hours=1))
    data, row = sql.session_load("live", now)
    assert data == "signed"
    user = sql.user_from_row(row)
    assert user.pk == counselor.pk and user.username == counselor.username and user.password == counselor.password
    roles = user._portal_roles
    assert roles.schools_with(Role.COUNSELOR) == {world.school_a.pk} and not roles.is_parent


def test_an_expired_unknown_or_anonymous_session(world):
    now = timezone.now()
    _session("old", world.users["counselor_a"], now - dt.timedelta(seconds=1))
    _session("anon", None, now + dt.timedelta(hours=1))
    assert sql.session_load("old", now) is None
    assert sql.session_load("nobody", now) is None
    assert sql.session_load(None, now) is None
    assert sql.session_load("anon", now) == ("signed", None)


def test_a_user_row_carries_every_active_role_and_the_guardian_flag(world):
    official = world.users["official_a"]
    row = sql.user_load(official.pk)
    assert sql.user_from_row(row)._portal_roles.district_ids == {world.district_a.pk}
    parent = sql.user_from_row(sql.user_load(world.users["parent_x"].pk))
    assert parent._portal_roles.is_parent and not parent._portal_roles.school_roles
    official.memberships.update(active=False)
    assert sql.user_from_row(sql.user_load(official.pk))._portal_roles.all_roles == frozenset()
    assert sql.user_load(2**62) is None


def test_the_chain_lock_is_held_until_the_transaction_ends(world):
    """Another connection cannot take the chain's lock while this transaction holds it (the test's own)."""
    head = sql.audit_chain_lock()
    assert head == AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [sql.CHAIN_LOCK])
            assert cursor.fetchone()[0] is False
    finally:
        other.close()


def test_a_notification_is_written_with_its_pending_deliveries_and_a_repeated_key_writes_nothing(world):
    guardian = world.guardian_x

    def write() -> list[int] | None:
        notification = Notification(kind="test", guardian=guardian, context={"n": 1}, dedupe_key="once")
        deliveries = [
            Delivery(channel="sms", address=guardian.mobile, enqueued_at=timezone.now()),
            Delivery(channel="email", status=DeliveryStatus.FAILED, last_error="no address on record"),
        ]
        return sql.notification_write(notification, deliveries)

    pending = write()
    notification = Notification.objects.get(dedupe_key="once")
    assert notification.context == {"n": 1} and notification.guardian_id == guardian.pk
    assert pending == list(notification.deliveries.filter(status="pending").values_list("id", flat=True))
    assert notification.deliveries.count() == 2 and len(pending) == 1
    assert write() is None
    assert Notification.objects.filter(dedupe_key="once").count() == 1 and notification.deliveries.count() == 2


def test_bulk_update_writes_each_row_its_own_values_in_batches_and_audits_each(world):
    students = [factories.StudentFactory(classroom=world.class_a1) for _ in range(5)]
    for n, student in enumerate(students):
        student.name = f"改名 {n}"
        student.birth_date = dt.date(2012, 1, n + 1)
    before = AuditEvent.objects.count()
    assert Student.objects.bulk_update(students, ["name", "birth_date"], batch_size=2) == 5
    for n, student in enumerate(Student.objects.filter(pk__in=[s.pk for s in students]).order_by("pk")):
        assert (student.name, student.birth_date) == (f"改名 {n}", dt.date(2012, 1, n + 1))
    assert world.student_x.name == Student.objects.get(pk=world.student_x.pk).name  # others untouched
    assert AuditEvent.objects.count() == before + 5
    assert audit.verify()[1] is None


@pytest.mark.parametrize("batch", [1, 2, 10])
def test_encrypted_rows_are_read_in_batches_and_replaced_only_if_unchanged(world, batch):
    messages = [factories.InboxMessageFactory(user=world.users["counselor_a"], body=f"第{n}条") for n in range(3)]
    messages.append(factories.InboxMessageFactory(user=world.users["counselor_a"], body=""))  # nothing to rotate
    seen, after = [], None
    while rows := sql.encrypted_batch(InboxMessage, "body", after, batch):
        assert len(rows) <= batch
        seen += rows
        after = rows[-1][0]
    assert [pk for pk, _ in seen] == sorted(m.pk for m in InboxMessage.objects.exclude(body=""))
    pk, token = seen[0]
    assert encryption.decrypt(token) == InboxMessage.objects.get(pk=pk).body
    sql.encrypted_replace(InboxMessage, "body", pk, "not what it holds", encryption.encrypt("lost"))
    assert InboxMessage.objects.get(pk=pk).body == encryption.decrypt(token)  # a save in between is kept
    sql.encrypted_replace(InboxMessage, "body", pk, token, encryption.rotate(token))
    (_, stored), *_ = sql.encrypted_batch(InboxMessage, "body", pk - 1, 1)
    assert stored != token and encryption.decrypt(stored) == encryption.decrypt(token)
