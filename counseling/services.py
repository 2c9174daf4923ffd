"""Writes of counseling. Booking is race-proof: a seat is taken by a conditional UPDATE of the slot's count
(only while a seat is free), every state change guards on the current state, and CHECK/UNIQUE constraints
in the database back both."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone

from counseling import selectors, sql
from counseling.models import (
    ACTIVE,
    DEFAULT_RISK_WORDS,
    Booking,
    BookingCode,
    BookingStatus,
    Closure,
    MailboxMessage,
    MailboxStatus,
    Opening,
    RiskWords,
    SchoolCounselingSettings,
    SessionRecord,
    Slot,
    SlotKind,
)
from portal import audit, codes, notifications
from portal.models import Guardian, Role, School, Student, StudentGuardian, Term, User
from portal.selectors import school_staff


class Refused(Exception):
    """The request cannot be carried out now; `code` says why, `alternatives` offers other free slots."""

    def __init__(self, code: str, instead_of: tuple[Slot, Student] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self._instead_of = instead_of

    @functools.cached_property
    def alternatives(self) -> list[Slot]:
        """The next free times instead of the slot refused, looked up only when a page shows them."""
        if self._instead_of is None:
            return []
        slot, student = self._instead_of
        return next_free(slot.school_id, student, slot.pk)


def settings_for(school_id: int) -> SchoolCounselingSettings:
    return SchoolCounselingSettings.objects.filter(school_id=school_id).first() or SchoolCounselingSettings(
        school_id=school_id
    )


# --- slots -------------------------------------------------------------------------------------------------


def _teaching_days(school: School, start: dt.date, end: dt.date) -> list[dt.date]:
    terms = Term.objects.filter(school_year__district_id=school.district_id, start__lte=end, end__gte=start)
    days = []
    day = start
    while day <= end:
        if any(t.start <= day <= t.end for t in terms):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def slots_generate(*, school: School, start: dt.date, days: int = 28) -> int:
    """Make the bookable slots of the coming weeks from the weekly template, in term time, minus closures.
    Safe to run again: a slot that exists (same room and time) is left alone."""
    end = start + dt.timedelta(days=days - 1)
    openings = list(Opening.objects.filter(school=school, room__active=True).select_related("period", "room"))
    closures = Closure.objects.filter(school=school, date__gte=start, date__lte=end)
    closed_days = {c.date for c in closures if c.period_id is None}
    closed_periods = {(c.date, c.period_id) for c in closures if c.period_id is not None}
    tz = timezone.get_current_timezone()
    new = []
    for day in _teaching_days(school, start, end):
        if day in closed_days:
            continue
        for opening in openings:
            if opening.weekday != day.weekday() or (day, opening.period_id) in closed_periods:
                continue
            new.append(Slot(
                school=school, room=opening.room, counselor_id=opening.counselor_id,
                starts_at=dt.datetime.combine(day, opening.period.starts, tzinfo=tz),
                ends_at=dt.datetime.combine(day, opening.period.ends, tzinfo=tz),
            ))  # fmt: skip
    existing = Slot.objects.filter(school=school).count()
    Slot.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)  # a slot already there is left alone
    return Slot.objects.filter(school=school).count() - existing


def closure_add(*, closure: Closure) -> int:
    """Save a closure and cancel the slots it covers; their bookings are cancelled and the contacts told."""
    with audit.atomic():
        closure.save()
        slots = Slot.objects.select_for_update().filter(school=closure.school_id, cancelled=False,
                                                        starts_at__date=closure.date)  # fmt: skip
        chosen = list(slots)
        if closure.period is not None:
            chosen = [s for s in chosen if timezone.localtime(s.starts_at).time() == closure.period.starts]
        cancelled = 0
        for slot in chosen:
            Slot.objects.filter(pk=slot.pk).update(cancelled=True, booked=0)
            for booking in Booking.objects.filter(slot=slot, status__in=ACTIVE).select_related(
                "slot__room", "slot__school", "student", "contact"
            ):
                Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CANCELLED, changed_at=timezone.now())
                _notify(booking, "booking_cancelled_by_school")
                cancelled += 1
        return cancelled


def group_session_create(
    *, school: School, room_id: int, counselor: User, starts_at: dt.datetime, ends_at: dt.datetime, topic: str,
    capacity: int,
) -> Slot:  # fmt: skip
    try:
        with audit.atomic():
            return Slot.objects.create(
                school=school, room_id=room_id, counselor=counselor, starts_at=starts_at, ends_at=ends_at,
                kind=SlotKind.GROUP, topic=topic, capacity=capacity,
            )  # fmt: skip
    except IntegrityError as exc:
        raise Refused("room_taken") from exc


def bookable(school_id: int) -> QuerySet[Slot]:
    """The school's slots inside its booking window: future, not cancelled, up to book_ahead_days ahead."""
    now = timezone.now()
    ahead = settings_for(school_id).book_ahead_days
    return Slot.objects.filter(
        school_id=school_id, cancelled=False, starts_at__gt=now, starts_at__lte=now + dt.timedelta(days=ahead)
    ).select_related("room", "counselor")


