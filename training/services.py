"""Writes of training: programmes and sessions, race-proof enrolment with a waiting list, attendance that
credits hours exactly once, certificates, and lessons logged for a whole grade at once."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.db import IntegrityError
from django.db.models import Count, F, Sum
from django.utils import timezone

from portal import audit, notifications
from portal.models import Classroom, School, User
from training.models import (
    Certificate,
    Enrolment,
    EnrolmentStatus,
    LessonLog,
    Programme,
    TrainingSession,
)

ACTIVE = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITING)


class Refused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def enrol(*, session: TrainingSession, user: User) -> Enrolment:
    """A place, or the waiting list when the session is full (the session's row lock orders the two)."""
    if session.starts_at <= timezone.now():
        raise Refused("started")
    try:
        with audit.atomic():
            seat = TrainingSession.objects.filter(pk=session.pk, enrolled__lt=F("capacity")).update(
                enrolled=F("enrolled") + 1
            )
            if not seat:
                TrainingSession.objects.select_for_update().filter(pk=session.pk).values_list("pk").first()
                seat = TrainingSession.objects.filter(pk=session.pk, enrolled__lt=F("capacity")).update(
                    enrolled=F("enrolled") + 1
                )
            enrolment = Enrolment.objects.create(
                session=session, user=user, status=EnrolmentStatus.ENROLLED if seat else EnrolmentStatus.WAITING
            )
            audit.append([audit.Entry("enrolment.create", "training.enrolment", enrolment.pk,
                                      detail={"status": enrolment.status})])  # fmt: skip
            return enrolment
    except IntegrityError as exc:
        raise Refused("already") from exc


def enrolment_cancel(*, enrolment: Enrolment) -> None:
    """Cancel before the session starts; a freed place goes to the first on the waiting list."""
    if enrolment.session.starts_at <= timezone.now():
        raise Refused("started")
    with audit.atomic():
        TrainingSession.objects.select_for_update().filter(pk=enrolment.session_id).values_list("pk").first()
        was = Enrolment.objects.filter(pk=enrolment.pk).values_list("status", flat=True).first()
        if was not in ACTIVE or not Enrolment.objects.filter(pk=enrolment.pk, status=was).update(
            status=EnrolmentStatus.CANCELLED
        ):
            raise Refused("not_active")
        if was == EnrolmentStatus.ENROLLED:
            TrainingSession.objects.filter(pk=enrolment.session_id, enrolled__gt=0).update(enrolled=F("enrolled") - 1)
            first = (
                Enrolment.objects.filter(session_id=enrolment.session_id, status=EnrolmentStatus.WAITING)
                .order_by("created_at", "pk")
                .first()
            )
            if first is not None and TrainingSession.objects.filter(
                pk=enrolment.session_id, enrolled__lt=F("capacity")
            ).update(enrolled=F("enrolled") + 1):
                Enrolment.objects.filter(pk=first.pk).update(status=EnrolmentStatus.ENROLLED)
                notifications.notification_send(
                    kind="training_place_free", user=first.user, via=["inbox", "email"],
                    context={"programme": enrolment.session.programme.title,
                             "date": timezone.localtime(enrolment.session.starts_at).strftime("%Y-%m-%d %H:%M")},
                    dedupe_key=f"training_place_free:{first.pk}",
                )  # fmt: skip


def attendance_mark(*, enrolment: Enrolment, attended: bool) -> bool:
    """Take attendance on the day. Hours are credited once: marking again changes nothing. Returns whether
    this call credited the hours."""
    with audit.atomic():
        if attended:
            hours = enrolment.session.hours
            return bool(
                Enrolment.objects.filter(
                    pk=enrolment.pk, status=EnrolmentStatus.ENROLLED, credited_at__isnull=True
                ).update(status=EnrolmentStatus.ATTENDED, hours_credited=hours, credited_at=timezone.now())
            )
        Enrolment.objects.filter(pk=enrolment.pk, status=EnrolmentStatus.ENROLLED).update(status=EnrolmentStatus.ABSENT)
        return False


def _certificate_code() -> str:
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def certificates_issue(*, programme: Programme) -> int:
    """A certificate for everyone who attended every session of the programme (once per person)."""
    sessions = programme.sessions.count()
    if not sessions:
        return 0
    done = (
        Enrolment.objects.filter(session__programme=programme, status=EnrolmentStatus.ATTENDED)
        .values("user_id")
        .annotate(n=Count("id"), hours=Sum("hours_credited"))
    )
    issued = 0
    with audit.atomic():
        have = set(Certificate.objects.filter(programme=programme).values_list("user_id", flat=True))
        for row in done:
            if row["n"] < sessions or row["user_id"] in have:
                continue
            Certificate.objects.create(user_id=row["user_id"], programme=programme, hours=row["hours"] or Decimal(0),
                                       code=_certificate_code())  # fmt: skip
            issued += 1
    return issued


def lessons_log_grade(
    *, school: School, grade: int, held_on: dt.date, kind: str, topic: str, by: User
) -> int:  # fmt: skip
    """One form for a whole grade: a lesson (or class meeting) logged in every class of the grade, taught by
    its class teacher unless told otherwise. A class that has it logged already that day is left alone."""
    classes = Classroom.objects.filter(school=school, grade=grade)
    logs = [LessonLog(classroom=c, held_on=held_on, kind=kind, topic=topic, teacher_id=c.class_teacher_id,
                      logged_by=by) for c in classes]  # fmt: skip
    before = LessonLog.objects.filter(classroom__in=classes, held_on=held_on, kind=kind).count()
    LessonLog.objects.bulk_create(logs, ignore_conflicts=True)
    return LessonLog.objects.filter(classroom__in=classes, held_on=held_on, kind=kind).count() - before
