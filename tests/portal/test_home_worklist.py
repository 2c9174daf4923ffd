"""A counselor's home page is their worklist (UX rule 1): the cases waiting for a first assessment (the soonest
deadline first), the follow-ups due, and today's appointments, each one click from where it is acted on."""

import datetime as dt
import re

import time_machine
from django.urls import reverse
from django.utils import timezone

from counseling.models import Slot
from counseling.services import booking_create
from crisis import services
from crisis.models import Case
from tests import factories


def _section(html, heading_id):
    found = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    return found.group(1) if found else ""


def test_the_counselor_sees_what_waits_for_them_oldest_deadline_first(world, login, django_capture_on_commit_callbacks):
    other = factories.StudentFactory(classroom=world.class_a2, name="Xiao V")
    with django_capture_on_commit_callbacks(execute=True):
        later = services.case_raise(student=world.student_w, suggested_tier=2, source="screening", cause="r:1")
        sooner = services.case_raise(student=other, suggested_tier=3, source="screening", cause="r:2")
    Case.objects.filter(pk=later.pk).update(assess_by=timezone.now() + dt.timedelta(hours=5))
    Case.objects.filter(pk=sooner.pk).update(assess_by=timezone.now() - dt.timedelta(minutes=5))
    html = login(world.users["counselor_a"]).get(reverse("home")).content.decode()
    waiting = _section(html, "worklist-waiting")
    assert waiting.index("Xiao V") < waiting.index("Xiao W")  # past its deadline: first
    assert f'href="{reverse("crisis:case", args=[later.pk])}"' in waiting
    assert "严重（二级）" in waiting and "重大（三级）" in waiting and "已超过时限" in waiting
    school_b = _section(login(world.users["counselor_b"]).get(reverse("home")).content.decode(), "worklist-waiting")
    assert "Xiao Y" in school_b and "Xiao V" not in school_b and "Xiao W" not in school_b  # each their own school


def test_an_overdue_follow_up_is_on_the_list_and_a_future_one_is_not(world, login):
    client = login(world.users["counselor_a"])
    assert "Xiao X" not in _section(client.get(reverse("home")).content.decode(), "worklist-due")
    Case.objects.filter(pk=world.case_x.pk).update(confirmed_at=timezone.now() - dt.timedelta(days=30))
    due = _section(client.get(reverse("home")).content.decode(), "worklist-due")
    assert "Xiao X" in due and f'href="{reverse("crisis:case", args=[world.case_x.pk])}"' in due and "逾期" in due