def free_slots(
    school_id: int, *, kind: str | None = None, exclude_student: Student | None = None,
    hide: QuerySet[Booking] | None = None,
) -> QuerySet[Slot]:  # fmt: skip
    """Slots that can still be booked (group sessions also while full: their waiting list is open), without
    those where the student already holds a place (`hide`: only the places this viewer may know of)."""
    qs = bookable(school_id)
    if kind:
        qs = qs.filter(kind=kind)
    if kind == SlotKind.INDIVIDUAL:
        qs = qs.filter(booked__lt=F("capacity"))
    if exclude_student is not None:
        held = hide if hide is not None else Booking.objects.all()
        qs = qs.exclude(pk__in=held.filter(student=exclude_student, status__in=ACTIVE).values("slot_id"))
    return qs.order_by("starts_at", "room__name")


def next_free(school_id: int, student: Student, instead_of: int) -> list[Slot]:
    """The next five free individual times at the school, other than the one refused."""
    return list(free_slots(school_id, kind=SlotKind.INDIVIDUAL, exclude_student=student).exclude(pk=instead_of)[:5])


def _refuse_if_full(slot: Slot, student: Student) -> None:
    """An individual slot already full when read is refused at once, without a transaction: most of the parents
    racing for a popular time learn it is taken without waiting for its row lock. (A seat freed since the
    read is seen by the next try.) Group sessions go on to their waiting list."""
    if slot.kind == SlotKind.INDIVIDUAL and slot.booked >= slot.capacity:
        raise Refused("taken", (slot, student))


# --- bookings ----------------------------------------------------------------------------------------------


def booking_create(
    *, slot: Slot, student: Student, channel: str, made_by: User | None = None, contact: Guardian | None = None,
    reason: str = "",
) -> Booking:  # fmt: skip
    """Book a seat, or a place on a group session's waiting list. The losing side of a race gets
    Refused("taken") with the next free slots, never an error."""
    now = timezone.now()
    if slot.school_id != student.school_id or student.status != "active":
        raise Refused("not_here")
    _refuse_if_full(slot, student)
    if contact is None and channel == "parent" and made_by is not None:
        # A parent's own booking: they are its contact (looked up only once the slot is not already full).
        contact = selectors.parent_contact(made_by, student)
    booking = Booking(slot=slot, student=student, channel=channel, made_by=made_by, contact=contact, reason=reason)
    try:
        with audit.atomic():
            if not sql.take_seat(booking, now):
                # Full (or gone). Joining a group's waiting list holds the slot's row lock, so a cancellation
                # running now either frees the seat before this retry or sees this waiter and promotes it.
                current = (
                    Slot.objects.select_for_update().filter(pk=slot.pk, cancelled=False, starts_at__gt=now).first()
                )
                if current is None:
                    raise Refused("gone", (slot, student))
                if current.kind != SlotKind.GROUP:
                    raise Refused("taken", (slot, student))
                seat = Slot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1)
                booking.status = BookingStatus.BOOKED if seat else BookingStatus.WAITING
                booking.save()
            audit.append(audit.entries_for(Booking, [booking.pk], verb="create",
                                           detail={"channel": channel, "status": booking.status},
                                           subjects=[(booking.pk, student.pk, student.school_id)]))  # fmt: skip
            if booking.status == BookingStatus.BOOKED:  # a waiting place is told when it moves up
                _notify(booking, "booking_confirmed")
            return booking
    except IntegrityError as exc:  # the same student twice in one slot (the partial unique index)
        held = Booking.objects.filter(slot=slot, student=student, status__in=ACTIVE).values_list("channel", flat=True)
        # A place the student booked themselves stays confidential: to anyone else the slot is simply taken.
        raise Refused("taken" if "student" in held and channel != "student" else "already") from exc


