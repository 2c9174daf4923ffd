"""Writes of the core domain: roster imports, sharing, the user's language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from portal import audit
from portal.models import Classroom, Guardian, RosterImport, School, Student, StudentGuardian, User
from portal.models.roster import ImportStatus
from portal.roster import ParsedRoster, StudentRow, parse_roster


class ImportNotApplicable(Exception):
    """The import is not in a state that can be applied (refused, already applied, or being applied)."""


def _local_today() -> dt.date:
    return timezone.localdate()


def roster_import_create(*, school: School, uploaded_by: User, filename: str, content: bytes) -> RosterImport:
    """Store an upload and its dry-run preview. Nothing in the roster changes here."""
    if len(content) > settings.ROSTER_IMPORT_MAX_BYTES:
        parsed = ParsedRoster(
            [],
            [
                {
                    "row": 0,
                    "column": "file",
                    "code": "too_large",
                    "params": {"max": settings.ROSTER_IMPORT_MAX_BYTES // (1024 * 1024)},
                }
            ],
            0,
        )
        content = b""
    else:
        parsed = parse_roster(content, grades=school.grades, today=_local_today())
    refused = bool(parsed.errors)
    return RosterImport.objects.create(
        school=school,
        uploaded_by=uploaded_by,
        filename=filename[:200],
        content=b"" if refused else content,
        status=ImportStatus.REFUSED if refused else ImportStatus.PREVIEWED,
        row_count=parsed.row_count,
        errors=parsed.errors,
        plan={} if refused else _plan(school, parsed.students),
    )


def roster_import_request_apply(*, roster_import: RosterImport) -> None:
    """Queue the apply on the bulk worker once the request's transaction has committed."""
    from portal.tasks import roster_import_apply as task

    if roster_import.status != ImportStatus.PREVIEWED:
        raise ImportNotApplicable
    transaction.on_commit(lambda: task.delay(roster_import.pk))


def roster_import_apply(*, import_id: int) -> RosterImport:
    """Apply a previewed import in one transaction: all rows or none.

    Claimed with a conditional UPDATE so a duplicate task delivery applies nothing twice.
    The file is parsed again because the roster may have changed since the preview.
    """
    claimed = RosterImport.objects.filter(pk=import_id, status=ImportStatus.PREVIEWED).update(
        status=ImportStatus.APPLYING
    )
    roster_import = RosterImport.objects.select_related("school").get(pk=import_id)
    if not claimed:
        return roster_import
    school = roster_import.school
    parsed = parse_roster(bytes(roster_import.content), grades=school.grades, today=_local_today())
    if parsed.errors:
        roster_import.status = ImportStatus.REFUSED
        roster_import.errors = parsed.errors
        roster_import.save(update_fields=["status", "errors"])
        return roster_import
    try:
        with transaction.atomic():
            plan = _apply(school, parsed.students, import_id=import_id)
    except Exception:
        RosterImport.objects.filter(pk=import_id).update(status=ImportStatus.FAILED)
        raise
    roster_import.status = ImportStatus.APPLIED
    roster_import.plan = plan
    roster_import.content = b""
    roster_import.applied_at = timezone.now()
    roster_import.save(update_fields=["status", "plan", "content", "applied_at"])
    return roster_import


_STUDENT_FIELDS = ("name", "gender", "birth_date", "left_behind", "migrant_child", "disability", "in_difficulty")
_GUARDIAN_FIELDS = ("name", "relation", "email", "language", "channel")


def _plan(school: School, rows: list[StudentRow]) -> dict[str, int]:
    """Counts of what applying would create and update, without writing."""
    classes = set(Classroom.objects.filter(school=school).values_list("grade", "name"))
    students = {s.student_number: s for s in Student.objects.filter(school=school).select_related("classroom")}
    guardians = {g.mobile: g for g in Guardian.objects.filter(school=school)}
    plan = dict.fromkeys(
        ("classes_new", "students_new", "students_updated", "students_unchanged", "guardians_new", "guardians_updated"),
        0,
    )
    plan["classes_new"] = len({(r.grade, r.class_name) for r in rows} - classes)
    seen_guardians: set[str] = set()
    for row in rows:
        current = students.get(row.student_number)
        if current is None:
            plan["students_new"] += 1
        elif _student_changes(current, row):
            plan["students_updated"] += 1
        else:
            plan["students_unchanged"] += 1
        for g in row.guardians:
            if g.mobile in seen_guardians:
                continue
            seen_guardians.add(g.mobile)
            existing = guardians.get(g.mobile)
            if existing is None:
                plan["guardians_new"] += 1
            elif any(getattr(existing, f) != getattr(g, f) for f in _GUARDIAN_FIELDS):
                plan["guardians_updated"] += 1
    return plan


