"""The counseling part of the demo district (registered in counseling/apps.py)."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from counseling import selectors, services
from counseling.models import (
    Attendance,
    Booking,
    BookingCode,
    BookingStatus,
    Channel,
    Opening,
    Period,
    Room,
    SessionRecord,
    SessionType,
    Slot,
    SlotKind,
)
from portal import codes
from portal.demo import DemoLine, DemoWorld, site_link
from portal.models import Membership, Role, School, Student, Term

DEMO_BOOKING_CODE = "BOOK-2345"  # the first demo student's personal booking code (README); never in production


@dataclass(frozen=True)
class PastSession:
    """An appointment of the last fortnight: who came (a seat in the first class of a grade), and what
    counselor A wrote. Without a summary the session is held but not yet written up."""

    grade: int
    seat: int
    reason: str
    came: bool | None  # None: nobody has marked it yet
    summary: str = ""
    notes: str = ""


# Oldest first. The last two wait for counselor A's record, so the demo has one to write at once.
PAST = [
    PastSession(8, 0, "study", True, "考试前紧张、失眠两周。练习了腹式呼吸，约定下周复谈。",
                "父母对排名要求高，孩子说“考不好就没脸回家”。下次了解家庭沟通情况。"),
    PastSession(8, 1, "friends", False, "未到。班主任反馈当天请病假，已改约。"),
    PastSession(8, 0, "study", True, "复谈：睡眠好转，考前能用放松练习。两周后再约一次。",
                "提到和父亲的关系有改善，愿意周末一起打球。"),
    PastSession(9, 0, "family", True),
    PastSession(8, 2, "mood", None),
]  # fmt: skip


def seed(world: DemoWorld) -> list[DemoLine]:
    """School A: a 24 m² room open two periods a day with counselor A on duty, slots for four weeks, a booking
    code for the first student of the teacher's class, one anonymous mailbox message, and the last fortnight's
    appointments and session records."""
    school = world.school_a
    if not Room.objects.filter(school=school).exists():
        _room_seed(world)
    if not SessionRecord.objects.filter(student__school=school).exists():
        _past_seed(world)
    return _lines(world)


def _room_seed(world: DemoWorld) -> None:
    school = world.school_a
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


def _past_seed(world: DemoWorld) -> None:
    """The fortnight of teaching days before today (in a holiday, the last one of the term before it): slots from
    the opening hours, and PAST booked into every other one of the latest, written up through the real services."""
    school = world.school_a
    today = timezone.localdate()
    term_end = Term.objects.filter(school_year__district_id=school.district_id, start__lt=today).aggregate(
        end=Max("end")
    )["end"]
    if term_end is None:
        return  # before the demo's first term: there is no past to show
    last = min(today - dt.timedelta(days=1), term_end)
    start = last - dt.timedelta(days=13)
    services.slots_generate(school=school, start=start, days=(today - start).days)
    past = list(
        Slot.objects.filter(
            school=school, kind=SlotKind.INDIVIDUAL, cancelled=False, booked=0, starts_at__lt=timezone.now()
        ).order_by("starts_at")
    )
    with transaction.atomic():
        for slot, plan in zip(past[-2 * len(PAST) :: 2], PAST, strict=False):
            student = Student.objects.filter(school=school, classroom__grade=plan.grade).order_by("student_number")[
                plan.seat
            ]
            # booking_create refuses a time that has begun, as it must: the past is written as the booking it
            # would have made, a few days before the session, by counselor A in person.
            booking = Booking.objects.create(
                slot=slot, student=student, channel=Channel.IN_PERSON, made_by=world.counselor_a, reason=plan.reason,
                created_at=slot.starts_at - dt.timedelta(days=3),
            )  # fmt: skip
            Slot.objects.filter(pk=slot.pk).update(booked=1)
            if plan.came is not None and not plan.summary:
                services.booking_mark(booking=booking, status=BookingStatus.ATTENDED, by=world.counselor_a)
            elif plan.came is not None:
                services.session_record_create(
                    student=student, author=world.counselor_a, booking=booking,
                    held_on=timezone.localdate(slot.starts_at),
                    attendance=Attendance.ATTENDED if plan.came else Attendance.NO_SHOW,
                    session_type=SessionType.INDIVIDUAL, summary=plan.summary, private_notes=plan.notes,
                )  # fmt: skip


def _lines(world: DemoWorld) -> list[DemoLine]:
    lines = [
        DemoLine(_("Student booking, code %(code)s") % {"code": DEMO_BOOKING_CODE},
                 site_link(reverse("counseling:student_start"))),
    ]  # fmt: skip
    school = world.school_a
    waiting = (
        Booking.objects.filter(
            slot__school=school, slot__starts_at__lt=timezone.now(),
            status__in=[BookingStatus.BOOKED, BookingStatus.ATTENDED], record__isnull=True,
        )
        .select_related("slot")
        .order_by("-slot__starts_at")
    )  # fmt: skip
    latest = waiting.first()
    if latest is not None:
        day = timezone.localdate(latest.slot.starts_at)
        monday = day - dt.timedelta(days=day.weekday())
        count = waiting.count()
        lines.append(
            DemoLine(
                ngettext(
                    "%(count)d past appointment waits for its session record (%(username)s)",
                    "%(count)d past appointments wait for their session record (%(username)s)",
                    count,
                )
                % {"username": world.counselor_a.username, "count": count},
                site_link(f"{reverse('counseling:schedule')}?week={monday.isoformat()}"),
            )
        )
    for each in School.objects.filter(district_id=school.district_id).select_related("district").order_by("code"):
        readers = Membership.objects.filter(school=each, role__in=[Role.COUNSELOR, Role.LEADER]).order_by(
            "user__username"
        )
        names = ", ".join(readers.values_list("user__username", flat=True))
        what = (
            _("Confide mailbox of %(school)s (school code %(code)s), read by %(readers)s")
            if names
            else _("Confide mailbox of %(school)s (school code %(code)s), no demo login reads it")
        )
        link = site_link(selectors.mailbox_path(each))
        lines.append(DemoLine(what % {"school": each.name, "code": each.code, "readers": names}, link))
    return lines
