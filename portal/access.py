"""Who sees what: decided here, once, for pages, API and exports alike.

- District officials see their district's schools and aggregates, never a child's record.
- School leaders and counselors see their school's students and guardians.
- A class teacher sees the students (and guardians) of the classes they teach, never scores or notes.
- A parent sees only their own children.
- A per-object grant (django-guardian, direct foreign key) opens one student to one more user.

"Not yours" answers exactly like "does not exist": callers raise Http404 (see get_or_404).
Conditions on multi-valued relations go through id__in subqueries, never chained filters
(readthedocs' warning: chained filters on one relation match different rows).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from portal.models import (
    Classroom,
    District,
    Guardian,
    InboxMessage,
    Membership,
    Role,
    RosterImport,
    School,
    Student,
    StudentGuardian,
    StudentUserObjectPermission,
    User,
)

M = TypeVar("M", bound=Model)
T = TypeVar("T")
AnyUser = User | AnonymousUser

# Roles that see every student of their school (and, later, scores and cases).
SCHOOL_STAFF = frozenset({Role.LEADER, Role.COUNSELOR})


@dataclass(frozen=True)
class Roles:
    """The active roles of one user, loaded once per request."""

    district_ids: frozenset[int]  # districts where the user is an official
    school_roles: dict[int, frozenset[str]]  # school id -> roles held there
    is_parent: bool
    responder_district_ids: frozenset[int] = frozenset()  # crisis team / expert pool memberships

    def schools_with(self, *roles: str) -> frozenset[int]:
        return frozenset(school for school, held in self.school_roles.items() if held & set(roles))

    @property
    def staff_school_ids(self) -> frozenset[int]:
        """Schools where the user is a leader or counselor: they see the school's records."""
        return self.schools_with(*SCHOOL_STAFF)

    @property
    def is_official(self) -> bool:
        return bool(self.district_ids)

    @property
    def is_staff_member(self) -> bool:
        return bool(self.school_roles)

    @property
    def all_roles(self) -> frozenset[str]:
        held: set[str] = {Role.OFFICIAL} if self.district_ids else set()
        if self.responder_district_ids:
            held.add(Role.RESPONDER)
        for roles in self.school_roles.values():
            held |= roles
        return frozenset(held)


NO_ROLES = Roles(frozenset(), {}, False)


def roles_of(user: AnyUser) -> Roles:
    if not user.is_authenticated or not user.is_active:
        return NO_ROLES
    cached: Roles | None = getattr(user, "_portal_roles", None)
    if cached is not None:
        return cached
    memberships = Membership.objects.active().filter(user=user).values_list("role", "school_id", "district_id")
    return remember_roles(user, memberships, is_parent=Guardian.objects.filter(user=user).exists())


def remember_roles(user: AnyUser, memberships: Iterable[tuple[str, Any, Any]], *, is_parent: bool) -> Roles:
    """The roles of `user` from their active memberships, kept on the user object for the rest of the request.
    (The sign-in backend reads them together with the user: portal.auth_backend.)"""
    district_ids: set[int] = set()
    responder_ids: set[int] = set()
    school_roles: dict[int, set[str]] = {}
    for role, school_id, district_id in memberships:
        if role == Role.OFFICIAL:
            district_ids.add(district_id)
        elif role == Role.RESPONDER:
            responder_ids.add(district_id)
        else:
            school_roles.setdefault(school_id, set()).add(role)
    roles = Roles(
        district_ids=frozenset(district_ids),
        school_roles={k: frozenset(v) for k, v in school_roles.items()},
        is_parent=is_parent,
        responder_district_ids=frozenset(responder_ids),
    )
    user._portal_roles = roles  # type: ignore[union-attr]
    return roles


def _is_platform_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def may_read_metrics(user: AnyUser, authorization: str) -> bool:
    """/metrics: platform operators signed in, or the scraper presenting METRICS_TOKEN as a bearer token (no token
    configured: only operators). Counts only, but they show how a city's alert chain is doing."""
    token = settings.METRICS_TOKEN
    if token and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return True
    return _is_platform_admin(user)


def scope_students(qs: QuerySet[Student], user: AnyUser) -> QuerySet[Student]:
    if _is_platform_admin(user):
        return qs
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    roles = roles_of(user)
    condition = Q(school_id__in=roles.staff_school_ids)
    teacher_schools = roles.schools_with(Role.TEACHER)
    if teacher_schools:
        condition |= Q(classroom__class_teacher=user, school_id__in=teacher_schools)
    if roles.is_parent:
        condition |= Q(id__in=StudentGuardian.objects.filter(guardian__user=user).values("student_id"))
    condition |= Q(
        id__in=StudentUserObjectPermission.objects.filter(user=user, permission__codename="view_student").values(
            "content_object_id"
        )
    )
    return qs.filter(condition)


