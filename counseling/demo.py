"""The counseling part of the demo district (registered in counseling/apps.py)."""

import datetime as dt

from django.utils import timezone

from counseling import services
from counseling.models import BookingCode, Opening, Period, Room
from portal import codes
from portal.demo import DemoWorld
from portal.models import Student

DEMO_BOOKING_CODE = "BOOK-2345"  # the first demo student's personal booking code (README); never in production


def seed(world: DemoWorld) -> None:
    """School A: a 24 m² room open two periods a day with counselor A on duty, slots for four weeks, a
    booking code for the first student of the teacher's class, and one anonymous mailbox message."""
    school = world.school_a
    if Room.objects.filter(school=school).exists():
        return
    room = Room.objects.create(school=school, name="心理辅导室 1", area_m2=24, for_sandplay=True, for_groups=True)
    periods = [
        Period.objects.create(school=school, number=7, starts=dt.time(15, 20), ends=dt.time(16, 0)),
        Period.objects.create(school=school, number=8, starts=dt.time(16, 10), ends=dt.time(16, 50)),
    ]
    Opening.objects.bulk_create(
        Opening(school=school, weekday=weekday, period=period, room=room, counselor=world.counselor_a)
        for weekday in range(5)
        for period in periods
    )
    services.slots_generate(school=school, start=timezone.localdate(), days=28)
    first = Student.objects.filter(classroom__class_teacher=world.teacher).order_by("student_number").first()
    if first is not None:
        services.booking_codes_issue(students=[first])
        BookingCode.objects.filter(student=first).update(
            code=DEMO_BOOKING_CODE, code_digest=codes.digest("booking", DEMO_BOOKING_CODE)
        )
    services.mailbox_post(school=school, body="最近和同桌闹矛盾，不知道怎么和好，有点难过。")