def _student_changes(student: Student, row: StudentRow) -> bool:
    return any(getattr(student, f) != getattr(row, f) for f in _STUDENT_FIELDS) or (
        student.classroom.grade,
        student.classroom.name,
    ) != (row.grade, row.class_name)


def _apply(school: School, rows: list[StudentRow], *, import_id: int) -> dict[str, int]:
    plan = _plan(school, rows)
    # Classes first: students point at them.
    classes = {(c.grade, c.name): c for c in Classroom.objects.filter(school=school)}
    wanted_classes = {(r.grade, r.class_name) for r in rows} - classes.keys()
    if wanted_classes:
        Classroom.objects.bulk_create([Classroom(school=school, grade=g, name=n) for g, n in sorted(wanted_classes)])
        classes = {(c.grade, c.name): c for c in Classroom.objects.filter(school=school)}

    students = {s.student_number: s for s in Student.objects.filter(school=school).select_related("classroom")}
    to_create, to_update = [], []
    for row in rows:
        values = {f: getattr(row, f) for f in _STUDENT_FIELDS}
        classroom = classes[(row.grade, row.class_name)]
        current = students.get(row.student_number)
        if current is None:
            to_create.append(Student(school=school, student_number=row.student_number, classroom=classroom, **values))
        elif _student_changes(current, row):
            for name, value in values.items():
                setattr(current, name, value)
            current.classroom = classroom
            to_update.append(current)
    Student.objects.bulk_create(to_create, batch_size=500)
    Student.objects.bulk_update(to_update, [*_STUDENT_FIELDS, "classroom"], batch_size=500)
    students = {s.student_number: s for s in Student.objects.filter(school=school)}

    guardians = {g.mobile: g for g in Guardian.objects.filter(school=school)}
    wanted: dict[str, Any] = {}
    for row in rows:
        for g in row.guardians:
            wanted.setdefault(g.mobile, g)
    new_guardians, changed_guardians = [], []
    for mobile, g in wanted.items():
        values = {f: getattr(g, f) for f in _GUARDIAN_FIELDS}
        current_guardian = guardians.get(mobile)
        if current_guardian is None:
            new_guardians.append(Guardian(school=school, mobile=mobile, **values))
        elif any(getattr(current_guardian, f) != v for f, v in values.items()):
            for name, value in values.items():
                setattr(current_guardian, name, value)
            changed_guardians.append(current_guardian)
    Guardian.objects.bulk_create(new_guardians, batch_size=500)
    Guardian.objects.bulk_update(changed_guardians, list(_GUARDIAN_FIELDS), batch_size=500)
    guardians = {g.mobile: g for g in Guardian.objects.filter(school=school)}

    # Links: a student named in the file gets the file's primary contact; links not in the file stay.
    named = [students[r.student_number].pk for r in rows if r.guardians]
    links = {(link.student_id, link.guardian_id): link for link in StudentGuardian.objects.filter(student_id__in=named)}
    primaries = {
        (students[r.student_number].pk, guardians[g.mobile].pk) for r in rows for g in r.guardians if g.primary
    }
    # Clear stale primaries before setting new ones: the one-primary constraint is checked per statement.
    StudentGuardian.objects.filter(student_id__in=named, is_primary=True).exclude(
        pk__in=[links[key].pk for key in primaries if key in links]
    ).update(is_primary=False)
    new_links = []
    for row in rows:
        for g in row.guardians:
            key = (students[row.student_number].pk, guardians[g.mobile].pk)
            if key in links:
                if key in primaries and not links[key].is_primary:
                    StudentGuardian.objects.filter(pk=links[key].pk).update(is_primary=True)
            else:
                new_links.append(StudentGuardian(student_id=key[0], guardian_id=key[1], is_primary=key in primaries))
    created_links = StudentGuardian.objects.bulk_create(new_links, batch_size=500)

    # Bulk writes bypass QuerySet.update(), so the import records its own events: one per row written.
    source = {"import": import_id}
    audit.append([
        *audit.entries_for(Student, [s.pk for s in to_create], verb="create", detail=source),
        *audit.entries_for(Student, [s.pk for s in to_update], verb="update", detail=source),
        *audit.entries_for(Guardian, [g.pk for g in new_guardians], verb="create", detail=source),
        *audit.entries_for(Guardian, [g.pk for g in changed_guardians], verb="update", detail=source),
        *audit.entries_for(StudentGuardian, [link.pk for link in created_links], verb="create", detail=source),
    ])  # fmt: skip
    return plan


def student_share(*, student: Student, with_user: User) -> None:
    """Grant one more user (a district expert, a colleague) the right to see one student."""
    assign_perm("view_student", with_user, student)


def user_language_set(*, user: User, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValueError(language)
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
