"""Reads that encode a rule. Every one starts from a scoped queryset."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from portal import access
from portal.access import AnyUser
from portal.models import AuditEvent, Classroom, Guardian, Membership, School, Student, StudentGuardian, User
from portal.models.people import StudentStatus


def students_for_list(user: AnyUser, *, q: str = "", grade: int | None = None) -> QuerySet[Student]:
    students = Student.objects.visible_to(user).select_related("school", "classroom")
    if q:
        students = students.filter(Q(name__icontains=q) | Q(student_number__startswith=q))
    if grade:
        students = students.filter(classroom__grade=grade)
    return students


def children_of(user: AnyUser) -> QuerySet[Student]:
    """A parent's own children (not the students they may see as staff)."""
    if not user.is_authenticated:
        return Student.objects.none()
    own = StudentGuardian.objects.filter(guardian__user=user).values("student_id")
    return Student.objects.filter(id__in=own).select_related("school", "classroom").order_by("name")


def guardians_of(user: AnyUser, student: Student) -> QuerySet[Guardian]:
    """The student's guardians this user may see, primary contact first."""
    return (
        access.scope_guardians(Guardian.objects.all(), user)
        .filter(student_links__student=student)
        .annotate(
            primary=Count("student_links", filter=Q(student_links__student=student, student_links__is_primary=True))
        )
        .order_by("-primary", "name")
    )


def schools_overview(user: AnyUser) -> QuerySet[School]:
    """The user's schools with their count of active students and classes (one query)."""
    # Correlated subqueries, not two joined Counts: joining students and classes multiplies rows.
    active = (
        Student.objects.filter(school=OuterRef("pk"), status=StudentStatus.ACTIVE)
        .order_by()
        .values("school")
        .annotate(n=Count("pk"))
        .values("n")
    )
    classes = Classroom.objects.filter(school=OuterRef("pk")).order_by().values("school").annotate(n=Count("pk"))
    return (
        access.scope_schools(School.objects.all(), user)
        .annotate(
            active_students=Coalesce(Subquery(active), 0),
            class_count=Coalesce(Subquery(classes.values("n")), 0),
        )
        .select_related("district")
        .order_by("name")
    )


def access_log(student: Student) -> QuerySet[AuditEvent]:
    """Every event about one student, newest first: events about the student alone (the audit_student_time
    index) and lists that showed them among others (detail.students, a GIN index)."""
    in_list = Q(detail__students__contains=[student.pk])
    return AuditEvent.objects.filter(Q(student_id=student.pk) | in_list).order_by("-created_at", "-id")


def classes_overview(user: AnyUser) -> QuerySet[Classroom]:
    return (
        access.scope_classrooms(Classroom.objects.all(), user)
        .select_related("school", "class_teacher")
        .annotate(active_students=Count("students", filter=Q(students__status=StudentStatus.ACTIVE)))
        .order_by("school__name", "grade", "name")
    )


def school_staff(school_id: int, *roles: str) -> QuerySet[User]:
    """The active people holding one of these roles at a school, now: who an alert about its pupils reaches."""
    return User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.active().filter(school_id=school_id, role__in=roles).values("user_id"),
    )