def scope_schools(qs: QuerySet[School], user: AnyUser) -> QuerySet[School]:
    if _is_platform_admin(user):
        return qs
    roles = roles_of(user)
    condition = Q(district_id__in=roles.district_ids) | Q(id__in=roles.school_roles.keys())
    if roles.is_parent:
        condition |= Q(id__in=scope_students(Student.objects.all(), user).values("school_id"))
    return qs.filter(condition)


def scope_classrooms(qs: QuerySet[Classroom], user: AnyUser) -> QuerySet[Classroom]:
    if _is_platform_admin(user):
        return qs
    roles = roles_of(user)
    condition = Q(school_id__in=roles.staff_school_ids)
    teacher_schools = roles.schools_with(Role.TEACHER)
    if teacher_schools:
        condition |= Q(class_teacher=user, school_id__in=teacher_schools)
    return qs.filter(condition)


def scope_guardians(qs: QuerySet[Guardian], user: AnyUser) -> QuerySet[Guardian]:
    """Guardian contacts: the school's staff, the class teacher of a child, and the guardian themself."""
    if _is_platform_admin(user):
        return qs
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    roles = roles_of(user)
    condition = Q(school_id__in=roles.staff_school_ids) | Q(user=user)
    teacher_schools = roles.schools_with(Role.TEACHER)
    if teacher_schools:
        taught = Student.objects.filter(classroom__class_teacher=user, school_id__in=teacher_schools)
        condition |= Q(id__in=StudentGuardian.objects.filter(student__in=taught).values("guardian_id"))
    return qs.filter(condition)


def scope_clinical(qs: QuerySet[M], user: AnyUser, *, student_path: str) -> QuerySet[M]:
    """Clinical records (crisis cases, follow-ups, later screening answers and session notes): the leaders
    and counselors of the student's current school only. Class teachers and parents never; officials only
    through what a school reports to them (not yet). Platform operators hold no clinical access either."""
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    prefix = f"{student_path}__" if student_path else ""  # "" when qs holds the students themselves
    return qs.filter(**{f"{prefix}school_id__in": roles_of(user).staff_school_ids})


def scope_cases(qs: QuerySet[M], user: AnyUser, *, case_path: str = "") -> QuerySet[M]:
    """Crisis cases (case_path="") and the records hanging off them: the clinical scope, plus the cases a
    district responder was assigned to, while that grant is unexpired and they are still in the pool, and for a
    responder sent to a school's queue, that school's cases awaiting assessment and those they assessed."""
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    prefix = f"{case_path}__" if case_path else ""
    roles = roles_of(user)
    condition = Q(**{f"{prefix}student__school_id__in": roles.staff_school_ids})
    if roles.responder_district_ids:
        grants = apps.get_model("crisis", "CaseUserObjectPermission").objects.filter(
            user=user,
            permission__codename="view_case",
            expires_at__gt=timezone.now(),
            content_object__student__school__district_id__in=roles.responder_district_ids,
        )
        key = f"{case_path}_id__in" if case_path else "id__in"
        condition |= Q(**{key: grants.values("content_object_id")})
        condition |= Q(**{f"{prefix}student__school_id__in": _queue_schools(user, roles)}) & (
            Q(**{f"{prefix}status": "pending"}) | Q(**{f"{prefix}confirmed_by": user})
        )
    return qs.filter(condition)


def may_take_on(user: AnyUser, case_id: int) -> bool:
    """The person paged about this case after hours (crisis.oncall.page: an unexpired grant of no incident) may
    say they have taken it on. Responders who read it for another reason (an incident, a school's queue) may not."""
    if not user.is_authenticated or not user.is_active or not roles_of(user).responder_district_ids:
        return False
    return (
        apps.get_model("crisis", "CaseUserObjectPermission")
        .objects.filter(user=user, content_object_id=case_id, incident__isnull=True, expires_at__gt=timezone.now())
        .exists()
    )


def scope_assessable(qs: QuerySet[M], user: AnyUser) -> QuerySet[M]:
    """Cases a user may assess (confirm the tier of): their own schools' cases, and for a district responder sent
    to a school's queue, that school's cases still awaiting assessment, while the assignment lasts."""
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    roles = roles_of(user)
    condition = Q(student__school_id__in=roles.staff_school_ids)
    if roles.responder_district_ids:
        condition |= Q(status="pending", student__school_id__in=_queue_schools(user, roles))
    return qs.filter(condition)


