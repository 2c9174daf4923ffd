"""The demo district loads through the real importer, twice without duplicates, and its logins work; what it
prints and stores links to where it is served; its messages go to the outbox file it names; and counselor A has
past appointments to write up."""

import re

from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from django.utils import timezone

from counseling.models import Booking, SessionRecord, Slot
from portal.demo import DEMO_PASSWORD
from portal.models import Classroom, Delivery, Guardian, Membership, Notification, Student, StudentGuardian, User

SITE = "http://127.0.0.1:18080"  # not the default port: anything still built on :8000 shows


def _counts():
    return tuple(
        m.objects.count()
        for m in (User, Membership, Classroom, Student, Guardian, StudentGuardian, Slot, Booking, SessionRecord,
                  Notification, Delivery)
    )  # fmt: skip


def _sign_in(client, username):
    """Through the login form with the demo password; staff then type the code the demo's verify page shows."""
    client.logout()
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD}, follow=True)
    if username != "parent":
        code = re.search(r'id="demo-code">[^<]*?(\d{6})', response.content.decode()).group(1)
        response = client.post(response.request["PATH_INFO"], {"code": code, "next": "/"}, follow=True)
    return response


def test_seed_runs_twice_without_errors_or_duplicates(db, client, capsys, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo")
    first = _counts()
    printed = capsys.readouterr().out
    for username in ("official", "leader", "counselor-a", "counselor-b", "teacher", "parent"):
        assert username in printed
    call_command("seed_demo")
    assert _counts() == first
    assert first[3] == 576  # students across the four demo schools

    # Each login works and lands on the home page of its role; staff pass the second factor with the
    # demo device's code, which the verify page shows outside production.
    for username, heading in [("official", "数据看板 · "), ("counselor-a", "今日待办</h1>"),
                              ("teacher", "我的班级</h1>"), ("parent", "我的孩子</h1>")]:  # fmt: skip
        assert f"<h1>{heading}" in _sign_in(client, username).content.decode(), username
    # The demo ledger: two students on the high-risk list, one referral waiting, after two runs.
    from crisis import selectors
    from crisis.models import Case, FollowUp

    counselor = User.objects.get(username="counselor-a")
    assert [row.case.confirmed_tier for row in selectors.high_risk_list(counselor)] == [3, 2]
    assert len(selectors.pending_list(counselor)) == 1
    assert (Case.objects.count(), FollowUp.objects.count()) == (3, 2)
    # The demo parent sees exactly one child, who sits in the demo teacher's class.
    child = Student.objects.visible_to(User.objects.get(username="parent")).get()
    assert child.classroom.class_teacher.username == "teacher"
    # The demo campaign: open at school A, the teacher's class consented, five forms done; the README's code
    # opens a form, and the expert logs in to their assignment.
    from screening.demo import DEMO_CODE
    from screening.models import Campaign, Participation

    campaign = Campaign.objects.get()
    assert Participation.objects.filter(campaign=campaign, completed_at__isnull=False).count() == 5
    client.logout()
    assert client.post(reverse("screening:take"), {"code": DEMO_CODE})["Location"] == reverse("screening:question")
    assert "expert" in printed
    # Counseling: school A has a room open ten periods a week, slots ahead, and the README's booking code.
    from counseling import selectors as counseling
    from counseling.demo import DEMO_BOOKING_CODE
    from counseling.models import Slot
    from portal.models import School

    school_a = School.objects.get(counseling_rooms__isnull=False)
    assert counseling.school_standard(school_a).meets
    assert Slot.objects.filter(school=school_a).count() > 0
    client.logout()
    response = client.post(reverse("counseling:student_start"), {"code": DEMO_BOOKING_CODE})
    assert response["Location"] == reverse("counseling:student_book")


def _stored_text():
    """Every text and JSON value in the database, encrypted fields read in clear, table by table."""
    for model in apps.get_models():
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField
                                                                                | models.JSONField)]  # fmt: skip
        if fields:
            for row in model._base_manager.values_list(*fields):
                yield model._meta.label, " ".join(str(value) for value in row)


