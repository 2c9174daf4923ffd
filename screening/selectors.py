"""Reads of screening. Every one starts from portal.access."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from portal import access
from portal.access import AnyUser
from portal.models import Classroom, Student
from screening.models import Battery, Campaign, Consent, Participation, Response, ResponseStatus


def campaigns_for(user: AnyUser) -> QuerySet[Campaign]:
    return access.scope_campaigns(Campaign.objects.all(), user).select_related("school_year", "district")


def campaigns_listed(user: AnyUser) -> QuerySet[Campaign]:
    """The campaigns list: each with its instruments (by instrument, so a template shows each once), one query
    for all of them."""
    batteries = Battery.objects.select_related("instrument").order_by("instrument__code", "grade_from")
    return campaigns_for(user).prefetch_related(Prefetch("batteries", queryset=batteries))


@dataclass
class Progress:
    key: int
    label: str
    invited: int
    consented: int
    refused: int
    started: int
    completed: int
    flagged: int | None  # None for officials: who was flagged is the school's business

    @property
    def completion(self) -> int:
        return round(100 * self.completed / self.invited) if self.invited else 0


_COUNTS = {
    "invited": Count("id"),
    "consented": Count("id", filter=Q(consent__in=[Consent.GRANTED, Consent.NOT_NEEDED])),
    "refused": Count("id", filter=Q(consent=Consent.REFUSED)),
    "started": Count("id", filter=Q(started_at__isnull=False)),
    "completed": Count("id", filter=Q(completed_at__isnull=False)),
    "flagged": Count("id", filter=Q(flagged=True) | Q(suggested_tier__gte=1)),
}


def progress(campaign: Campaign, user: AnyUser) -> list[Progress]:
    """Per class for a school's staff (their schools only), per school for the district's officials.
    One query whatever the number of schools or classes."""
    roles = access.roles_of(user)
    rows = Participation.objects.filter(campaign=campaign)
    if campaign.district_id in roles.district_ids:
        grouped = (
            rows.values("student__school_id", "student__school__name")
            .annotate(**_COUNTS)
            .order_by("student__school__name")
        )
        return [
            Progress(
                r["student__school_id"],
                r["student__school__name"],
                r["invited"],
                r["consented"],
                r["refused"],
                r["started"],
                r["completed"],
                None,
            )  # fmt: skip
            for r in grouped
        ]
    grouped = (
        rows.filter(student__school_id__in=roles.staff_school_ids)
        .values("student__classroom_id", "student__classroom__grade", "student__classroom__name")
        .annotate(**_COUNTS)
        .order_by("student__classroom__grade", "student__classroom__name")
    )
    return [
        Progress(
            r["student__classroom_id"],
            f"{r['student__classroom__grade']}年级{r['student__classroom__name']}",
            r["invited"],
            r["consented"],
            r["refused"],
            r["started"],
            r["completed"],
            r["flagged"],
        )  # fmt: skip
        for r in grouped
    ]


def unscoreable(campaign: Campaign, user: AnyUser) -> QuerySet[Response]:
    """The campaign's forms the scorer set aside (services._set_aside), named, for the staff of the students'
    schools (the clinical scope); oldest first."""
    rows = Response.objects.filter(participation__campaign=campaign, status=ResponseStatus.UNSCOREABLE)
    return (
        access.scope_clinical(rows, user, student_path="participation__student")
        .select_related("instrument", "participation__student__classroom")
        .order_by("submitted_at", "id")
    )


@dataclass
class SetAside:
    """How many of a campaign's forms could not be scored, for one reason (officials: counts, never a name)."""

    reason: str
    count: int


def unscoreable_counts(campaign: Campaign) -> list[SetAside]:
    """The campaign's forms set aside by the scorer, counted by reason, in words."""
    rows = (
        Response.objects.filter(participation__campaign=campaign, status=ResponseStatus.UNSCOREABLE)
        .values("score_error__code")
        .annotate(count=Count("id"))
        .order_by("-count")
    )
    return [
        SetAside(Response(score_error={"code": r["score_error__code"], "item": None}).score_error_text, r["count"])
        for r in rows
    ]


def code_sheet(campaign: Campaign, classroom: Classroom) -> QuerySet[Participation]:
    """A class's printable sheet: each student's code and whether they may take part."""
    return (
        Participation.objects.filter(campaign=campaign, student__classroom=classroom)
        .select_related("student")
        .order_by("student__student_number")
    )


def classrooms_for(campaign: Campaign, user: AnyUser) -> QuerySet[Classroom]:
    return (
        access.scope_classrooms(Classroom.objects.all(), user)
        .filter(school__in=campaign.schools.all(), grade__gte=campaign.grade_from, grade__lte=campaign.grade_to)
        .filter(school_id__in=access.roles_of(user).staff_school_ids)
        .order_by("grade", "name")
    )


def student_file(student: Student) -> QuerySet[Response]:
    """The student's screening results over the years (心理档案), newest first, with the forms that could not be
    scored (and why). Call only for a student the user may see clinically (access.scope_clinical)."""
    return (
        Response.objects.filter(
            participation__student=student, status__in=[ResponseStatus.SCORED, ResponseStatus.UNSCOREABLE]
        )
        .select_related("instrument", "participation__campaign__school_year")
        .prefetch_related("answer_changes")
        .order_by("-participation__campaign__opens_on", "instrument__code")
    )


@dataclass
class ChangedAnswer:
    """An answer the student went back to change, in words: the question, both answers as the student saw them,
    and whether the earlier one was critical (it stays acted on)."""

    item: int
    previous: str
    value: str
    previous_critical: bool
    changed_at: Any


def changed_answers(response: Response, *, zh: bool) -> list[ChangedAnswer]:
    """The response's changed answers (prefetched by student_file), oldest first."""
    options = {o.value: o.zh_hans if zh else o.en for o in response.instrument.parsed.options}
    skipped = str(_("I'd rather not answer"))
    return [
        ChangedAnswer(
            item=change.item,
            previous=skipped if change.previous is None else options.get(change.previous, "?"),
            value=skipped if change.value is None else options.get(change.value, "?"),
            previous_critical=change.previous_critical,
            changed_at=change.changed_at,
        )  # fmt: skip
        for change in response.answer_changes.all()
    ]


@dataclass
class FileRecord:
    """A counseling session record as the student's file shows it."""

    record: Any  # counseling.models.SessionRecord
    notes: str | None  # the private notes, for a reader counseling's rule allows; None for everyone else


def session_records(student: Student, user: AnyUser) -> list[FileRecord]:
    """The student's counseling session records, newest first: those the user may open (the clinical scope, as
    the record's own page has it), each with its private notes only where counseling's rule lets this user read
    them (the author, or a colleague they shared them with)."""
    from counseling.models import SessionRecord

    records = access.scope_clinical(SessionRecord.objects.filter(student=student), user, student_path="student")
    return [
        FileRecord(record, record.private_notes if access.may_read_notes(user, record) else None)  # type: ignore[arg-type]
        for record in records.select_related("author").order_by("-held_on", "-id")
    ]