@time_machine.travel(dt.datetime(2026, 12, 8, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
def test_today_s_appointments_show_the_student_and_link_the_slot(world, login):
    today_10 = dt.datetime.combine(timezone.localdate(), dt.time(10), tzinfo=timezone.get_current_timezone())
    slot = Slot.objects.create(school=world.school_a, room=world.slot_a.room, counselor=world.users["counselor_a"],
                               starts_at=today_10, ends_at=today_10 + dt.timedelta(minutes=45))  # fmt: skip
    booking_create(slot=slot, student=world.student_x, channel="staff", made_by=world.users["counselor_a"])
    today = _section(login(world.users["counselor_a"]).get(reverse("home")).content.decode(), "worklist-today")
    assert "10:00" in today and "Xiao X" in today and reverse("counseling:slot", args=[slot.pk]) in today
    other = login(world.users["counselor_b"]).get(reverse("home")).content.decode()
    assert "Xiao X" not in _section(other, "worklist-today")  # another counselor's day is their own


def test_a_teacher_or_parent_home_has_no_crisis_worklist(world, login):
    for persona in ("teacher_a", "parent_x"):
        html = login(world.users[persona]).get(reverse("home")).content.decode()
        assert 'aria-labelledby="worklist-waiting"' not in html


def test_a_teacher_sees_their_referrals_and_their_classes_screening_progress(world, login):
    from screening.models import Participation

    client = login(world.users["teacher_a"])
    client.post(reverse("crisis:refer"), {"student": world.student_x.pk, "concern": "上课时一直哭。"})
    world.campaign_a.status = "open"
    world.campaign_a.save(update_fields=["status"])
    Participation.objects.filter(campaign=world.campaign_a, student=world.student_x).update(
        consent="granted", completed_at=timezone.now()
    )
    html = client.get(reverse("home")).content.decode()
    referrals = _section(html, "worklist-referrals")
    assert "Xiao X" in referrals and "学校心理教师已收到" in referrals
    progress = _section(html, "worklist-screening")
    assert world.campaign_a.name in progress and re.search(r"\b1 / \d+", progress)
    # Another teacher's home shows neither.
    other = login(world.users["counselor_b"]).get(reverse("home")).content.decode()
    assert "worklist-referrals" not in other and "worklist-screening" not in other


def test_a_parent_s_home_shows_the_bookings_coming_up_but_never_the_child_s_own(world, login):
    by_school = booking_create(slot=world.slot_a, student=world.student_x, channel="in_person",
                               made_by=world.users["counselor_a"])  # fmt: skip
    later = world.slot_a.starts_at + dt.timedelta(hours=3)
    own_slot = Slot.objects.create(school=world.school_a, room=world.slot_a.room, counselor=world.users["counselor_a"],
                                   starts_at=later, ends_at=later + dt.timedelta(minutes=45))  # fmt: skip
    own = booking_create(slot=own_slot, student=world.student_x, channel="student")
    coming = _section(login(world.users["parent_x"]).get(reverse("home")).content.decode(), "worklist-bookings")
    assert reverse("counseling:parent_booking", args=[by_school.pk]) in coming and "Xiao X" in coming
    assert reverse("counseling:parent_booking", args=[own.pk]) not in coming  # between the student and the counselor
    other_family = _section(login(world.users["parent_y"]).get(reverse("home")).content.decode(), "worklist-bookings")
    assert "Xiao X" not in other_family


def _notice_to_x(world):
    from crisis.models import GuardianNotice

    expires = timezone.now() + dt.timedelta(days=1)
    return GuardianNotice.objects.create(case=world.case_x, guardian=world.guardian_x, tier=2, expires_at=expires)


def test_a_parent_confirms_the_school_s_request_from_home_and_it_leaves_the_list(world, login):
    notice = _notice_to_x(world)
    client = login(world.users["parent_x"])
    waiting = _section(client.get(reverse("home")).content.decode(), "worklist-notices")
    assert "Xiao X" in waiting and "严重" not in waiting and "二级" not in waiting  # no clinical detail
    confirm = re.search(r'href="(/crisis/ack/[^"]+)"', waiting).group(1)
    client.post(confirm)
    notice.refresh_from_db()
    assert notice.acknowledged_at is not None and notice.acknowledged_via == "link"
    assert 'aria-labelledby="worklist-notices"' not in client.get(reverse("home")).content.decode()
    other_family = login(world.users["parent_y"]).get(reverse("home")).content.decode()
    assert "Xiao X" not in _section(other_family, "worklist-notices")


def test_a_notice_is_not_shown_once_the_family_may_not_be_contacted(world, login):
    _notice_to_x(world)
    client = login(world.users["parent_x"])
    assert "Xiao X" in _section(client.get(reverse("home")).content.decode(), "worklist-notices")
    services.case_block_guardian_contact(case=world.case_x, reason="risk_at_home", by=world.users["counselor_a"])
    assert 'aria-labelledby="worklist-notices"' not in client.get(reverse("home")).content.decode()


def test_a_parent_s_home_asks_for_the_consent_and_then_the_questionnaire(world, login):
    from screening import services as screening
    from screening.models import Participation

    today = timezone.localdate()
    campaign = screening.campaign_create(
        district=world.district_a, school_year=world.campaign_a.school_year, name="家长问卷 2026",
        schools=[world.school_a], grade_from=1, grade_to=12, opens_on=today, closes_on=today + dt.timedelta(days=7),
        by=world.users["official_a"], batteries=[screening.BatteryPlan(1, 12, ("psc17",))],
    )  # fmt: skip
    screening.campaign_open(campaign=campaign, by=world.users["official_a"])
    participation = Participation.objects.get(campaign=campaign, student=world.student_x)
    Participation.objects.filter(pk=participation.pk).update(consent="pending")
    client = login(world.users["parent_x"])

    def asked():  # this campaign's line of the section
        html = _section(client.get(reverse("home")).content.decode(), "worklist-screening-parent")
        return next((li for li in html.split("<li>") if "家长问卷 2026" in li), "")

    assert "Xiao X" in asked() and "/screening/consent/" in asked()
    answered = client.post(re.search(r'href="(/screening/consent/[^"]+)"', asked()).group(1), {"answer": "yes"})
    assert answered.status_code == 302
    assert "/screening/consent/" not in asked() and "/screening/parent/" in asked()
    services.case_block_guardian_contact(case=world.case_x, reason="risk_at_home", by=world.users["counselor_a"])
    assert 'aria-labelledby="worklist-screening-parent"' not in client.get(reverse("home")).content.decode()