def _queue_schools(user: AnyUser, roles: Roles) -> QuerySet[Any]:
    """The schools whose queue a responder was sent to, while the assignment lasts, in their own district."""
    return (
        apps.get_model("crisis", "QueueAssignment")
        .objects.filter(
            responder__membership__user=user,
            responder__membership__active=True,
            expires_at__gt=timezone.now(),
            school__district_id__in=roles.responder_district_ids,
        )
        .values("school_id")
    )


def scope_reported(qs: QuerySet[M], user: AnyUser, *, student_path: str) -> QuerySet[M]:
    """What schools reported to the district (crisis incidents): that district's officials, and the
    reporting school's leaders and counselors."""
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    roles = roles_of(user)
    return qs.filter(
        Q(**{f"{student_path}__school__district_id__in": roles.district_ids})
        | Q(**{f"{student_path}__school_id__in": roles.staff_school_ids})
    )


def scope_bookings(qs: QuerySet[M], user: AnyUser, *, to_change: bool = False, as_parent: bool = False) -> QuerySet[M]:
    """Counseling bookings: the school's leaders and counselors see (and change) their school's schedule. A parent
    sees every booking of their own children, whoever made it (staff by phone, the other parent), but a student's
    own booking with their code, which stays between the student and the counselor, and, while a safeguarding
    flag bars contact with the family, any booking they did not make themselves; they change (`to_change`) only
    those they made or are the contact for: one staff made without naming them is changed by calling the school.
    `as_parent`: the parent's side only, for the parent's own pages."""
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    roles = roles_of(user)
    condition = Q(pk__in=[]) if as_parent else Q(slot__school_id__in=roles.staff_school_ids)
    if roles.is_parent:
        children = StudentGuardian.objects.filter(guardian__user=user).values("student_id")
        theirs = Q(student_id__in=children) & ~Q(channel="student")
        # Safeguarding: while a child's open case bars contact with the family, the family sees only what they
        # booked themselves, never the sessions the school set up (crisis.alerts.family_contact_refusal).
        barred = (
            apps.get_model("crisis", "Case")
            .objects.exclude(status="closed")
            .exclude(guardian_contact_blocked="")
            .values("student_id")
        )
        theirs &= Q(made_by=user) | ~Q(student_id__in=barred)
        condition |= theirs & (Q(made_by=user) | Q(contact__user=user)) if to_change else theirs
    return qs.filter(condition)


def training_districts(user: AnyUser) -> frozenset[int]:
    """Districts whose training a user may take part in: where they work (any school role) or are an official."""
    roles = roles_of(user)
    if not roles.school_roles and not roles.district_ids:
        return frozenset()
    schools = School.objects.filter(pk__in=roles.school_roles.keys()).values_list("district_id", flat=True)
    return roles.district_ids | frozenset(schools)


def staffing_schools(user: AnyUser) -> QuerySet[School]:
    """Whose staffing and curriculum figures a user sees: the district's schools for its officials, their own
    school for its leaders and counselors."""
    roles = roles_of(user)
    return School.objects.filter(Q(district_id__in=roles.district_ids) | Q(pk__in=roles.staff_school_ids))


def scope_campaigns(qs: QuerySet[M], user: AnyUser) -> QuerySet[M]:
    """Screening campaigns: their district's officials, and the staff of a school taking part."""
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    roles = roles_of(user)
    return qs.filter(Q(district_id__in=roles.district_ids) | Q(schools__in=roles.staff_school_ids)).distinct()


def can_run_campaigns(user: AnyUser, district_id: int) -> bool:
    """Creating and opening a district's campaigns: its officials."""
    return district_id in roles_of(user).district_ids


def referral_students(user: AnyUser) -> QuerySet[Student]:
    """Whom a class teacher may refer: the students of the classes they teach (school staff: their school's)."""
    return scope_students(Student.objects.all(), user).filter(status="active")


def scope_roster_imports(qs: QuerySet[RosterImport], user: AnyUser) -> QuerySet[RosterImport]:
    return qs.filter(school_id__in=roster_schools(user))


def scope_inbox(qs: QuerySet[InboxMessage], user: AnyUser) -> QuerySet[InboxMessage]:
    """A person's inbox is theirs alone: not their school's, not their leader's."""
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    return qs.filter(user=user)


def roster_schools(user: AnyUser) -> frozenset[int]:
    """Schools whose roster this user may import: its leaders and counselors."""
    return roles_of(user).staff_school_ids


def is_school_staff(user: AnyUser) -> bool:
    return bool(roles_of(user).staff_school_ids)


def sees_district_reports(user: AnyUser) -> bool:
    """Crisis incidents, plans and drills: the district's officials and the schools' own staff."""
    roles = roles_of(user)
    return roles.is_official or bool(roles.staff_school_ids)