def may_change(booking: Booking, by: User | None) -> None:
    """Parents and students change a booking up to the school's cut-off; staff at any time before it starts."""
    starts = booking.slot.starts_at
    if starts <= timezone.now():
        raise Refused("started")
    staff = by is not None and booking.slot.school_id in _staff_schools(by)
    cutoff = dt.timedelta(hours=settings_for(booking.slot.school_id).change_cutoff_hours)
    if not staff and starts - timezone.now() < cutoff:
        raise Refused("cutoff")


def _staff_schools(user: User) -> frozenset[int]:
    from portal import access

    return access.roles_of(user).staff_school_ids


def booking_cancel(*, booking: Booking, by: User | None) -> Booking:
    """Cancel; a freed seat of a group session goes to the first on its waiting list."""
    may_change(booking, by)
    with audit.atomic():
        return _release(booking, BookingStatus.CANCELLED)


def _release(booking: Booking, new_status: str, moved_to: Booking | None = None) -> Booking:
    was = Booking.objects.filter(pk=booking.pk).values_list("status", flat=True).first()
    if was not in ACTIVE:
        raise Refused("not_active")
    changed = Booking.objects.filter(pk=booking.pk, status=was).update(
        status=new_status, changed_at=timezone.now(), moved_to=moved_to
    )
    if not changed:  # another request changed it first
        raise Refused("not_active")
    if was == BookingStatus.BOOKED:
        Slot.objects.filter(pk=booking.slot_id, booked__gt=0).update(booked=F("booked") - 1)
        _promote(booking.slot_id)
    booking.refresh_from_db()
    return booking


def _promote(slot_id: int) -> None:
    """Fill free seats from the waiting list, first come first served (under the slot's row lock, which
    a booking joining the waiting list takes too)."""
    Slot.objects.select_for_update().filter(pk=slot_id).values_list("pk").first()
    while True:
        waiting = (
            Booking.objects.select_for_update(skip_locked=True)
            .filter(slot_id=slot_id, status=BookingStatus.WAITING)
            .order_by("created_at", "pk")
            .first()
        )
        if waiting is None:
            return
        if not Slot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(booked=F("booked") + 1):
            return
        Booking.objects.filter(pk=waiting.pk, status=BookingStatus.WAITING).update(
            status=BookingStatus.BOOKED, changed_at=timezone.now()
        )
        waiting.refresh_from_db()
        _notify(waiting, "booking_promoted")


def booking_move(*, booking: Booking, to_slot: Slot, by: User | None) -> Booking:
    """Reschedule: book the new time first; only if that succeeds is the old one released (one transaction)."""
    may_change(booking, by)
    with audit.atomic():
        new = booking_create(slot=to_slot, student=booking.student, channel=booking.channel, made_by=booking.made_by,
                             contact=booking.contact, reason=booking.reason)  # fmt: skip
        if new.status != BookingStatus.BOOKED:
            raise Refused("taken", (to_slot, booking.student))  # never swap a seat for a queue place
        _release(booking, BookingStatus.MOVED, moved_to=new)
        return new


def booking_mark(*, booking: Booking, status: str, by: User) -> Booking:
    """Attended or no-show, once the session has started; only a booked seat can be marked."""
    if status not in (BookingStatus.ATTENDED, BookingStatus.NO_SHOW):
        raise ValueError(status)
    if booking.slot.starts_at > timezone.now():
        raise Refused("not_started")
    with audit.atomic():
        if not Booking.objects.filter(pk=booking.pk, status=BookingStatus.BOOKED).update(
            status=status, changed_at=timezone.now()
        ):
            raise Refused("not_active")
    booking.refresh_from_db()
    return booking


def _contact_user_or_guardian(booking: Booking) -> dict[str, Any] | None:
    """The booking's contact, while they are still the student's guardian (custody and protection orders
    change: a removed link ends the messages)."""
    if booking.contact_id is None:
        return None
    if not StudentGuardian.objects.filter(student_id=booking.student_id, guardian_id=booking.contact_id).exists():
        return None
    return {"guardian": booking.contact}


