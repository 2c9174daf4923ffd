"""Writes of the core domain: roster imports, sharing, the user's language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from portal import audit, notifications, signals
from portal.models import Classroom, Guardian, InboxMessage, RosterImport, School, Student, StudentGuardian, User
from portal.models.people import Channel
from portal.models.roster import ImportStatus
from portal.roster import FLAG_COLUMNS, GuardianRow, ParsedRoster, StudentRow, parse_roster

# An import queued this long ago and still not applied lost its task (worker crash, lost message): it may be
# queued again. Longer than the apply task's hard time limit, so a running apply is never doubled.
STALE_APPLY = dt.timedelta(minutes=15)


class ImportNotApplicable(Exception):
    """The import is not in a state that can be applied (refused, already applied, or being applied)."""


def _file_error(code: str, **params: Any) -> dict[str, Any]:
    return {"row": 0, "column": "file", "code": code, "params": params}


def _validate(school: School, content: bytes) -> ParsedRoster:
    """Parse the file, then check it against the roster on record."""
    parsed = parse_roster(content, grades=school.grades, today=timezone.localdate())
    if parsed.errors:
        return parsed
    rows_by_mobile = {g.mobile: (row.row, g) for row in parsed.students for g in row.guardians}
    # A mobile on record for a differently named guardian is a typo or a recycled number: linking the
    # child to that record would show the child to another family's login.
    for mobile, name in Guardian.objects.filter(school=school, mobile__in=rows_by_mobile).values_list("mobile", "name"):
        row, guardian = rows_by_mobile[mobile]
        if guardian.name != name:
            parsed.errors.append({
                "row": row, "column": "guardian_mobile", "code": "guardian_on_record",
                "params": {"column": "guardian_mobile", "value": mobile, "name": name},
            })  # fmt: skip
    parsed.errors.sort(key=lambda e: e["row"])
    return parsed


def roster_import_create(*, school: School, uploaded_by: User, filename: str, content: bytes) -> RosterImport:
    """Store an upload and its dry-run preview. Nothing in the roster changes here."""
    if len(content) > settings.ROSTER_IMPORT_MAX_BYTES:
        parsed = ParsedRoster([], [_file_error("too_large", max=settings.ROSTER_IMPORT_MAX_BYTES // 2**20)], 0)
    else:
        parsed = _validate(school, content)
    refused = bool(parsed.errors)
    return RosterImport.objects.create(
        school=school,
        uploaded_by=uploaded_by,
        filename=filename[:200],
        content=b"" if refused else content,
        status=ImportStatus.REFUSED if refused else ImportStatus.PREVIEWED,
        row_count=parsed.row_count,
        errors=parsed.errors,
        plan={} if refused else _changes(school, parsed).counts(),
    )


def roster_import_request_apply(*, roster_import: RosterImport) -> None:
    """Mark the import queued and hand it to the bulk worker once this transaction commits."""
    from portal.tasks import roster_import_apply as task

    now = timezone.now()
    queued = RosterImport.objects.filter(
        Q(status=ImportStatus.PREVIEWED) | Q(status=ImportStatus.APPLYING, queued_at__lt=now - STALE_APPLY),
        pk=roster_import.pk,
    ).update(status=ImportStatus.APPLYING, queued_at=now)
    if not queued:
        raise ImportNotApplicable
    roster_import.status, roster_import.queued_at = ImportStatus.APPLYING, now
    transaction.on_commit(lambda: task.delay(roster_import.pk))


def roster_import_apply(*, import_id: int) -> RosterImport:
    """Apply a queued (or previewed) import: every row or none, exactly once.

    The import row is locked for the whole transaction, so a duplicate task waits and then finds it
    applied; a worker that dies mid-way rolls everything back and leaves the import queued. The file
    is validated again because the roster may have changed since the preview.
    """
    try:
        with transaction.atomic():
            roster_import = (
                RosterImport.objects.select_for_update(of=("self",))
                .select_related("school", "uploaded_by")
                .get(pk=import_id)
            )
            if roster_import.status not in (ImportStatus.PREVIEWED, ImportStatus.APPLYING):
                return roster_import
            parsed = _validate(roster_import.school, bytes(roster_import.content))
            if parsed.errors:
                roster_import.status, roster_import.errors = ImportStatus.REFUSED, parsed.errors
            else:
                changes = _changes(roster_import.school, parsed)
                with audit.context(import_id=import_id), audit.batched():
                    _execute(roster_import.school, changes)
                roster_import.status, roster_import.plan = ImportStatus.APPLIED, changes.counts()
                roster_import.applied_at = timezone.now()
                _notify_applied(roster_import)
                district_id = roster_import.school.district_id
                # After the commit: a receiver's worker must see the new roster. robust: a broker that is down
                # costs the figures a few minutes (the periodic refresh), never the import.
                transaction.on_commit(
                    lambda: signals.district_loaded.send(sender=RosterImport, district_id=district_id), robust=True
                )
            roster_import.content = b""
            roster_import.save(update_fields=["status", "errors", "plan", "content", "applied_at"])
            return roster_import
    except Exception:
        RosterImport.objects.filter(pk=import_id, status=ImportStatus.APPLYING).update(
            status=ImportStatus.FAILED, errors=[_file_error("apply_failed", number=import_id)]
        )
        raise


def _notify_applied(roster_import: RosterImport) -> None:
    """Tell the uploader (inbox, and e-mail if they have one) in the same transaction as the apply."""
    uploader = roster_import.uploaded_by
    if not uploader.is_active:
        return
    notifications.notification_send(
        kind="roster_import_applied",
        user=uploader,
        via=["inbox", "email"],
        context={
            "school": roster_import.school.name,
            "filename": roster_import.filename,
            "path": reverse("roster_import_detail", args=[roster_import.pk]),
            **roster_import.plan,
        },
        dedupe_key=f"roster_import_applied:{roster_import.pk}",
    )


_BASE_STUDENT_FIELDS = ("name", "gender", "birth_date")
_OPTIONAL_GUARDIAN_FIELDS = ("email", "language", "channel")


@dataclass
class _Changes:
    """What an import writes, worked out once for both the preview and the apply."""

    rows: list[StudentRow]
    student_fields: tuple[str, ...]
    new_classes: set[tuple[int, str]] = field(default_factory=set)
    new_students: list[StudentRow] = field(default_factory=list)
    changed_students: list[tuple[Student, StudentRow]] = field(default_factory=list)
    unchanged_students: int = 0
    new_guardians: dict[str, GuardianRow] = field(default_factory=dict)
    changed_guardians: list[tuple[Guardian, dict[str, Any]]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "classes_new": len(self.new_classes),
            "students_new": len(self.new_students),
            "students_updated": len(self.changed_students),
            "students_unchanged": self.unchanged_students,
            "guardians_new": len(self.new_guardians),
            "guardians_updated": len(self.changed_guardians),
        }


def _changes(school: School, parsed: ParsedRoster) -> _Changes:
    # Columns the file leaves out are never overwritten: a file of names only keeps the focus-group flags.
    flags = tuple(f for f in FLAG_COLUMNS if f in parsed.columns)
    changes = _Changes(parsed.students, _BASE_STUDENT_FIELDS + flags)
    classes = set(Classroom.objects.filter(school=school).values_list("grade", "name"))
    changes.new_classes = {(r.grade, r.class_name) for r in parsed.students} - classes
    students = {s.student_number: s for s in Student.objects.filter(school=school).select_related("classroom")}
    for row in parsed.students:
        current = students.get(row.student_number)
        if current is None:
            changes.new_students.append(row)
        elif any(getattr(current, f) != getattr(row, f) for f in changes.student_fields) or (
            current.classroom.grade,
            current.classroom.name,
        ) != (row.grade, row.class_name):
            changes.changed_students.append((current, row))
        else:
            changes.unchanged_students += 1
    guardians = {g.mobile: g for g in Guardian.objects.filter(school=school)}
    for row in parsed.students:
        for g in row.guardians:
            current_guardian = guardians.get(g.mobile)
            if current_guardian is None:
                changes.new_guardians.setdefault(g.mobile, g)
                continue
            # Blank e-mail, language or channel cells keep what is on record.
            wanted = {"name": g.name, "relation": g.relation}
            wanted |= {f: getattr(g, f) for f in _OPTIONAL_GUARDIAN_FIELDS if getattr(g, f) is not None}
            diff = {f: v for f, v in wanted.items() if getattr(current_guardian, f) != v}
            if diff and current_guardian.pk not in {c.pk for c, _ in changes.changed_guardians}:
                changes.changed_guardians.append((current_guardian, diff))
    return changes


def _execute(school: School, changes: _Changes) -> None:
    if changes.new_classes:
        Classroom.objects.bulk_create(
            [Classroom(school=school, grade=g, name=n) for g, n in sorted(changes.new_classes)]
        )
    classes = {(c.grade, c.name): c for c in Classroom.objects.filter(school=school)}

    created = Student.objects.bulk_create(
        [
            Student(
                school=school,
                student_number=row.student_number,
                classroom=classes[(row.grade, row.class_name)],
                **{f: getattr(row, f) for f in (*_BASE_STUDENT_FIELDS, *FLAG_COLUMNS)},
            )
            for row in changes.new_students
        ],
        batch_size=500,
    )
    updated = []
    for student, row in changes.changed_students:
        for name in changes.student_fields:
            setattr(student, name, getattr(row, name))
        student.classroom = classes[(row.grade, row.class_name)]
        updated.append(student)
    Student.objects.bulk_update(updated, [*changes.student_fields, "classroom"], batch_size=500)

    new_guardians = Guardian.objects.bulk_create(
        [
            Guardian(
                school=school, mobile=g.mobile, name=g.name, relation=g.relation, email=g.email or "",
                language=g.language or "zh-hans", channel=g.channel or Channel.SMS,
            )
            for g in changes.new_guardians.values()
        ],
        batch_size=500,
    )  # fmt: skip
    for guardian, diff in changes.changed_guardians:
        for name, value in diff.items():
            setattr(guardian, name, value)
    changed_guardian_fields = sorted({f for _, diff in changes.changed_guardians for f in diff})
    if changed_guardian_fields:
        Guardian.objects.bulk_update([g for g, _ in changes.changed_guardians], changed_guardian_fields, batch_size=500)

    new_links = _link_guardians(school, changes.rows)
    # bulk_update() goes through AuditedQuerySet.update(), which audits every row it changes;
    # bulk_create() does not, so the rows it creates are recorded here.
    audit.append([
        *audit.entries_for(Student, [s.pk for s in created], verb="create"),
        *audit.entries_for(Guardian, [g.pk for g in new_guardians], verb="create"),
        *audit.entries_for(StudentGuardian, [link.pk for link in new_links], verb="create"),
    ])  # fmt: skip


def _link_guardians(school: School, rows: list[StudentRow]) -> list[StudentGuardian]:
    """Link the file's guardians to their students and settle each student's one primary contact.

    A guardian marked 是 becomes the primary contact (the former one is demoted). With nobody marked,
    a student who has no primary contact gets the first guardian not marked 否; one who has a primary
    contact keeps it. Links the file does not mention stay.
    """
    students = dict(Student.objects.filter(school=school).values_list("student_number", "pk"))
    guardians = dict(Guardian.objects.filter(school=school).values_list("mobile", "pk"))
    named = [students[r.student_number] for r in rows if r.guardians]
    links = {(lk.student_id, lk.guardian_id): lk for lk in StudentGuardian.objects.filter(student_id__in=named)}
    has_primary = {student for (student, _), link in links.items() if link.is_primary}
    primaries: set[tuple[int, int]] = set()
    for row in rows:
        student = students[row.student_number]
        marked = [g for g in row.guardians if g.primary is True]
        if marked:
            primaries.add((student, guardians[marked[0].mobile]))
        elif student not in has_primary:
            candidate = next((g for g in row.guardians if g.primary is not False), None)
            if candidate is not None:
                primaries.add((student, guardians[candidate.mobile]))
    # Demote before promoting: the one-primary constraint is checked per statement.
    changing = {student for student, _ in primaries}
    StudentGuardian.objects.filter(student_id__in=changing, is_primary=True).exclude(
        Q(*[Q(student_id=s, guardian_id=g) for s, g in primaries], _connector=Q.OR)
    ).update(is_primary=False)
    promote = [links[key].pk for key in primaries if key in links and not links[key].is_primary]
    if promote:
        StudentGuardian.objects.filter(pk__in=promote).update(is_primary=True)
    new_links = [
        StudentGuardian(student_id=key[0], guardian_id=key[1], is_primary=key in primaries)
        for row in rows
        for key in [(students[row.student_number], guardians[g.mobile]) for g in row.guardians]
        if key not in links
    ]
    return StudentGuardian.objects.bulk_create(new_links, batch_size=500)


def inbox_message_read(*, message: InboxMessage, reader: User) -> None:
    """Mark a message read (once); the navigation's count on the page now shown goes down with it."""
    if message.read_at is None:
        message.read_at = timezone.now()
        if InboxMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=message.read_at):
            reader.unread_messages = max(getattr(reader, "unread_messages", 1) - 1, 0)  # type: ignore[attr-defined]


