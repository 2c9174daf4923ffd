"""Capacity: a school whose new tier 2-3 cases of the day outnumber what its counselors on duty can assess (8 each
by default) is reported to the district once that day, with figures and no names."""

import datetime as dt

import pytest
import time_machine

from counseling.models import Opening, Period, Room
from crisis import capacity, services
from crisis.services import Raise
from portal.models import InboxMessage
from tests import factories

WEDNESDAY_9 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def raise_cases(world, django_capture_on_commit_callbacks):
    def raise_(n, *, tier=2, at=WEDNESDAY_9):
        students = [factories.StudentFactory(classroom=world.class_a2) for _ in range(n)]
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            services.case_raise_many(raises=[Raise(s, tier) for s in students], source="screening")

    return raise_


def _told(world):
    return InboxMessage.objects.filter(user=world.users["official_a"], delivery__notification__kind="capacity_exceeded")


def test_eight_cases_for_one_counselor_is_the_day_s_capacity(world, raise_cases):
    raise_cases(8)
    assert not _told(world).exists()
    raise_cases(1)
    [alert] = _told(world)
    assert "School A" in alert.subject and "9" in alert.body and "Xiao" not in alert.body
    raise_cases(3)
    assert _told(world).count() == 1  # once a day
    assert not InboxMessage.objects.filter(user=world.users["official_b"]).exists()


def test_tier_one_cases_do_not_count(world, raise_cases):
    raise_cases(12, tier=1)
    assert not _told(world).exists()


def test_a_day_without_a_counselor_on_duty_reports_the_first_case(world, raise_cases):
    period = Period.objects.create(school=world.school_a, number=1, starts=dt.time(8), ends=dt.time(8, 45))
    room = Room.objects.create(school=world.school_a, name="Room 1", area_m2=20)
    Opening.objects.create(
        school=world.school_a, weekday=0, period=period, room=room, counselor=world.users["counselor_a"]
    )  # fmt: skip  (Mondays only)
    assert capacity.on_duty(world.school_a.pk, WEDNESDAY_9.date()) == 0
    assert capacity.on_duty(world.school_a.pk, dt.date(2026, 11, 30)) == 1
    raise_cases(1)
    assert _told(world).count() == 1


def test_on_a_weekend_the_on_call_roster_not_the_capacity_rule_takes_new_cases(world, raise_cases):
    raise_cases(12, at=WEDNESDAY_9 + dt.timedelta(days=3))  # Saturday
    assert not _told(world).exists()