def _notify(booking: Booking, kind: str, **extra: Any) -> None:
    """Tell the booking's contact (the parent who booked, or the guardian staff named). A student's own
    booking tells nobody: a child may ask for help without their family knowing."""
    recipient = _contact_user_or_guardian(booking)
    if recipient is None:
        return
    slot = booking.slot
    local = timezone.localtime(slot.starts_at)
    notifications.notification_send(
        kind=kind,
        **recipient,
        student=booking.student,
        context={"school": slot.school.name, "student": booking.student.name, "date": local.strftime("%Y-%m-%d"),
                 "time": local.strftime("%H:%M"), "room": slot.room.name, "topic": slot.topic,
                 "ics_path": reverse("counseling:booking_ics", args=[booking.pk])},
        dedupe_key=f"{kind}:{booking.pk}" + (f":{extra['step']}" if "step" in extra else ""),
    )  # fmt: skip


def reminders_send() -> dict[str, int]:
    """The day before and an hour before, once each, only for seats still booked (a cancelled or moved
    booking is never reminded). The step is claimed with a conditional UPDATE, so running twice sends once."""
    now = timezone.now()
    sent = {"day": 0, "hour": 0}
    for step, column, ahead in (("day", "reminded_day", dt.timedelta(hours=24)),
                               ("hour", "reminded_hour", dt.timedelta(hours=1))):  # fmt: skip
        due = Booking.objects.filter(
            status=BookingStatus.BOOKED, slot__cancelled=False, slot__starts_at__gt=now,
            slot__starts_at__lte=now + ahead,
            **{f"{column}__isnull": True},
        ).select_related("slot__room", "slot__school", "student", "contact")  # fmt: skip
        for booking in due:
            with audit.atomic():
                if not Booking.objects.filter(pk=booking.pk, status=BookingStatus.BOOKED,
                                              **{f"{column}__isnull": True}).update(**{column: now}):  # fmt: skip
                    continue
                if step == "day" and booking.slot.starts_at - now <= dt.timedelta(hours=1):
                    Booking.objects.filter(pk=booking.pk).update(reminded_hour=now)  # one message, not two
                _notify(booking, "booking_reminder", step=step)
                sent[step] += 1
    return sent


# --- booking codes -----------------------------------------------------------------------------------------


def booking_codes_issue(*, students: list[Student]) -> int:
    """Give each student without one a personal booking code (kept until the school issues a new one)."""
    have = set(BookingCode.objects.filter(student__in=students).values_list("student_id", flat=True))
    new = []
    for student in students:
        if student.pk in have:
            continue
        code = codes.new_code()
        new.append(BookingCode(student=student, code=code, code_digest=codes.digest("booking", code)))
    BookingCode.objects.bulk_create(new, ignore_conflicts=True)  # two clicks at once: the first one's codes stand
    return len(new)


def student_for_code(code: str) -> Student:
    found = (
        BookingCode.objects.select_related("student__school", "student__classroom")
        .filter(code_digest=codes.digest("booking", code), student__status="active")
        .first()
    )
    if found is None:
        raise Refused("unknown_code")
    return found.student


# --- session records ---------------------------------------------------------------------------------------


def session_record_create(
    *, student: Student, author: User, booking: Booking | None = None, raise_tier: int | None = None, **fields: Any
) -> SessionRecord:
    """The counselor's record of a session; it may open or raise a crisis case, in the same transaction."""
    from crisis import services as crisis

    with audit.atomic():
        if booking is not None and SessionRecord.objects.filter(booking=booking).exists():
            raise Refused("recorded")
        record = SessionRecord.objects.create(student=student, author=author, booking=booking, **fields)
        if booking is not None and fields.get("attendance") in ("attended", "late", "no_show"):
            status = BookingStatus.NO_SHOW if fields["attendance"] == "no_show" else BookingStatus.ATTENDED
            Booking.objects.filter(pk=booking.pk, status=BookingStatus.BOOKED).update(status=status)
        audit.append(audit.entries_for(SessionRecord, [record.pk], verb="create"))
        if raise_tier:
            crisis.case_raise(student=student, suggested_tier=raise_tier, source="session",
                              evidence={"session_record": record.pk}, cause=f"session_record:{record.pk}")  # fmt: skip
        return record


