"""The week view opens where the times are: this week if it has any, else the first week ahead that does."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from counseling.models import Room, Slot


def test_the_week_view_opens_on_the_first_week_with_times(world, login):
    room = Room.objects.create(school=world.school_a, name="2号咨询室", area_m2=20)
    day = timezone.localdate() + dt.timedelta(days=15)
    starts = dt.datetime.combine(day, dt.time(10), tzinfo=timezone.get_current_timezone())
    Slot.objects.create(school=world.school_a, room=room, counselor=world.users["counselor_a"], starts_at=starts,
                        ends_at=starts + dt.timedelta(minutes=45))  # fmt: skip
    page = login(world.users["counselor_a"]).get(reverse("counseling:schedule"))
    assert page.context["monday"] == day - dt.timedelta(days=day.weekday()) and len(page.context["slots"]) == 1
    this_week = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    asked = login(world.users["counselor_a"]).get(reverse("counseling:schedule"), {"week": this_week.isoformat()})
    assert asked.context["monday"] == this_week and asked.context["slots"] == []  # a week asked for is shown
