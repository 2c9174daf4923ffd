"""Writes of training: programmes and sessions, race-proof enrolment with a waiting list, attendance that
credits hours exactly once, certificates, and lessons logged for a whole grade at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit, codes, notifications
from portal.models import Classroom, School, User
from training.models import (
    Certificate,
    Enrolment,
    EnrolmentStatus,
    LessonLog,
    ParentEpisode,
    ParentSignup,
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
            # A mis-tap on "absent" can be corrected; the hours are still credited only once.
            correctable = [EnrolmentStatus.ENROLLED, EnrolmentStatus.ABSENT]
            return bool(
                Enrolment.objects.filter(pk=enrolment.pk, status__in=correctable, credited_at__isnull=True).update(
                    status=EnrolmentStatus.ATTENDED, hours_credited=hours, credited_at=timezone.now()
                )
            )
        Enrolment.objects.filter(pk=enrolment.pk, status=EnrolmentStatus.ENROLLED).update(status=EnrolmentStatus.ABSENT)
        return False


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
        Programme.objects.select_for_update().filter(pk=programme.pk).values_list("pk").first()  # a double click
        have = set(Certificate.objects.filter(programme=programme).values_list("user_id", flat=True))
        for row in done:
            if row["n"] < sessions or row["user_id"] in have:
                continue
            Certificate.objects.create(user_id=row["user_id"], programme=programme, hours=row["hours"] or Decimal(0),
                                       code=codes.new_code(10, group=0))  # fmt: skip
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


def parent_signup(*, episode: ParentEpisode, user: User) -> bool:
    """Sign up for a live parent class; False when it is full or the parent is signed up already."""
    with audit.atomic():
        ParentEpisode.objects.select_for_update().filter(pk=episode.pk).values_list("pk").first()
        if episode.capacity is not None and episode.signups.count() >= episode.capacity:
            return False
        _, created = ParentSignup.objects.get_or_create(episode=episode, user=user)
        return created


def episode_viewed(*, episode: ParentEpisode) -> None:
    ParentEpisode.objects.filter(pk=episode.pk).update(views_counted=F("views_counted") + 1)


MAX_IMPORTED_VIEWS = 100_000_000


def episode_views_import(*, episode: ParentEpisode, raw: str) -> bool:
    """Views counted elsewhere (the broadcaster's, a video platform's), as typed: a whole number, else False."""
    if not (raw.isascii() and raw.isdecimal() and int(raw) < MAX_IMPORTED_VIEWS):
        return False
    ParentEpisode.objects.filter(pk=episode.pk).update(views_imported=int(raw))
    return True


# --- imports -----------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    errors: list[str]
    applied: int


# An attendance sheet lists a session's places (at most 2,000); a teacher roster a district's few hundred teachers.
MAX_ROWS = 5000


def _sheet_error(file_errors: list[dict[str, Any]]) -> str:
    if any(e["code"] == "too_many_rows" for e in file_errors):
        return _("The file has more than %(max)s rows.") % {"max": MAX_ROWS}
    return _("The file could not be read, or it has no rows below its header line.")


def attendance_import(*, session: TrainingSession, content: bytes) -> ImportResult:
    """An attendance sheet (XLSX or CSV): 用户名 (username), 出勤 (是/否). Checked whole, then applied; hours
    are credited once, as on the tablet."""
    from portal.roster import read_table

    table, file_errors = read_table(content, max_rows=MAX_ROWS)
    if file_errors or len(table) < 2:
        return ImportResult([_sheet_error(file_errors)], 0)
    header = [c.strip().lower() for c in table[0]]
    if header[:2] not in (["用户名", "出勤"], ["username", "attended"]):
        return ImportResult([_("The first columns must be 用户名 and 出勤.")], 0)
    enrolments = {e.user.username: e for e in session.enrolments.exclude(status="cancelled").select_related("user")}
    marked = {EnrolmentStatus.ENROLLED, EnrolmentStatus.ABSENT, EnrolmentStatus.ATTENDED}
    errors, plan = [], []
    for line, row in enumerate(table[1:], 2):
        row = row + ["", ""]
        username, mark = row[0].strip(), row[1].strip().lower()
        if not username:
            continue
        if username not in enrolments or enrolments[username].status not in marked:
            errors.append(_("Row %(row)s: %(name)s is not enrolled in this session.") % {"row": line, "name": username})
        elif mark not in ("是", "否", "yes", "no", "1", "0"):
            errors.append(_("Row %(row)s: write 是 or 否.") % {"row": line})
        else:
            plan.append((enrolments[username], mark in ("是", "yes", "1")))
    if errors:
        return ImportResult(errors, 0)
    with audit.atomic():
        credited = sum(attendance_mark(enrolment=e, attended=present) for e, present in plan)
    return ImportResult([], credited)


def roster_import(*, schools: Iterable[School], content: bytes) -> ImportResult:
    """The mental-health teacher roster (XLSX or CSV): 用户名, 专兼职 (专职/兼职), 资格, 证书编号, 发证日期,
    学科背景. Updates the teachers' employment, qualifications and profiles; every row is checked first."""
    from portal.models import Membership, Role
    from portal.roster import read_table
    from training.models import Qualification, QualificationKind, TeacherProfile

    table, file_errors = read_table(content, max_rows=MAX_ROWS)
    if file_errors or len(table) < 2:
        return ImportResult([_sheet_error(file_errors)], 0)
    header = [c.strip() for c in table[0]]
    if header[:2] != ["用户名", "专兼职"]:
        return ImportResult([_("The first columns must be 用户名 and 专兼职.")], 0)
    kinds = {str(label): value for value, label in QualificationKind.choices} | {v: v for v in QualificationKind.values}
    memberships = {
        m.user.username: m
        for m in Membership.objects.active()
        .filter(role=Role.COUNSELOR, school__in=list(schools))
        .select_related("user")
    }
    errors: list[str] = []
    plan: list[tuple[Any, str, str, str, dt.date | None, str]] = []
    for line, row in enumerate(table[1:], 2):
        row = row + [""] * 6
        username, employment, kind, number, issued, subject = (c.strip() for c in row[:6])
        if not username:
            continue
        membership = memberships.get(username)
        employment_value = {
            "专职": "full_time",
            "兼职": "part_time",
            "full_time": "full_time",
            "part_time": "part_time",
        }.get(employment)
        issued_on = None
        if membership is None:
            errors.append(
                _("Row %(row)s: %(name)s is not a counselor at your schools.") % {"row": line, "name": username}
            )
            continue
        if employment_value is None:
            errors.append(_("Row %(row)s: write 专职 or 兼职.") % {"row": line})
            continue
        if kind and kind not in kinds:
            errors.append(_("Row %(row)s: %(value)s is not a known qualification.") % {"row": line, "value": kind})
            continue
        if issued:
            try:
                issued_on = dt.date.fromisoformat(issued)
            except ValueError:
                errors.append(
                    _("Row %(row)s: %(value)s is not a date: write it as 2020-06-30.") % {"row": line, "value": issued}
                )
                continue
        if len(number) > 50 or len(subject) > 50:
            errors.append(
                _("Row %(row)s: a certificate number or subject is longer than 50 characters.") % {"row": line}
            )
            continue
        plan.append((membership, employment_value, kinds.get(kind, ""), number, issued_on, subject))
    if errors:
        return ImportResult(errors, 0)
    with audit.atomic():
        for membership, employment_value, kind, number, issued_on, subject in plan:
            Membership.objects.filter(pk=membership.pk).update(employment=employment_value)
            if kind:
                details = {"certificate_no": number, "issued_on": issued_on}
                Qualification.objects.update_or_create(user=membership.user, kind=kind, defaults=details)
            if subject:
                TeacherProfile.objects.update_or_create(user=membership.user, defaults={"subject": subject})
    return ImportResult([], len(plan))