def test_the_demo_links_where_it_serves_and_sends_to_the_outbox_it_names(
    db, capsys, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.SITE_URL = SITE
    settings.DEMO_OUTBOX = str(tmp_path / "outbox.txt")
    settings.EMAIL_BACKEND = "portal.channels.DemoOutboxEmailBackend"  # as settings.py picks it for DEMO_OUTBOX
    with django_capture_on_commit_callbacks(execute=True):  # the messages leave once the seeding commits
        call_command("seed_demo")
    printed = capsys.readouterr()
    outbox = (tmp_path / "outbox.txt").read_text(encoding="utf-8")

    # Short: what runs where, the logins, the codes and pages to try, where the messages went.
    lines = printed.out.splitlines()
    assert len(lines) <= 25, printed.out
    assert printed.err == ""
    assert lines[0].endswith(f"{SITE}/")
    assert str(tmp_path / "outbox.txt") in lines[-1]
    mailbox = f"{SITE}/counseling/mailbox/write/demo/"
    for expected in ("counselor-a", DEMO_PASSWORD, "DEMO-2345", "BOOK-2345", f"{SITE}/s/",
                     f"{SITE}/counseling/student/", f"{mailbox}school-a/", f"{mailbox}school-d/",
                     f"{SITE}/counseling/?week="):  # fmt: skip
        assert expected in printed.out, expected
    # The messages are in the outbox, not on the console: consent requests to every guardian at school A, the
    # guardian's acknowledgement link, and the expert's e-mail.
    assert outbox.count("==== ") > 280
    assert f"{SITE}/screening/consent/" in outbox and f"{SITE}/crisis/ack/" in outbox
    assert "E-mail to expert@demo.invalid" in outbox
    assert "SMS to" not in printed.out + printed.err

    # Nothing printed, sent or stored links to another port.
    assert ":8000" not in printed.out + printed.err and ":8000" not in outbox
    stored = [(table, text) for table, text in _stored_text() if ":8000" in text]
    assert stored == []
    assert any(SITE in text for table, text in _stored_text() if table == "portal.InboxMessage")


def test_counselor_a_writes_up_a_past_appointment_at_once(db, client, settings, tmp_path):
    settings.DEMO_OUTBOX = str(tmp_path / "outbox.txt")
    call_command("seed_demo")
    counselor = User.objects.get(username="counselor-a")
    past = Booking.objects.filter(slot__counselor=counselor, slot__starts_at__lt=timezone.now())
    assert past.count() == 5
    assert SessionRecord.objects.filter(author=counselor, booking__in=past).count() == 3
    waiting = past.filter(record__isnull=True).order_by("slot__starts_at")
    assert [b.status for b in waiting] == ["attended", "booked"]

    # As a counselor would: the week the output names, the slot, its link to the record form, the form.
    _sign_in(client, "counselor-a")
    booking = waiting.last()
    day = timezone.localdate(booking.slot.starts_at)
    week = client.get(reverse("counseling:schedule"), {"week": day.isoformat()}).content.decode()
    slot_url = reverse("counseling:slot", args=[booking.slot_id])
    assert slot_url in week and booking.student.name in week
    form_url = reverse("counseling:record_new", args=[booking.pk])
    assert form_url in client.get(slot_url).content.decode()
    response = client.get(form_url)
    assert response.status_code == 200 and 'name="summary"' in response.content.decode()
    response = client.post(form_url, {"held_on": day.isoformat(), "attendance": "attended",
                                      "session_type": "individual", "summary": "谈了考试压力。"})  # fmt: skip
    record = SessionRecord.objects.get(booking=booking)
    assert response["Location"] == reverse("counseling:record", args=[record.pk])
    booking.refresh_from_db()
    assert booking.status == "attended"


def test_production_refuses_the_demo_outbox():
    from tests.portal.test_login_security import PRODUCTION_ENV, _manage

    result = _manage("check", env={**PRODUCTION_ENV, "DEMO_OUTBOX": ".demo/outbox.txt"})
    assert result.returncode != 0
    assert "DEMO_OUTBOX" in result.stderr
