"""The first-contact timer, with the clock running: a new case is assessed within the policy's time, or the school's
leaders hear at the deadline and the district's officials and crisis team at twice the time, each once."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from counseling.models import Closure
from crisis import services, timers
from crisis.models import Case, FirstContactPolicy, Responder, ResponderKind, TimeUnit
from portal.models import InboxMessage, Role, SchoolYear, Term
from tests import factories

TUESDAY_10 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
FRIDAY_15 = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def term(world):
    year = SchoolYear.objects.create(district=world.district_a, name="2026-2027", start=dt.date(2026, 9, 1),
                                     end=dt.date(2027, 7, 15))  # fmt: skip
    Term.objects.create(school_year=year, number=1, start=dt.date(2026, 9, 1), end=dt.date(2027, 1, 20),
                        teaching_weeks=20)  # fmt: skip


@pytest.fixture
def team(world):
    user = factories.UserFactory(username="team_a", first_name="Tuan", last_name="Dui")
    membership = factories.MembershipFactory(user=user, role=Role.RESPONDER, district=world.district_a)
    Responder.objects.create(membership=membership, kind=ResponderKind.TEAM)
    expert = factories.UserFactory(username="expert_a")
    membership = factories.MembershipFactory(user=expert, role=Role.RESPONDER, district=world.district_a)
    Responder.objects.create(membership=membership, kind=ResponderKind.EXPERT)
    return user


def _told(user, kind):
    return InboxMessage.objects.filter(user=user, delivery__notification__kind=kind)


def _sweep_at(moment, capture):
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return timers.first_contact_due()


def test_a_major_case_left_unassessed_reaches_the_leaders_at_the_hour_and_the_district_at_two(
    world, team, django_capture_on_commit_callbacks
):
    with time_machine.travel(TUESDAY_10, tick=False), django_capture_on_commit_callbacks(execute=True):
        case = services.case_raise(student=world.student_w, suggested_tier=3, source="screening", cause="response:1")
    assert case.assess_by == TUESDAY_10 + dt.timedelta(hours=1)
    leader, official, counselor = world.users["leader_a"], world.users["official_a"], world.users["counselor_a"]
    capture = django_capture_on_commit_callbacks

    assert _sweep_at(TUESDAY_10 + dt.timedelta(minutes=59), capture) == {"leaders": 0, "district": 0}
    assert _sweep_at(TUESDAY_10 + dt.timedelta(minutes=61), capture) == {"leaders": 1, "district": 0}
    [alert] = _told(leader, "first_contact_overdue")
    assert "Xiao W" in alert.subject and "11:00" in alert.body
    assert not _told(counselor, "first_contact_overdue").exists()  # the counselors had the case alert itself
    assert not _told(official, "first_contact_overdue_district").exists()
    assert _sweep_at(TUESDAY_10 + dt.timedelta(minutes=90), capture) == {"leaders": 0, "district": 0}

    assert _sweep_at(TUESDAY_10 + dt.timedelta(minutes=121), capture) == {"leaders": 0, "district": 1}
    assert _sweep_at(TUESDAY_10 + dt.timedelta(hours=5), capture) == {"leaders": 0, "district": 0}
    for user in (official, team):
        [alert] = _told(user, "first_contact_overdue_district")
        assert "School A" in alert.body and "Xiao W" not in alert.subject + alert.body  # no name to the district
    assert not _told(world.users["official_b"], "first_contact_overdue_district").exists()  # another district
    assert not InboxMessage.objects.filter(user__username="expert_a").exists()  # the pool is assigned, not paged
    assert _told(leader, "first_contact_overdue").count() == 1


def test_an_assessed_case_stops_the_timer(world, django_capture_on_commit_callbacks):
    with time_machine.travel(TUESDAY_10, tick=False), django_capture_on_commit_callbacks(execute=True):
        case = services.case_raise(student=world.student_w, suggested_tier=3, source="screening")
    with time_machine.travel(TUESDAY_10 + dt.timedelta(minutes=40), tick=False):
        services.case_confirm_tier(case=case, tier=2, by=world.users["counselor_a"])
    for hours in (1, 3, 48):
        assert _sweep_at(TUESDAY_10 + dt.timedelta(hours=hours), django_capture_on_commit_callbacks) == {
            "leaders": 0, "district": 0}  # fmt: skip
    assert not InboxMessage.objects.filter(delivery__notification__kind__startswith="first_contact").exists()


def test_a_severe_case_on_friday_is_due_on_the_next_school_day(world, term):
    with time_machine.travel(FRIDAY_15, tick=False):
        case = services.case_raise(student=world.student_w, suggested_tier=2, source="session")
    assert case.assess_by == FRIDAY_15 + dt.timedelta(days=3)  # Monday, same time
    assert timezone.localtime(case.escalate_at).date() == dt.date(2026, 12, 8)  # twice: Tuesday


def test_school_days_skip_closures_and_fall_back_to_weekdays_in_a_long_holiday(world, term):
    Closure.objects.create(school=world.school_a, date=dt.date(2026, 12, 7), reason="sports day")
    with time_machine.travel(FRIDAY_15, tick=False):
        case = services.case_raise(student=world.student_w, suggested_tier=1, source="teacher")
    # Five school days from Friday, Monday closed: Tue, Wed, Thu, Fri, then Monday 14th.
    assert timezone.localtime(case.assess_by).date() == dt.date(2026, 12, 14)
    winter = dt.datetime(2027, 1, 29, 9, 0, tzinfo=TUESDAY_10.tzinfo)  # a Friday in the winter holiday
    Case.objects.filter(pk=world.case_y.pk).delete()
    with time_machine.travel(winter, tick=False):
        waiting = services.case_raise(student=world.student_y, suggested_tier=2, source="parent")
    assert timezone.localtime(waiting.assess_by).date() == dt.date(2027, 2, 1)  # no term ahead on record: weekdays
    year = SchoolYear.objects.get()
    Term.objects.create(school_year=year, number=2, start=dt.date(2027, 2, 22), end=dt.date(2027, 7, 1),
                        teaching_weeks=18)  # fmt: skip
    Case.objects.filter(pk=waiting.pk).delete()
    with time_machine.travel(winter, tick=False):
        waiting = services.case_raise(student=world.student_y, suggested_tier=2, source="parent")
    # Three weeks to the next term: after a week of holiday the weekdays count, the break is never waited out.
    assert timezone.localtime(waiting.assess_by).date() == dt.date(2027, 2, 10)


def test_a_rise_while_waiting_brings_the_deadline_forward_and_restarts_the_escalation(
    world, term, django_capture_on_commit_callbacks
):
    with time_machine.travel(FRIDAY_15 - dt.timedelta(days=10), tick=False):
        case = services.case_raise(student=world.student_w, suggested_tier=1, source="teacher")
    _sweep_at(FRIDAY_15 - dt.timedelta(days=1), django_capture_on_commit_callbacks)
    assert Case.objects.get(pk=case.pk).assess_escalation == 1  # tier 1, five school days: told already
    with time_machine.travel(FRIDAY_15, tick=False):
        case = services.case_raise(student=world.student_w, suggested_tier=3, source="screening")
    assert (case.assess_by, case.assess_escalation) == (FRIDAY_15 + dt.timedelta(hours=1), 0)
    assert _sweep_at(FRIDAY_15 + dt.timedelta(minutes=61), django_capture_on_commit_callbacks)["leaders"] == 1
    assert _told(world.users["leader_a"], "first_contact_overdue").count() == 2


def test_the_district_policy_replaces_the_default(world, term):
    FirstContactPolicy.objects.create(district=world.district_a, tier=2, within=4, unit=TimeUnit.HOURS)
    with time_machine.travel(FRIDAY_15, tick=False):
        case = services.case_raise(student=world.student_w, suggested_tier=2, source="session")
    assert case.assess_by == FRIDAY_15 + dt.timedelta(hours=4)


def test_the_counselor_sees_the_waiting_cases_by_deadline(world, term, login):
    Case.objects.filter(pk=world.case_x.pk).delete()
    with time_machine.travel(FRIDAY_15 - dt.timedelta(days=3), tick=False):
        general = services.case_raise(student=world.student_x, suggested_tier=1, source="teacher")
    with time_machine.travel(FRIDAY_15 - dt.timedelta(hours=2), tick=False):
        major = services.case_raise(student=world.student_w, suggested_tier=3, source="screening")
    with time_machine.travel(FRIDAY_15, tick=False):
        pending = timers.awaiting(Case.objects.filter(student__school=world.school_a))
        assert [(w.case.pk, w.overdue) for w in pending] == [(major.pk, True), (general.pk, False)]
        page = login(world.users["counselor_a"]).get("/crisis/").content.decode()
    assert page.index("Xiao W") < page.index("Xiao X")
    assert "已超时" in page and "1 例已超时" in page