# Focus groups (重点关注群体): left-behind child, child of migrant workers, disability, in difficulty.
FOCUS_GROUPS = ("left_behind", "migrant_child", "disability", "in_difficulty")


def sees_focus_groups(user: AnyUser, student: Student) -> bool:
    """Whether a child is in a focus group: the leaders and counselors of the child's school, who plan the follow-up.
    Never a class teacher nor a parent (a label that would follow the child: a disability is sensitive personal
    information, PIPL art. 28), nor a platform operator. Officials see the groups only as counts on the dashboards,
    cells under 5 suppressed (dashboards.suppression). For pages, the API and exports alike."""
    return student.school_id in roles_of(user).staff_school_ids


def can_transfer(user: AnyUser, student: Student) -> bool:
    """Moving a student to another school: the leaders and counselors of their current school."""
    return student.school_id in roles_of(user).staff_school_ids


def official_district(user: AnyUser) -> District:
    """The district an official runs (training, screening policy, risk words); anyone else gets a 404. An
    official of several districts works in the first one."""
    district = District.objects.filter(pk__in=roles_of(user).district_ids).order_by("pk").first()
    if district is None:
        raise Http404
    return district


def is_official_of(user: AnyUser, district_id: int) -> bool:
    return district_id in roles_of(user).district_ids


def can_read_access_log(user: AnyUser, student: Student) -> bool:
    """Who opened a child's records: the school's leaders (the crisis lead) answer for that."""
    return student.school_id in roles_of(user).schools_with(Role.LEADER)


# --- Copies of a child's record (privacy.CopyRequest; PIPL art. 45) ----------------------------------------------


def scope_copy_requests(qs: QuerySet[M], user: AnyUser, *, as_staff: bool = False) -> QuerySet[M]:
    """Requests for a copy of a child's record: the leaders and counselors of the child's school see them all; a
    parent sees the requests they made themself, while the child is still theirs (`as_staff`: the school's side
    only). Class teachers, officials and platform operators see none."""
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    roles = roles_of(user)
    condition = Q(student__school_id__in=roles.staff_school_ids)
    if roles.is_parent and not as_staff:
        children = StudentGuardian.objects.filter(guardian__user=user).values("student_id")
        condition |= Q(requester="guardian", asked_by=user, student_id__in=children)
    return qs.filter(condition)


def may_record_student_copy(user: AnyUser, student: Student) -> bool:
    """A student's own request for a copy, made in person: recorded by a leader or counselor of their school."""
    return student.school_id in roles_of(user).staff_school_ids


def may_prepare_copy(user: AnyUser, school_id: int) -> bool:
    """The counselors of the child's school prepare the copy."""
    return school_id in roles_of(user).schools_with(Role.COUNSELOR)


def may_decide_copy(user: AnyUser, school_id: int) -> bool:
    """The leaders of the child's school approve or refuse a copy, and decide a request held for safeguarding."""
    return school_id in roles_of(user).schools_with(Role.LEADER)


def get_or_404(qs: QuerySet[M], **lookup: Any) -> M:
    """Fetch from an already-scoped queryset; absent and forbidden look the same."""
    try:
        return qs.get(**lookup)
    # A malformed id ("abc" from an API path) is "not found" too, as in DRF's get_object_or_404, not a 500.
    except (qs.model.DoesNotExist, TypeError, ValueError, ValidationError) as exc:  # type: ignore[attr-defined]
        raise Http404 from exc


def found(obj: T | None) -> T:
    """What a scoped lookup of one object returned; None (absent or not yours) is a 404, as in get_or_404."""
    if obj is None:
        raise Http404
    return obj


def may_read_notes(user: AnyUser, record: Any) -> bool:
    """A session record's private notes: the author, or a colleague they shared the notes with. Asked of the
    grant table itself: guardian's checker answers yes to every superuser, and an operator is no clinician."""
    from counseling.models import SessionRecordUserObjectPermission

    if not user.is_authenticated:
        return False
    return (
        record.author_id == user.pk
        or SessionRecordUserObjectPermission.objects.filter(
            user_id=user.pk, content_object=record, permission__codename="read_private_notes"
        ).exists()
    )


def require(allowed: bool) -> None:
    """Refuse a page or action the user has no part in, exactly as if it did not exist."""
    if not allowed:
        raise Http404


def home_kind(user: AnyUser) -> str:
    """Which home page a user lands on: the widest role wins."""
    roles = roles_of(user)
    if roles.is_official:
        return "official"
    if roles.staff_school_ids:
        return "staff"
    if roles.schools_with(Role.TEACHER):
        return "teacher"
    if roles.is_parent:
        return "parent"
    if roles.responder_district_ids:
        return "responder"
    return "none"