def private_notes_share(*, record: SessionRecord, with_user: User, by: User) -> None:
    from guardian.shortcuts import assign_perm

    if record.author_id != by.pk:
        raise Refused("not_author")
    assign_perm("read_private_notes", with_user, record)
    audit.append(audit.entries_for(SessionRecord, [record.pk], verb="share_notes", detail={"with": with_user.pk}))


def private_notes_break_glass(*, record: SessionRecord, by: User, reason: str) -> str:
    """Someone other than the author (or a colleague they shared with) reads the private notes: allowed to the
    school's counselors and leaders in an emergency, with a reason, audited, and visible to the school leader
    in the student's access log."""
    if len(reason.strip()) < 10:
        raise Refused("reason")
    audit.append(audit.entries_for(SessionRecord, [record.pk], verb="break_glass", detail={"reason": reason.strip()}))
    return record.private_notes


# --- mailbox -----------------------------------------------------------------------------------------------


@dataclass
class Posted:
    message: MailboxMessage
    reply_code: str = field(repr=False)


def risk_words(district_id: int) -> list[str]:
    custom = RiskWords.objects.filter(district_id=district_id).values_list("words", flat=True).first()
    text = custom if custom is not None else DEFAULT_RISK_WORDS
    return [w.strip().lower() for w in text.splitlines() if w.strip()]


def mailbox_post(*, school: School, body: str) -> Posted:
    """A student's anonymous message. Nothing about the sender is kept: no account, no address, no device."""
    words = risk_words(school.district_id)
    text = body.lower()
    risk = any(word in text for word in words)
    code = codes.new_code()
    with audit.atomic():
        message = MailboxMessage.objects.create(school=school, body=body, risk=risk,
                                                reply_digest=codes.digest("mailbox", code))  # fmt: skip
        if risk:
            for user in _on_duty(school):
                notifications.notification_send(
                    kind="mailbox_risk_alert", user=user, via=["inbox", "email", "sms"],
                    context={"school": school.name, "path": reverse("counseling:mailbox_message", args=[message.pk])},
                    dedupe_key=f"mailbox_risk:{message.pk}:{user.pk}",
                )  # fmt: skip
    return Posted(message, code)


def _on_duty(school: School) -> list[User]:
    """The counselor on duty now (by the weekly template), if they still counsel at this school; otherwise
    every counselor of the school: an alert must reach someone who can open the message."""
    counselors = school_staff(school.pk, Role.COUNSELOR)
    now = timezone.localtime()
    closed = Closure.objects.filter(school=school, date=now.date(), period__isnull=True).exists()
    on_duty = counselors.filter(
        pk__in=Opening.objects.filter(
            school=school, weekday=now.weekday(), period__starts__lte=now.time(), period__ends__gte=now.time()
        ).values("counselor_id")
    )
    return list(on_duty) if on_duty.exists() and not closed else list(counselors)


def mailbox_for_code(code: str) -> MailboxMessage:
    message = MailboxMessage.objects.filter(reply_digest=codes.digest("mailbox", code)).first()
    if message is None:
        raise Refused("unknown_code")
    return message


def mailbox_reply(*, message: MailboxMessage, reply: str, by: User) -> MailboxMessage:
    with audit.atomic():
        if (
            not MailboxMessage.objects.filter(pk=message.pk)
            .exclude(status=MailboxStatus.CLOSED)
            .update(reply=reply, replied_by=by, replied_at=timezone.now(), status=MailboxStatus.REPLIED)
        ):
            raise Refused("closed")
    message.refresh_from_db()
    return message


def mailbox_close(*, message: MailboxMessage, by: User) -> None:
    MailboxMessage.objects.filter(pk=message.pk).update(status=MailboxStatus.CLOSED)


def mailbox_identify(*, message: MailboxMessage, student: Student, by: User, tier: int | None = None) -> None:
    """The student named themselves: the counselor records who it is, and may open a crisis case."""
    from crisis import services as crisis

    if student.school_id != message.school_id:
        raise Refused("not_here")
    with audit.atomic():
        MailboxMessage.objects.filter(pk=message.pk).update(student=student)
        if tier:
            crisis.case_raise(student=student, suggested_tier=tier, source="mailbox",
                              evidence={"mailbox_message": message.pk}, cause=f"mailbox:{message.pk}")  # fmt: skip