def student_share(*, student: Student, with_user: User) -> None:
    """Grant one more user (a district expert, a colleague) the right to see one student."""
    assign_perm("view_student", with_user, student)


def user_language_set(*, user: User, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValueError(language)
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


class TransferRefused(Exception):
    """The transfer cannot be made; `code` names the reason for the page to translate."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def student_transfer(*, student: Student, to_classroom: Classroom, student_number: str, by: User) -> Student:
    """Move a student to a class at another school of the same district: one record, so everything about
    them (crisis cases included) follows. Guardian contacts move with them: a contact the new school already
    holds (same mobile) is reused, one still needed by a sibling at the old school is copied."""
    to_school = to_classroom.school
    with transaction.atomic():
        student = Student.objects.select_for_update().select_related("school").get(pk=student.pk)
        from_school = student.school
        if to_school.district_id != from_school.district_id or to_school.pk == from_school.pk:
            raise TransferRefused("district")
        if Student.objects.filter(school=to_school, student_number=student_number).exists():
            raise TransferRefused("number_taken")
        for link in StudentGuardian.objects.filter(student=student).select_related("guardian"):
            guardian = link.guardian
            same = Guardian.objects.filter(school=to_school, mobile=guardian.mobile).first()
            if same is not None:
                link.guardian = same
            elif StudentGuardian.objects.filter(guardian=guardian).exclude(student=student).exists():
                guardian.pk = None  # a copy for the new school; the old one stays with the sibling
                guardian.school = to_school
                guardian.save()
                link.guardian = guardian
            else:
                Guardian.objects.filter(pk=guardian.pk).update(school=to_school)
            link.save(update_fields=["guardian"])
        student.school, student.classroom, student.student_number = to_school, to_classroom, student_number
        student.save(update_fields=["school", "classroom", "student_number"])
        audit.append(audit.entries_for(Student, [student.pk], verb="transfer",
                                       detail={"from_school": from_school.pk, "to_school": to_school.pk}))  # fmt: skip
        signals.student_transferred.send(sender=Student, student=student, from_school=from_school, by=by)
        return student
