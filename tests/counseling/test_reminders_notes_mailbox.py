"""Reminders (once, never after a cancellation, in local time); private notes (encrypted, the author's, audited
break-glass); the anonymous confide mailbox."""

import datetime as dt

import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from counseling import services, tasks
from counseling.models import MailboxMessage, SessionRecord
from crisis.models import Case
from portal.models import AuditEvent, InboxMessage, Notification


def _reminders(kind="booking_reminder"):
    return Notification.objects.filter(kind=kind)


def test_reminders_go_the_day_before_and_the_hour_before_once_each_in_school_time(
    world, django_capture_on_commit_callbacks
):
    booking = world.booking_x  # tomorrow 10:00 Asia/Shanghai, which is 02:00 UTC
    starts = world.slot_a.starts_at
    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(starts - dt.timedelta(hours=25), tick=False):
            assert tasks.reminders.delay().get() == {"day": 0, "hour": 0}
        with time_machine.travel(starts - dt.timedelta(hours=23), tick=False):
            assert services.reminders_send() == {"day": 1, "hour": 0}
            assert services.reminders_send() == {"day": 0, "hour": 0}  # once
        with time_machine.travel(starts - dt.timedelta(minutes=50), tick=False):
            assert services.reminders_send() == {"day": 0, "hour": 1}
    [day, hour] = _reminders().order_by("id")
    assert day.context["time"] == "10:00" and day.guardian == world.guardian_x  # school time, not UTC
    assert booking.pk


def test_a_cancelled_booking_is_never_reminded(world, login):
    booking = world.booking_x
    login(world.users["parent_x"]).post(reverse("counseling:booking_cancel", args=[booking.pk]))
    with time_machine.travel(world.slot_a.starts_at - dt.timedelta(minutes=30), tick=False):
        assert services.reminders_send() == {"day": 0, "hour": 0}
    assert not _reminders().exists()


def test_private_notes_are_ciphertext_at_rest_and_the_authors_alone(world, login):
    record = world.record_x
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_notes, summary FROM counseling_sessionrecord WHERE id = %s", [record.pk])
        notes, summary = cursor.fetchone()
    assert "家中有变故" not in notes and "学习压力" not in summary
    author = login(world.users["counselor_a"]).get(reverse("counseling:record", args=[record.pk])).content.decode()
    assert "家中有变故" in author
    leader = login(world.users["leader_a"])
    page = leader.get(reverse("counseling:record", args=[record.pk])).content.decode()
    assert "家中有变故" not in page and "谈了学习压力" in page  # the summary is shared, the notes are not
    assert (
        leader.post(reverse("counseling:record_break_glass", args=[record.pk]), {"reason": "short"}).status_code == 302
    )
    reason = "学生今天在校内自伤，需要了解背景"
    page = leader.post(reverse("counseling:record_break_glass", args=[record.pk]), {"reason": reason}).content.decode()
    assert "家中有变故" in page
    [event] = AuditEvent.objects.filter(action="sessionrecord.break_glass")
    assert event.detail["reason"] == reason and event.actor_username == "leader_a"
    # The school leader sees it in the student's access log.
    # (Read from the page's rows, not its wording: the log says each event as a sentence in the reader's language.)
    log = leader.get(reverse("student_access_log", args=[world.student_x.pk]))
    shown = [(e.actor_username, e.action) for e in log.context["page"]]
    assert shown.count(("leader_a", "sessionrecord.break_glass")) == 1
    # Another school's counselor, the class teacher and the parent cannot open the record at all.
    for persona in ("counselor_b", "teacher_a", "parent_x"):
        assert login(world.users[persona]).get(reverse("counseling:record", args=[record.pk])).status_code == 404


def test_the_author_shares_notes_with_one_colleague(world, login):
    record = world.record_x
    login(world.users["counselor_a"]).post(reverse("counseling:record_share", args=[record.pk]),
                                           {"user": world.users["leader_a"].pk})  # fmt: skip
    page = login(world.users["leader_a"]).get(reverse("counseling:record", args=[record.pk])).content.decode()
    assert "家中有变故" in page


def test_notes_survive_key_rotation(world, settings):
    from cryptography.fernet import Fernet

    record = world.record_x
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    call_command("encryption", "rotate", verbosity=0)
    assert SessionRecord.objects.get(pk=record.pk).private_notes == "家中有变故"


def test_a_session_record_can_raise_a_crisis_case(world, login):
    booking = world.booking_x
    with time_machine.travel(world.slot_a.ends_at, tick=False):
        login(world.users["counselor_a"]).post(reverse("counseling:record_new", args=[booking.pk]), {
            "held_on": world.slot_a.starts_at.date().isoformat(), "attendance": "attended",
            "session_type": "individual", "summary": "", "private_notes": "", "raise_tier": "2",
        })  # fmt: skip
    assert Case.objects.filter(student=world.student_x).get().suggested_tier == 2
    assert booking.__class__.objects.get(pk=booking.pk).status == "attended"


def test_an_anonymous_message_with_risk_words_alerts_the_counselor_and_gets_a_reply(
    world, client, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(world.mailbox_a_path,
                           {"body": "我最近总是想死，不知道跟谁说"}, REMOTE_ADDR="10.9.8.7")  # fmt: skip
    html = page.content.decode()
    code = html.split('id="reply-code">')[1].split("<")[0]
    message = MailboxMessage.objects.get()
    assert message.risk and message.student is None
    # Nothing about the sender is kept: no address in the message row or in any audit event.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM counseling_mailboxmessage")
        assert "10.9.8.7" not in repr(cursor.fetchall())
    assert not AuditEvent.objects.filter(detail__icontains="10.9.8.7").exists()
    [alert] = InboxMessage.objects.filter(
        user=world.users["counselor_a"], delivery__notification__kind="mailbox_risk_alert"
    )
    assert "想死" not in alert.subject + alert.body  # the alert carries no content
    counselor = login(world.users["counselor_a"])
    inbox = counselor.get(reverse("counseling:mailbox")).content.decode()
    assert "我最近总是想死" in inbox
    counselor.post(reverse("counseling:mailbox_message", args=[message.pk]),
                   {"action": "reply", "reply": "谢谢你愿意说出来。明天中午来心理室好吗？"})  # fmt: skip
    client.logout()
    page = client.post(reverse("counseling:mailbox_read"), {"code": code}).content.decode()
    assert "明天中午来心理室" in page
    # Another school's counselor cannot read it.
    assert (
        login(world.users["counselor_b"]).get(reverse("counseling:mailbox_message", args=[message.pk])).status_code
        == 404
    )


def test_flooding_the_mailbox_is_limited(world, client):
    for n in range(7):
        client.post(world.mailbox_a_path, {"body": f"消息 {n}"})
    assert MailboxMessage.objects.count() == 5


def test_a_student_who_names_themselves_can_get_a_crisis_case(world, login):
    message = world.mailbox_a
    identify = {"action": "identify", "student": world.student_w.pk, "tier": "1"}
    login(world.users["counselor_a"]).post(reverse("counseling:mailbox_message", args=[message.pk]), identify)
    assert MailboxMessage.objects.get(pk=message.pk).student == world.student_w
    case = Case.objects.get(student=world.student_w)
    assert (case.source, case.suggested_tier) == ("mailbox", 1)


def test_officials_keep_the_districts_risk_words(world, login, client):
    login(world.users["official_a"]).post(reverse("counseling:risk_words"), {"words": "校园欺凌\nbullied"})
    client.logout()
    client.post(world.mailbox_a_path, {"body": "I am being bullied"})
    assert MailboxMessage.objects.get().risk
