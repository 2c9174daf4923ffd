"""Every route x every method x every persona x objects at home, next door and in the other district.

Default deny: a persona not listed for a case must be refused (404 when signed in; a redirect to the login
page, or 401 from the API, when anonymous). An object at another school or in another district answers
exactly like one that does not exist (404). A route without a case fails test_every_route_is_in_the_matrix;
a method a route starts to answer without a case fails test_methods_without_a_case_are_refused. Refused
unsafe requests change nothing in the database (the whole database is compared, not one row).

Speed: one world per case, one signed-in client per persona, each request in a savepoint rolled back after it.
(ASVS 8.2.2, 8.4.1; OWASP API1:2023)
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from crisis.models import Case
from portal.models.staff import Role
from portal.second_factor import needs_second_factor
from tests import factories
from tests.conftest import PERSONAS, World, verify_session

EVERYONE = frozenset(PERSONAS)
SIGNED_IN = EVERYONE - {"anonymous"}
STAFF_A = frozenset({"leader_a", "counselor_a"})
IMPORTERS = STAFF_A | {"counselor_b"}
SEES_X = STAFF_A | {"teacher_a", "parent_x"}
SEES_Y = frozenset({"counselor_b", "parent_y"})
NOBODY: frozenset[str] = frozenset()
OFFICIALS = frozenset({"official_a", "official_b"})
STAFF = SIGNED_IN - {"parent_x", "parent_y"}
PARENTS_TO_SETUP = {"parent_x": 302, "parent_y": 302}  # no authenticator yet: sent to set one up
GONE = {persona: 410 for persona in PERSONAS}  # a forged or expired link: the same answer for anyone
UNSAFE = ("post", "put", "patch", "delete")


# --- objects at school B, school C (district B) and of other people, for the object axis ---------------------
# Built on first use and kept on the World instance, like its own cached properties (no change to conftest).
EXTRA: dict[str, Callable[[World], Any]] = {}


def _extra(make: Callable[[World], Any]) -> Callable[[World], Any]:
    def cached(world: World) -> Any:
        key = f"_matrix_{make.__name__}"
        if key not in world.__dict__:
            world.__dict__[key] = make(world)
        return world.__dict__[key]

    EXTRA[make.__name__] = cached
    return cached


def target(world: World, key: str) -> Any:
    return EXTRA[key](world) if key in EXTRA else world.obj(key)


def _staff(role: str, school: Any, username: str) -> Any:
    user = factories.UserFactory(username=username)
    factories.MembershipFactory(user=user, role=role, school=school)
    return user


@_extra
def counselor_c(world: World) -> Any:
    return _staff(Role.COUNSELOR, world.school_c, "counselor_c")


@_extra
def case_z(world: World) -> Case:
    return Case.objects.create(
        student=world.student_z, source="teacher", suggested_tier=2, confirmed_tier=2, status="open",
        confirmed_by=counselor_c(world), confirmed_at=timezone.now(), owner=counselor_c(world),
    )  # fmt: skip


@_extra
def import_c(world: World) -> Any:
    return factories.RosterImportFactory(school=world.school_c, uploaded_by=counselor_c(world))


def _plan(world: World, school: Any) -> Any:
    from crisis.models import EmergencyPlan

    return EmergencyPlan.objects.create(
        school=school, version="2026-1", adopted_on=timezone.localdate(),
        document=ContentFile(b"%PDF-1.4 plan", name="plan.pdf"), uploaded_by=world.users["official_a"],
    )  # fmt: skip


@_extra
def plan_b(world: World) -> Any:
    return _plan(world, world.school_b)


@_extra
def plan_c(world: World) -> Any:
    return _plan(world, world.school_c)


def _incident(case: Case, by: Any) -> Any:
    from crisis.models import Incident

    return Incident.objects.create(case=case, kind="incident", reported_by=by, what_happened="quarrel")


@_extra
def incident_y(world: World) -> Any:
    return _incident(world.case_y, world.users["counselor_b"])


@_extra
def incident_z(world: World) -> Any:
    return _incident(case_z(world), counselor_c(world))


@_extra
def grant_z(world: World) -> Any:
    from crisis.models import CaseUserObjectPermission
    from crisis.services import incident_assign

    responder = world.responder(world.district_b, "expert_b")
    incident_assign(incident=incident_z(world), responders=[responder], days=7, by=world.users["official_b"])
    return CaseUserObjectPermission.objects.get(content_object=case_z(world))


def _outside_referral(case: Case, by: Any) -> Any:
    from crisis.models import OutsideReferral

    return OutsideReferral.objects.create(case=case, place_kind="hospital", organisation="City Hospital",
                                          referred_on=timezone.localdate(), referred_by=by)  # fmt: skip


@_extra
def outside_referral_y_route(world: World) -> dict[str, int]:
    return {"pk": world.case_y.pk, "referral_pk": _outside_referral(world.case_y, world.users["counselor_b"]).pk}


@_extra
def outside_referral_z_route(world: World) -> dict[str, int]:
    return {"pk": case_z(world).pk, "referral_pk": _outside_referral(case_z(world), counselor_c(world)).pk}


@_extra
def referral_of_y_under_x(world: World) -> dict[str, int]:
    return {"pk": world.case_x.pk, "referral_pk": outside_referral_y_route(world)["referral_pk"]}


def _notice(case: Case) -> Any:
    from crisis.models import GuardianNotice

    return GuardianNotice.objects.create(case=case, guardian=case.student.guardians.get(), tier=2,
                                         expires_at=timezone.now() + dt.timedelta(days=1))  # fmt: skip


@_extra
def notice_y_route(world: World) -> dict[str, int]:
    return {"pk": world.case_y.pk, "notice_pk": _notice(world.case_y).pk}


@_extra
def notice_z_route(world: World) -> dict[str, int]:
    return {"pk": case_z(world).pk, "notice_pk": _notice(case_z(world)).pk}


@_extra
def notice_of_y_under_x(world: World) -> dict[str, int]:
    return {"pk": world.case_x.pk, "notice_pk": notice_y_route(world)["notice_pk"]}


def _forged(token: str) -> str:
    """The same link with its signature's last character changed."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@_extra
def ack_forged(world: World) -> str:
    return _forged(world.ack_x)


@_extra
def consent_forged(world: World) -> str:
    return _forged(world.consent_x)


@_extra
def parent_form_forged(world: World) -> str:
    return _forged(world.parent_form_x)


@_extra
def feed_forged(world: World) -> str:
    return _forged(world.feed_a)


@_extra
def certificate_code_forged(world: World) -> dict[str, str]:
    return {"code": world.certificate_a.code[:-1] + "Z"}


@_extra
def campaign_b(world: World) -> Any:
    """An open campaign of district B for school C."""
    from portal.models import SchoolYear
    from screening import services

    today = timezone.localdate()
    year = SchoolYear.objects.create(district=world.district_b, name="2026-2027", start=today - dt.timedelta(days=60),
                                     end=today + dt.timedelta(days=300))  # fmt: skip
    campaign = services.campaign_create(
        district=world.district_b, school_year=year, name="District B 2026", schools=[world.school_c],
        grade_from=1, grade_to=12, opens_on=today, closes_on=today + dt.timedelta(days=14),
        by=world.users["official_b"], batteries=[services.BatteryPlan(1, 12, ("phq9",))],
    )  # fmt: skip
    services.campaign_open(campaign=campaign, by=world.users["official_b"])
    return campaign


@_extra
def codes_y_route(world: World) -> dict[str, int]:
    return {"pk": world.campaign_a.pk, "classroom_pk": world.student_y.classroom_id}


@_extra
def codes_z_route(world: World) -> dict[str, int]:
    return {"pk": campaign_b(world).pk, "classroom_pk": world.student_z.classroom_id}


@_extra
def codes_z_under_a(world: World) -> dict[str, int]:
    return {"pk": world.campaign_a.pk, "classroom_pk": world.student_z.classroom_id}


def _slot(school: Any, counselor: Any) -> Any:
    from counseling.models import Room, Slot

    room = Room.objects.create(school=school, name="Room", area_m2=20)
    starts = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(11),
                                 tzinfo=timezone.get_current_timezone())  # fmt: skip
    return Slot.objects.create(school=school, room=room, counselor=counselor, starts_at=starts,
                               ends_at=starts + dt.timedelta(minutes=45))  # fmt: skip


@_extra
def slot_b(world: World) -> Any:
    return _slot(world.school_b, world.users["counselor_b"])


@_extra
def slot_c(world: World) -> Any:
    return _slot(world.school_c, counselor_c(world))


@_extra
def booking_y(world: World) -> Any:
    from counseling.services import booking_create

    return booking_create(slot=slot_b(world), student=world.student_y, channel="parent",
                          made_by=world.users["parent_y"], contact=world.guardian_y)  # fmt: skip


@_extra
def booking_z(world: World) -> Any:
    from counseling.services import booking_create

    return booking_create(slot=slot_c(world), student=world.student_z, channel="staff", made_by=counselor_c(world))


@_extra
def booking_y_route(world: World) -> dict[str, int]:
    return {"booking_pk": booking_y(world).pk}


@_extra
def booking_z_route(world: World) -> dict[str, int]:
    return {"booking_pk": booking_z(world).pk}


def _record(student: Any, author: Any) -> Any:
    from counseling.services import session_record_create

    return session_record_create(student=student, author=author, held_on=timezone.localdate(),
                                 attendance="attended", session_type="individual", summary="exam stress",
                                 private_notes="PRIVATE-NOTE-MARKER")  # fmt: skip


@_extra
def record_y(world: World) -> Any:
    return _record(world.student_y, world.users["counselor_b"])


@_extra
def record_z(world: World) -> Any:
    return _record(world.student_z, counselor_c(world))


@_extra
def class_y_route(world: World) -> dict[str, int]:
    return {"classroom_pk": world.student_y.classroom_id}


@_extra
def class_z_route(world: World) -> dict[str, int]:
    return {"classroom_pk": world.student_z.classroom_id}


@_extra
def class_y(world: World) -> Any:
    return world.student_y.classroom


@_extra
def class_z(world: World) -> Any:
    return world.student_z.classroom


@_extra
def child_w_route(world: World) -> dict[str, int]:
    return {"student_pk": world.student_w.pk}


@_extra
def child_y_route(world: World) -> dict[str, int]:
    return {"student_pk": world.student_y.pk}


@_extra
def child_z_route(world: World) -> dict[str, int]:
    return {"student_pk": world.student_z.pk}


@_extra
def guardian_w(world: World) -> Any:
    return world.student_w.guardians.get()


@_extra
def guardian_z(world: World) -> Any:
    return world.student_z.guardians.get()


@_extra
def mailbox_b(world: World) -> Any:
    from counseling.services import mailbox_post

    return mailbox_post(school=world.school_b, body="school B message").message


@_extra
def mailbox_c(world: World) -> Any:
    from counseling.services import mailbox_post

    return mailbox_post(school=world.school_c, body="school C message").message


@_extra
def school_z_code(world: World) -> dict[str, str]:
    return {"district_code": world.school_c.district.code, "school_code": world.school_c.code}


@_extra
def school_unknown_code(world: World) -> dict[str, str]:
    return {"district_code": world.district_a.code, "school_code": "no-such-school"}


@_extra
def school_a_code_only(world: World) -> dict[str, str]:
    return {"school_code": world.school_a.code}


@_extra
def school_only_unknown_code(world: World) -> dict[str, str]:
    return {"school_code": "no-such-school"}


@_extra
def school_a_in_district_b(world: World) -> dict[str, str]:
    return {"district_code": world.school_c.district.code, "school_code": world.school_a.code}


@_extra
def programme_b(world: World) -> Any:
    from training.models import Programme

    return Programme.objects.create(district=world.district_b, title="District B sandplay", kind="skills",
                                    year=timezone.localdate().year)  # fmt: skip


@_extra
def session_b(world: World) -> Any:
    from training.models import TrainingSession

    starts = timezone.now() + dt.timedelta(days=7)
    return TrainingSession.objects.create(programme=programme_b(world), starts_at=starts, capacity=2, hours=3,
                                          ends_at=starts + dt.timedelta(hours=3), place="B centre")  # fmt: skip


@_extra
def enrolment_b(world: World) -> Any:
    from training.services import enrol

    return enrol(session=session_b(world), user=world.users["official_b"])


@_extra
def enrolment_of_counselor_b(world: World) -> Any:
    from training.services import enrol

    return enrol(session=world.session_a, user=world.users["counselor_b"])


@_extra
def certificate_of_counselor_b(world: World) -> Any:
    from training.models import Certificate

    return Certificate.objects.create(user=world.users["counselor_b"], programme=world.programme_a, hours=3,
                                      code="CERTB23456")  # fmt: skip


@_extra
def certificate_b(world: World) -> Any:
    from training.models import Certificate

    return Certificate.objects.create(user=world.users["official_b"], programme=programme_b(world), hours=3,
                                      code="CERTC23456")  # fmt: skip


@_extra
def episode_b(world: World) -> Any:
    from training.models import ParentEpisode

    return ParentEpisode.objects.create(district=world.district_b, title="District B parents", topic="sleep",
                                        airs_on=timezone.localdate(), link="https://example.org/v/2", live=True,
                                        capacity=100)  # fmt: skip


@_extra
def inbox_of_counselor_b(world: World) -> Any:
    return factories.InboxMessageFactory(user=world.users["counselor_b"])


@_extra
def inbox_of_official_b(world: World) -> Any:
    return factories.InboxMessageFactory(user=world.users["official_b"])


def _shift(world: World, district: Any, official: str) -> Any:
    from crisis.models import DutyShift

    responder = world.responder(district, username=f"on_call_{district.code}")
    now = timezone.now()
    return DutyShift.objects.create(district=district, responder=responder, created_by=world.users[official],
                                    starts_at=now, ends_at=now + dt.timedelta(hours=12))  # fmt: skip


@_extra
def shift_a(world: World) -> Any:
    return _shift(world, world.district_a, "official_a")


@_extra
def shift_b(world: World) -> Any:
    return _shift(world, world.district_b, "official_b")


def _queue(world: World, school: Any, official: str) -> Any:
    from crisis.models import QueueAssignment

    responder = world.responder(school.district, username=f"queue_{school.code}")
    now = timezone.now()
    return QueueAssignment.objects.create(school=school, responder=responder, assigned_by=world.users[official],
                                          assigned_at=now, expires_at=now + dt.timedelta(days=1))  # fmt: skip


@_extra
def queue_a(world: World) -> Any:
    return _queue(world, world.school_a, "official_a")


@_extra
def queue_c(world: World) -> Any:
    return _queue(world, world.school_c, "official_b")


def _copy(world: World, student: Any, by: Any, requester: str, status: str) -> Any:
    """A request for a copy of the student's record, as far along as `status` (privacy.copies' steps)."""
    from privacy.models import CopyRequest
    from privacy.selectors import copy_contents

    now = timezone.now()
    copy = CopyRequest(student=student, requester=requester, asked_by=by, status=status,
                       due_on=timezone.localdate() + dt.timedelta(days=15))  # fmt: skip
    if status in ("prepared", "approved"):
        copy.contents, copy.prepared_by, copy.prepared_at = copy_contents(copy), by, now
    if status == "approved":
        copy.decided_by, copy.decided_at = by, now
    copy.save()
    return copy


@_extra
def copy_x(world: World) -> Any:
    """Parent X asked for a copy of X's record: the counselor prepares it next."""
    return _copy(world, world.student_x, world.users["parent_x"], "guardian", "requested")


@_extra
def copy_y(world: World) -> Any:
    return _copy(world, world.student_y, world.users["parent_y"], "guardian", "requested")


@_extra
def parent_z(world: World) -> Any:
    """Student Z's guardian, with an account (school C, the other district)."""
    guardian = world.student_z.guardians.get()
    guardian.user = factories.UserFactory(username="parent_z")
    guardian.save()
    return guardian.user


@_extra
def copy_z(world: World) -> Any:
    return _copy(world, world.student_z, parent_z(world), "guardian", "requested")


@_extra
def copy_x_prepared(world: World) -> Any:
    """X's own request, made in person and prepared: the leader decides next."""
    return _copy(world, world.student_x, world.users["counselor_a"], "student", "prepared")


@_extra
def copy_y_prepared(world: World) -> Any:
    return _copy(world, world.student_y, world.users["counselor_b"], "student", "prepared")


@_extra
def copy_z_prepared(world: World) -> Any:
    return _copy(world, world.student_z, counselor_c(world), "student", "prepared")


@_extra
def copy_x_ready(world: World) -> Any:
    """Parent X's approved copy, to download."""
    return _copy(world, world.student_x, world.users["parent_x"], "guardian", "approved")


@_extra
def copy_y_ready(world: World) -> Any:
    return _copy(world, world.student_y, world.users["parent_y"], "guardian", "approved")


@_extra
def copy_z_ready(world: World) -> Any:
    return _copy(world, world.student_z, counselor_c(world), "student", "approved")


# Where each object of the matrix lives: school A, B or C, or district A or B as a whole. Capability links
# (acknowledgement, consent, feed, certificate code, mailbox address) are proven by forging them instead.
AXIS = {
    "student_x": "A", "student_w": "A", "student_y": "B", "student_z": "C",
    "import_a": "A", "import_b": "B", "import_c": "C",
    "plan_a": "A", "plan_b": "B", "plan_c": "C",
    "case_x": "A", "case_y": "B", "case_z": "C",
    "incident_x": "A", "incident_y": "B", "incident_z": "C",
    "grant_x": "DA", "grant_z": "DB", "shift_a": "DA", "shift_b": "DB", "queue_a": "DA", "queue_c": "DB",
    "outside_referral_x_route": "A", "outside_referral_y_route": "B", "outside_referral_z_route": "C",
    "referral_of_y_under_x": "B",
    "notice_x_route": "A", "notice_y_route": "B", "notice_z_route": "C", "notice_of_y_under_x": "B",
    "campaign_a": "DA", "campaign_b": "DB",
    "codes_a1_route": "A", "codes_y_route": "B", "codes_z_route": "C", "codes_z_under_a": "C",
    "slot_a": "A", "slot_b": "B", "slot_c": "C",
    "booking_x": "A", "booking_y": "B", "booking_z": "C",
    "booking_x_route": "A", "booking_y_route": "B", "booking_z_route": "C",
    "record_x": "A", "record_y": "B", "record_z": "C",
    "class_a1_route": "A", "class_y_route": "B", "class_z_route": "C",
    "class_a1": "A", "class_a2": "A", "class_y": "B", "class_z": "C",
    "child_x_route": "A", "child_w_route": "A", "child_y_route": "B", "child_z_route": "C",
    "guardian_x": "A", "guardian_w": "A", "guardian_y": "B", "guardian_z": "C",
    "mailbox_a": "A", "mailbox_b": "B", "mailbox_c": "C",
    "programme_a": "DA", "programme_b": "DB", "session_a": "DA", "session_b": "DB",
    "enrolment_a": "DA", "enrolment_of_counselor_b": "DA", "enrolment_b": "DB",
    "certificate_a": "DA", "certificate_of_counselor_b": "DA", "certificate_b": "DB",
    "episode_a": "DA", "episode_b": "DB",
    "school_a": "A", "school_b": "B", "school_c": "C",
    "inbox_a": "A", "inbox_of_counselor_b": "B", "inbox_of_official_b": "DB",
    "copy_x": "A", "copy_y": "B", "copy_z": "C", "copy_x_prepared": "A", "copy_y_prepared": "B", "copy_z_prepared": "C",
    "copy_x_ready": "A", "copy_y_ready": "B", "copy_z_ready": "C",
}  # fmt: skip
CAPABILITY_LINKS = {
    "crisis:acknowledge", "screening:consent", "screening:parent_form", "counseling:feed", "training:verify",
    "counseling:mailbox_write", "counseling:mailbox_write_by_code",
}  # fmt: skip

# route name, method, object the URL points at (a World attribute or an EXTRA), personas allowed, status when
# allowed, and optionally {persona: status} for personas who are neither allowed nor refused (e.g. redirected)
CASES = [
    ("home", "get", None, SIGNED_IN - OFFICIALS, 200, dict.fromkeys(OFFICIALS, 302)),  # officials: the dashboard
    ("student_list", "get", None, IMPORTERS | {"teacher_a", "parent_x", "parent_y"}, 200),
    ("student_detail", "get", "student_x", SEES_X, 200),
    ("student_detail", "get", "student_w", STAFF_A, 200),
    ("student_detail", "get", "student_y", SEES_Y, 200),
    ("student_detail", "get", "student_z", NOBODY, 200),
    ("student_transfer", "get", "student_x", STAFF_A, 200),
    ("student_transfer", "post", "student_x", STAFF_A, 200),  # an empty form comes back with errors
    ("student_transfer", "get", "student_y", {"counselor_b"}, 200),
    ("student_access_log", "get", "student_x", {"leader_a"}, 200),
    ("student_access_log", "get", "student_y", NOBODY, 200),
    ("roster_import_new", "get", None, IMPORTERS, 200),
    ("roster_import_new", "post", None, IMPORTERS, 200),  # an empty form comes back with errors
    ("roster_import_detail", "get", "import_a", STAFF_A, 200),
    ("roster_import_detail", "get", "import_b", {"counselor_b"}, 200),
    ("roster_import_detail", "post", "import_a", STAFF_A, 302),
    ("roster_import_detail", "post", "import_b", {"counselor_b"}, 302),
    ("roster_template", "get", None, IMPORTERS, 200),
    ("crisis:ledger", "get", None, IMPORTERS, 200),
    ("crisis:ledger_export", "get", None, IMPORTERS, 200),
    ("crisis:refer", "get", None, IMPORTERS | {"teacher_a"}, 200),
    ("crisis:refer", "post", None, IMPORTERS | {"teacher_a"}, 200),  # an empty form comes back with errors
    ("crisis:incidents", "get", None, IMPORTERS | {"official_a", "official_b"}, 200),
    ("crisis:preparedness", "get", None, IMPORTERS | {"official_a", "official_b"}, 200),
    ("crisis:preparedness", "post", None, IMPORTERS, 200),  # an empty form comes back as the page
    ("crisis:plan_download", "get", "plan_a", STAFF_A | {"official_a"}, 200),
    ("crisis:case_incident", "post", "case_x", STAFF_A, 302),
    ("crisis:incident_assign", "post", "incident_x", {"official_a"}, 302),  # an empty form: back with an error
    ("crisis:grant_revoke", "post", "grant_x", {"official_a"}, 302),
    ("crisis:assignments", "get", None, NOBODY, 200),  # responders only: see tests/crisis/test_responders.py
    ("crisis:on_call", "get", None, {"official_a", "official_b"}, 200),
    ("crisis:on_call", "post", None, {"official_a", "official_b"}, 200),  # an empty form comes back with errors
    ("crisis:on_call_remove", "post", "shift_a", {"official_a"}, 302),
    ("crisis:case_take_on", "post", "case_x", NOBODY, 302),  # on call only: see tests/crisis/test_after_hours.py
    ("crisis:queues", "get", None, {"official_a", "official_b"}, 200),
    ("crisis:queues", "post", None, {"official_a", "official_b"}, 200),  # an empty form comes back with errors
    ("crisis:queue_end", "post", "queue_a", {"official_a"}, 302),
    ("crisis:case_refer_out", "post", "case_x", STAFF_A, 302),
    ("crisis:referral_outcome", "post", "outside_referral_x_route", STAFF_A, 302),
    ("crisis:case", "get", "case_x", STAFF_A, 200),
    ("crisis:case", "get", "case_y", {"counselor_b"}, 200),
    ("crisis:case_confirm", "post", "case_x", STAFF_A, 302),
    ("crisis:case_confirm", "post", "case_y", {"counselor_b"}, 302),
    ("crisis:case_follow_up", "post", "case_x", STAFF_A, 302),
    ("crisis:case_status", "post", "case_x", STAFF_A, 302),
    ("crisis:case_close", "post", "case_x", STAFF_A, 302),
    ("crisis:case_guardian_contact", "post", "case_x", STAFF_A, 302),
    ("crisis:notice_contact", "post", "notice_x_route", STAFF_A, 302),
    ("crisis:acknowledge", "get", "ack_x", EVERYONE, 200),  # the link is the credential: no login
    ("crisis:acknowledge", "post", "ack_x", EVERYONE, 200),
    ("screening:campaigns", "get", None, IMPORTERS | {"official_a", "official_b"}, 200),
    ("screening:campaign_new", "get", None, {"official_a", "official_b"}, 200),
    ("screening:campaign_new", "post", None, {"official_a", "official_b"}, 200),  # empty form: errors
    ("screening:campaign", "get", "campaign_a", IMPORTERS | {"official_a"}, 200),
    ("screening:policy", "get", None, {"official_a", "official_b"}, 200),
    ("screening:policy", "post", None, {"official_a", "official_b"}, 200),  # empty form: errors
    ("screening:campaign_open", "post", "campaign_a", {"official_a"}, 302),
    ("screening:codes", "get", "codes_a1_route", STAFF_A, 200),
    ("screening:paper_import", "get", "campaign_a", IMPORTERS, 200),
    ("screening:paper_import", "post", "campaign_a", IMPORTERS, 200),  # no file: the form comes back
    ("screening:remind", "post", "campaign_a", IMPORTERS, 302),
    ("screening:rescore", "post", "campaign_a", {"official_a"}, 302),
    ("screening:student_file", "get", "student_x", STAFF_A, 200),
    ("screening:student_file", "get", "student_y", {"counselor_b"}, 200),
    ("screening:take", "get", None, EVERYONE, 200),  # a code is the student's credential: no login
    ("screening:take", "post", None, EVERYONE, 200),
    ("screening:question", "get", None, EVERYONE, 302),  # no code typed in this session: back to the start
    ("screening:done", "get", None, EVERYONE, 200),
    ("screening:consent", "get", "consent_x", EVERYONE, 200),  # the guardian's link is the credential
    ("screening_short", "get", None, EVERYONE, 302),
    ("screening:parent_form", "get", "parent_form_x", EVERYONE, 200),  # the guardian's link is the credential
    ("counseling:schedule", "get", None, IMPORTERS, 200),
    ("counseling:setup", "get", None, IMPORTERS, 200),
    ("counseling:setup", "post", None, IMPORTERS, 200),  # no form named: the page comes back
    ("counseling:slots_generate", "post", None, IMPORTERS, 302),
    ("counseling:group_new", "post", None, IMPORTERS, 302),  # an empty form: back with errors
    ("counseling:slot", "get", "slot_a", STAFF_A, 200),
    ("counseling:slot", "post", "slot_a", STAFF_A, 200),  # an empty form comes back with errors
    ("counseling:booking_mark", "post", "booking_x", STAFF_A, 302),
    ("counseling:booking_cancel", "post", "booking_x", STAFF_A | {"parent_x"}, 302),
    ("counseling:booking_cancel", "get", "booking_x", STAFF_A | {"parent_x"}, 200),  # cancel asks once first
    ("counseling:booking_move", "get", "booking_x", STAFF_A | {"parent_x"}, 200),
    ("counseling:booking_ics", "get", "booking_x", STAFF_A | {"parent_x"}, 200, {"anonymous": 404}),
    ("counseling:record_new", "get", "booking_x_route", STAFF_A, 200),
    ("counseling:record", "get", "record_x", STAFF_A, 200),
    ("counseling:record_break_glass", "post", "record_x", STAFF_A, 302),  # no reason: back with an error
    ("counseling:record_share", "post", "record_x", STAFF_A, 302),
    ("counseling:booking_codes", "get", "class_a1_route", STAFF_A, 200),
    ("counseling:booking_codes", "post", "class_a1_route", STAFF_A, 302),
    ("counseling:feed", "get", "feed_a", EVERYONE, 200),  # the random link is the credential
    ("counseling:feed_link", "post", None, IMPORTERS, 200),  # a new link, shown once
    ("counseling:parent_home", "get", None, {"parent_x", "parent_y"}, 200),
    ("counseling:parent_book", "get", "child_x_route", {"parent_x"}, 200),
    ("counseling:parent_book_confirm", "get", "child_x_route", {"parent_x"}, 302),  # no time chosen: the picker
    ("counseling:parent_booking", "get", "booking_x", {"parent_x"}, 200),
    ("counseling:student_start", "get", None, EVERYONE, 200),  # a booking code is the student's credential
    ("counseling:student_start", "post", None, EVERYONE, 200),
    ("counseling:student_book", "get", None, EVERYONE, 302),  # no code typed: back to the start
    ("counseling:mailbox", "get", None, IMPORTERS, 200),
    ("counseling:poster", "get", None, IMPORTERS, 200),  # each their own school's
    ("counseling:mailbox_message", "get", "mailbox_a", STAFF_A, 200),
    ("counseling:mailbox_read", "get", None, EVERYONE, 200),  # anonymous by design
    ("counseling:mailbox_read", "post", None, EVERYONE, 200),
    ("counseling:mailbox_write", "get", "school_a_code", EVERYONE, 200),
    ("counseling:mailbox_write", "post", "school_a_code", EVERYONE, 200),  # empty: the form comes back
    ("counseling:risk_words", "get", None, {"official_a", "official_b"}, 200),
    ("counseling:risk_words", "post", None, {"official_a", "official_b"}, 200),
    ("privacy:retention", "get", None, OFFICIALS, 200),
    ("privacy:retention", "post", None, OFFICIALS, 200),  # empty form: errors
    ("training:home", "get", None, STAFF, 200),
    ("training:home", "post", None, {"official_a", "official_b"}, 200),  # an empty form comes back
    ("training:programme", "get", "programme_a", {"official_a"}, 200),
    ("training:programme", "post", "programme_a", {"official_a"}, 200),
    ("training:certificates_issue", "post", "programme_a", {"official_a"}, 302),
    ("training:session", "get", "session_a", {"official_a"}, 200),
    ("training:enrol", "post", "session_a", STAFF - {"official_b"}, 302),  # district A's staff and officials
    ("training:attendance", "post", "enrolment_a", {"official_a"}, 302),
    ("training:enrolment_cancel", "post", "enrolment_a", {"counselor_a"}, 302),
    ("training:certificate_pdf", "get", "certificate_a", {"counselor_a", "official_a"}, 200),
    ("training:verify", "get", "certificate_code", EVERYONE, 200),  # public by design: name, programme, hours
    ("training:staffing", "get", None, IMPORTERS | {"official_a", "official_b"}, 200),
    ("training:hours", "get", None, {"official_a", "official_b"}, 200),
    ("training:curriculum", "get", None, IMPORTERS | {"official_a", "official_b"}, 200),
    ("training:curriculum", "post", None, IMPORTERS, 200),  # an empty form comes back
    ("training:attendance_import", "post", "session_a", {"official_a"}, 200),  # no file: the error beside the field
    ("training:roster_import", "post", None, IMPORTERS | {"official_a", "official_b"}, 200),  # no file: as above
    ("training:parent_classes", "get", None, SIGNED_IN, 200),
    ("training:parent_classes", "post", None, {"official_a", "official_b"}, 200),  # an empty form comes back
    ("training:parent_signup", "post", "episode_a", SIGNED_IN - {"official_b"}, 302),
    ("training:parent_watch", "get", "episode_a", SIGNED_IN - {"official_b"}, 302),  # counted, then the link
    ("training:episode_views", "post", "episode_a", {"official_a"}, 302),
    ("dashboards:dashboard", "get", None, IMPORTERS | {"official_a", "official_b"}, 200),
    ("dashboards:school", "get", "school_a", STAFF_A | {"official_a"}, 200),
    ("dashboards:refresh", "post", None, {"official_a", "official_b"}, 302),
    ("api-dashboard", "get", None, IMPORTERS | {"official_a", "official_b"}, 200),
    # A copy of a child's record (PIPL art. 45): the school's counselors prepare, its leader decides (school B has
    # no leader: nobody decides there in this world), the parent who asked downloads; every other family, 404.
    ("privacy:requests", "get", None, IMPORTERS, 200),
    ("privacy:request", "get", "copy_x", STAFF_A, 200),
    ("privacy:prepare", "post", "copy_x", {"counselor_a"}, 302),
    ("privacy:release", "post", "copy_x_prepared", {"leader_a"}, 302),  # not held: back to the request, told so
    ("privacy:approve", "post", "copy_x_prepared", {"leader_a"}, 302),
    ("privacy:refuse", "post", "copy_x_prepared", {"leader_a"}, 200),  # no reason: the page, with the error
    ("privacy:download", "get", "copy_x_ready", STAFF_A | {"parent_x"}, 200),
    ("privacy:ask", "get", "child_x_route", {"parent_x"}, 200),
    ("privacy:ask", "post", "child_x_route", {"parent_x"}, 302),
    ("privacy:record_for_student", "get", "child_x_route", STAFF_A, 200),
    ("privacy:record_for_student", "post", "child_x_route", STAFF_A, 302),  # X is 13: back, told why
    ("inbox", "get", None, SIGNED_IN, 200),
    ("inbox_message", "get", "inbox_a", {"counselor_a"}, 200),
    ("inbox_open", "post", "inbox_a", {"counselor_a"}, 302),
    ("language_set", "post", None, EVERYONE, 302),
    ("healthz", "get", None, EVERYONE, 200),
    ("metrics", "get", None, NOBODY, 200),  # operators or the scraper's token: see tests/portal/test_metrics.py
    ("login", "get", None, {"anonymous"}, 200),
    ("account", "get", None, SIGNED_IN, 200),
    ("otp_verify", "get", None, STAFF, 200, PARENTS_TO_SETUP),
    ("otp_setup", "get", None, SIGNED_IN, 200),
    ("otp_disable", "get", None, STAFF, 200, PARENTS_TO_SETUP),
    ("recovery_codes_new", "get", None, STAFF, 200, PARENTS_TO_SETUP),
    ("password_change", "get", None, SIGNED_IN, 200),
    ("password_change_done", "get", None, SIGNED_IN, 200),
    ("logout", "post", None, EVERYONE, 302),
    ("api-me", "get", None, SIGNED_IN, 200),
    ("api-token", "post", None, EVERYONE, 400),  # no credentials given: a validation error for anyone
    ("school-list", "get", None, SIGNED_IN, 200),
    ("school-detail", "get", "school_a", {"official_a", "teacher_a", "parent_x"} | STAFF_A, 200),
    ("school-detail", "get", "school_b", {"official_a"} | SEES_Y, 200),
    ("school-detail", "get", "school_c", {"official_b"}, 200),
    ("classroom-list", "get", None, SIGNED_IN, 200),
    ("classroom-detail", "get", "class_a1", STAFF_A | {"teacher_a"}, 200),
    ("classroom-detail", "get", "class_a2", STAFF_A, 200),
    ("student-list", "get", None, SIGNED_IN, 200),
    ("student-detail", "get", "student_x", SEES_X, 200),
    ("student-detail", "get", "student_w", STAFF_A, 200),
    ("student-detail", "get", "student_y", SEES_Y, 200),
    ("student-detail", "get", "student_z", NOBODY, 200),
    ("guardian-list", "get", None, SIGNED_IN, 200),
    ("guardian-detail", "get", "guardian_x", SEES_X, 200),
    ("guardian-detail", "get", "guardian_y", SEES_Y, 200),
    ("roster-import-list", "get", None, SIGNED_IN, 200),
    ("roster-import-list", "post", None, IMPORTERS, 400),  # no file: a validation error, nothing stored
    ("roster-import-detail", "get", "import_a", STAFF_A, 200),
    ("roster-import-detail", "get", "import_b", {"counselor_b"}, 200),
    ("roster-import-apply", "post", "import_a", STAFF_A, 202),
    ("roster-import-apply", "post", "import_b", {"counselor_b"}, 202),
    ("case-list", "get", None, SIGNED_IN, 200),  # scoped: see tests/crisis/test_api.py
    ("case-detail", "get", "case_x", STAFF_A, 200),
    ("case-detail", "get", "case_y", {"counselor_b"}, 200),
    ("case-confirm", "post", "case_x", STAFF_A, 400),  # no tier given: a validation error, nothing changes
    ("case-confirm", "post", "case_y", {"counselor_b"}, 400),
    ("case-set-status", "post", "case_x", STAFF_A, 400),
    ("case-close", "post", "case_x", STAFF_A, 400),
    ("case-follow-ups", "post", "case_x", STAFF_A, 400),
    ("case-refer-out", "post", "case_x", STAFF_A, 400),
    ("referral-list", "post", None, IMPORTERS | {"teacher_a"}, 400),
    ("incident-list", "get", None, SIGNED_IN, 200),
    ("incident-detail", "get", "incident_x", STAFF_A | {"official_a"}, 200),
    ("api-schema", "get", None, SIGNED_IN, 200),
    ("api-docs", "get", None, SIGNED_IN, 200),
    # --- every method a route answers: the form posts that come back with errors when empty
    ("api-screening-submit", "post", None, EVERYONE, 415),  # the code is the credential; a kiosk speaks JSON only
    ("api-screening-open", "post", None, EVERYONE, 415),
    ("counseling:booking_move", "post", "booking_x", STAFF_A | {"parent_x"}, 200),  # no slot chosen: errors
    ("counseling:parent_book_confirm", "post", "child_x_route", {"parent_x"}, 302),  # no time chosen: the picker
    ("counseling:record_new", "post", "booking_x_route", STAFF_A, 200),
    ("counseling:mailbox_message", "post", "mailbox_a", STAFF_A, 200),
    ("counseling:student_book", "post", None, EVERYONE, 302),
    ("screening:question", "post", None, EVERYONE, 302),
    ("screening:parent_form", "post", "parent_form_x", EVERYONE, 200),
    ("screening:consent", "post", "consent_x", EVERYONE, 302),  # no answer: the question again
    ("otp_verify", "post", None, STAFF, 200, PARENTS_TO_SETUP),
    ("otp_setup", "post", None, SIGNED_IN, 200),
    ("otp_disable", "post", None, STAFF, 200, PARENTS_TO_SETUP),
    ("recovery_codes_new", "post", None, STAFF, 200, PARENTS_TO_SETUP),
    ("password_change", "post", None, SIGNED_IN, 200),
    ("login", "post", None, {"anonymous"}, 200),
    # --- the object axis: the same route on an object at school A (own), school B (same district, other
    # school) and school C (other district). Persona-bound objects: one's own, a colleague's, another district's.
    ("student_transfer", "get", "student_w", STAFF_A, 200),
    ("student_transfer", "post", "student_z", NOBODY, 200),
    ("student_access_log", "get", "student_w", {"leader_a"}, 200),
    ("student_access_log", "get", "student_z", NOBODY, 200),
    ("roster_import_detail", "get", "import_c", NOBODY, 200),
    ("roster_import_detail", "post", "import_c", NOBODY, 302),
    ("crisis:plan_download", "get", "plan_b", {"counselor_b", "official_a"}, 200),
    ("crisis:plan_download", "get", "plan_c", {"official_b"}, 200),
    ("crisis:case_incident", "post", "case_y", {"counselor_b"}, 302),
    ("crisis:case_incident", "post", "case_z", NOBODY, 302),
    ("crisis:incident_assign", "post", "incident_y", {"official_a"}, 302),
    ("crisis:incident_assign", "post", "incident_z", {"official_b"}, 302),
    ("crisis:grant_revoke", "post", "grant_z", {"official_b"}, 302),
    ("crisis:on_call_remove", "post", "shift_b", {"official_b"}, 302),
    ("crisis:queue_end", "post", "queue_c", {"official_b"}, 302),
    ("crisis:case_take_on", "post", "case_y", NOBODY, 302),
    ("crisis:case_take_on", "post", "case_z", NOBODY, 302),
    ("crisis:case_refer_out", "post", "case_y", {"counselor_b"}, 302),
    ("crisis:case_refer_out", "post", "case_z", NOBODY, 302),
    ("crisis:referral_outcome", "post", "outside_referral_y_route", {"counselor_b"}, 302),
    ("crisis:referral_outcome", "post", "outside_referral_z_route", NOBODY, 302),
    ("crisis:referral_outcome", "post", "referral_of_y_under_x", NOBODY, 302),  # own case, foreign referral
    ("crisis:case", "get", "case_z", NOBODY, 200),
    ("crisis:case_confirm", "post", "case_z", NOBODY, 302),
    ("crisis:case_follow_up", "post", "case_y", {"counselor_b"}, 302),
    ("crisis:case_follow_up", "post", "case_z", NOBODY, 302),
    ("crisis:case_status", "post", "case_y", {"counselor_b"}, 302),
    ("crisis:case_status", "post", "case_z", NOBODY, 302),
    ("crisis:case_close", "post", "case_y", {"counselor_b"}, 302),
    ("crisis:case_close", "post", "case_z", NOBODY, 302),
    ("crisis:case_guardian_contact", "post", "case_y", {"counselor_b"}, 302),
    ("crisis:case_guardian_contact", "post", "case_z", NOBODY, 302),
    ("crisis:notice_contact", "post", "notice_y_route", {"counselor_b"}, 302),
    ("crisis:notice_contact", "post", "notice_z_route", NOBODY, 302),
    ("crisis:notice_contact", "post", "notice_of_y_under_x", NOBODY, 302),  # own case, foreign notice
    ("crisis:acknowledge", "get", "ack_forged", NOBODY, 200, GONE),
    ("screening:campaign", "get", "campaign_b", {"official_b"}, 200),
    ("screening:campaign_open", "post", "campaign_b", {"official_b"}, 302),
    ("screening:codes", "get", "codes_y_route", {"counselor_b"}, 200),
    ("screening:codes", "get", "codes_z_route", NOBODY, 200),
    ("screening:codes", "get", "codes_z_under_a", NOBODY, 200),  # own campaign, a class it does not include
    ("screening:paper_import", "get", "campaign_b", NOBODY, 200),
    ("screening:remind", "post", "campaign_b", NOBODY, 302),
    ("screening:rescore", "post", "campaign_b", {"official_b"}, 302),
    ("screening:student_file", "get", "student_w", STAFF_A, 200),
    ("screening:student_file", "get", "student_z", NOBODY, 200),
    ("screening:consent", "get", "consent_forged", NOBODY, 200, GONE),
    ("screening:parent_form", "get", "parent_form_forged", NOBODY, 200, GONE),
    ("counseling:slot", "get", "slot_b", {"counselor_b"}, 200),
    ("counseling:slot", "post", "slot_c", NOBODY, 200),
    ("counseling:booking_mark", "post", "booking_y", {"counselor_b"}, 302),
    ("counseling:booking_mark", "post", "booking_z", NOBODY, 302),
    ("counseling:booking_cancel", "post", "booking_y", {"counselor_b", "parent_y"}, 302),
    ("counseling:booking_cancel", "post", "booking_z", NOBODY, 302),
    ("counseling:booking_cancel", "get", "booking_y", {"counselor_b", "parent_y"}, 200),
    ("counseling:booking_cancel", "get", "booking_z", NOBODY, 200),
    ("counseling:booking_move", "get", "booking_y", {"counselor_b", "parent_y"}, 200),
    ("counseling:booking_move", "post", "booking_z", NOBODY, 200),
    ("counseling:booking_ics", "get", "booking_y", {"counselor_b", "parent_y"}, 200, {"anonymous": 404}),
    ("counseling:booking_ics", "get", "booking_z", NOBODY, 200, {"anonymous": 404}),
    ("counseling:record_new", "get", "booking_y_route", {"counselor_b"}, 200),
    ("counseling:record_new", "post", "booking_z_route", NOBODY, 200),
    ("counseling:record", "get", "record_y", {"counselor_b"}, 200),
    ("counseling:record", "get", "record_z", NOBODY, 200),
    ("counseling:record_break_glass", "post", "record_y", {"counselor_b"}, 302),
    ("counseling:record_break_glass", "post", "record_z", NOBODY, 302),
    ("counseling:record_share", "post", "record_y", {"counselor_b"}, 302),
    ("counseling:record_share", "post", "record_z", NOBODY, 302),
    ("counseling:booking_codes", "get", "class_y_route", {"counselor_b"}, 200),
    ("counseling:booking_codes", "post", "class_z_route", NOBODY, 302),
    ("counseling:feed", "get", "feed_forged", NOBODY, 200, {"anonymous": 404}),
    ("counseling:parent_book", "get", "child_w_route", NOBODY, 200),
    ("counseling:parent_book", "get", "child_y_route", {"parent_y"}, 200),
    ("counseling:parent_book", "get", "child_z_route", NOBODY, 200),
    ("counseling:parent_book_confirm", "get", "child_w_route", NOBODY, 302),
    ("counseling:parent_book_confirm", "get", "child_y_route", {"parent_y"}, 302),
    ("counseling:parent_book_confirm", "post", "child_z_route", NOBODY, 302),
    ("counseling:parent_booking", "get", "booking_y", {"parent_y"}, 200),
    ("counseling:parent_booking", "get", "booking_z", NOBODY, 200),
    ("counseling:mailbox_message", "get", "mailbox_b", {"counselor_b"}, 200),
    ("counseling:mailbox_message", "post", "mailbox_c", NOBODY, 200),
    ("counseling:mailbox_write", "get", "school_z_code", EVERYONE, 200),  # every school has a mailbox
    ("counseling:mailbox_write", "get", "school_unknown_code", NOBODY, 200, {"anonymous": 404}),
    ("counseling:mailbox_write", "get", "school_a_in_district_b", NOBODY, 200, {"anonymous": 404}),
    ("counseling:mailbox_write_by_code", "get", "school_a_code_only", EVERYONE, 302),  # to district A's school A
    ("counseling:mailbox_write_by_code", "get", "school_only_unknown_code", NOBODY, 200, {"anonymous": 404}),
    ("training:programme", "get", "programme_b", {"official_b"}, 200),
    ("training:programme", "post", "programme_b", {"official_b"}, 200),
    ("training:certificates_issue", "post", "programme_b", {"official_b"}, 302),
    ("training:session", "get", "session_b", {"official_b"}, 200),
    ("training:enrol", "post", "session_b", {"official_b"}, 302),
    ("training:attendance", "post", "enrolment_b", {"official_b"}, 302),
    ("training:enrolment_cancel", "post", "enrolment_of_counselor_b", {"counselor_b"}, 302),
    ("training:enrolment_cancel", "post", "enrolment_b", {"official_b"}, 302),
    ("training:certificate_pdf", "get", "certificate_of_counselor_b", {"counselor_b", "official_a"}, 200),
    ("training:certificate_pdf", "get", "certificate_b", {"official_b"}, 200),
    ("training:verify", "get", "certificate_code_forged", NOBODY, 200, {"anonymous": 404}),
    ("training:attendance_import", "post", "session_b", {"official_b"}, 200),
    ("training:parent_signup", "post", "episode_b", {"official_b"}, 302),
    ("training:parent_watch", "get", "episode_b", {"official_b"}, 302),
    ("training:episode_views", "post", "episode_b", {"official_b"}, 302),
    ("dashboards:school", "get", "school_b", {"counselor_b", "official_a"}, 200),
    ("dashboards:school", "get", "school_c", {"official_b"}, 200),
    ("inbox_message", "get", "inbox_of_counselor_b", {"counselor_b"}, 200),
    ("inbox_open", "post", "inbox_of_counselor_b", {"counselor_b"}, 302),
    ("inbox_open", "post", "inbox_of_official_b", {"official_b"}, 302),
    ("inbox_message", "get", "inbox_of_official_b", {"official_b"}, 200),
    ("classroom-detail", "get", "class_y", {"counselor_b"}, 200),
    ("classroom-detail", "get", "class_z", NOBODY, 200),
    ("guardian-detail", "get", "guardian_w", STAFF_A, 200),
    ("guardian-detail", "get", "guardian_z", NOBODY, 200),
    ("roster-import-detail", "get", "import_c", NOBODY, 200),
    ("roster-import-apply", "post", "import_c", NOBODY, 202),
    ("case-detail", "get", "case_z", NOBODY, 200),
    ("case-confirm", "post", "case_z", NOBODY, 400),
    ("case-set-status", "post", "case_y", {"counselor_b"}, 400),
    ("case-set-status", "post", "case_z", NOBODY, 400),
    ("case-close", "post", "case_y", {"counselor_b"}, 400),
    ("case-close", "post", "case_z", NOBODY, 400),
    ("case-follow-ups", "post", "case_y", {"counselor_b"}, 400),
    ("case-follow-ups", "post", "case_z", NOBODY, 400),
    ("case-refer-out", "post", "case_y", {"counselor_b"}, 400),
    ("case-refer-out", "post", "case_z", NOBODY, 400),
    ("incident-detail", "get", "incident_y", {"counselor_b", "official_a"}, 200),
    ("incident-detail", "get", "incident_z", {"official_b"}, 200),
    ("privacy:request", "get", "copy_y", {"counselor_b"}, 200),
    ("privacy:request", "get", "copy_z", NOBODY, 200),
    ("privacy:prepare", "post", "copy_y", {"counselor_b"}, 302),
    ("privacy:prepare", "post", "copy_z", NOBODY, 302),
    ("privacy:release", "post", "copy_y_prepared", NOBODY, 302),
    ("privacy:release", "post", "copy_z_prepared", NOBODY, 302),
    ("privacy:approve", "post", "copy_y_prepared", NOBODY, 302),
    ("privacy:approve", "post", "copy_z_prepared", NOBODY, 302),
    ("privacy:refuse", "post", "copy_y_prepared", NOBODY, 200),
    ("privacy:refuse", "post", "copy_z_prepared", NOBODY, 200),
    ("privacy:download", "get", "copy_y_ready", {"counselor_b", "parent_y"}, 200),
    ("privacy:download", "get", "copy_z_ready", NOBODY, 200),
    ("privacy:ask", "get", "child_w_route", NOBODY, 200),  # a child of school A, not theirs
    ("privacy:ask", "get", "child_y_route", {"parent_y"}, 200),
    ("privacy:ask", "post", "child_z_route", NOBODY, 302),
    ("privacy:record_for_student", "get", "child_y_route", {"counselor_b"}, 200),
    ("privacy:record_for_student", "post", "child_z_route", NOBODY, 302),
]

# Routes open to anyone that answer with a redirect somewhere other than the login page.
PUBLIC_REDIRECTS = ("language_set", "logout", "screening_short", "screening:question", "counseling:student_book",
                    "screening:consent", "counseling:mailbox_write_by_code")  # fmt: skip

# Anonymous refusals that differ from the default (login redirect for pages, 401 for the API).
ANONYMOUS_REFUSAL = {"api-token": 400, "api-screening-submit": 415, "api-screening-open": 415, "metrics": 401}


def _route_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace=""):  # type: ignore[no-untyped-def]
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue  # Django admin: superusers only, see test_admin_is_for_platform_operators_only
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern):
                assert p.name, f"unnamed route {p.pattern}: name it and add it to the matrix"
                names.add(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver().url_patterns)
    return names


def _is_api(route: str) -> bool:
    return route.startswith("api-") or ("-" in route and ":" not in route)


def _expected(route: str, persona: str, allowed: frozenset[str], ok: int, others: dict[str, int]) -> int:
    if persona in others:
        return others[persona]
    if persona in allowed:
        return ok
    if persona == "anonymous":
        if route in ANONYMOUS_REFUSAL:
            return ANONYMOUS_REFUSAL[route]
        return 401 if _is_api(route) else 302
    if route == "login":
        return 302  # a signed-in user is sent home
    return 404


def _expected_for(case: tuple, persona: str) -> int:  # type: ignore[type-arg]
    route, _method, _key, allowed, ok, *rest = case
    return _expected(route, persona, frozenset(allowed), ok, rest[0] if rest else {})


def route_url(world: World, route: str, key: str | None) -> str:
    obj = target(world, key) if key else None
    if obj is None or isinstance(obj, dict):
        kwargs = obj or {}
    else:
        kwargs = {"token": obj} if isinstance(obj, str) else {"pk": obj.pk}
    return reverse(route, kwargs=kwargs)


def _clients(world: World) -> dict[str, Client]:
    """One client per persona, signed in once (staff through the second factor)."""
    clients = {}
    for persona in PERSONAS:
        client = Client()
        user = world.users[persona]
        if user is not None:
            client.force_login(user, backend="portal.auth_backend.ModelBackend")
            if needs_second_factor(user):
                verify_session(client, user)
        clients[persona] = client
    return clients


# What a refused request may still write: its session, the audit trail (a refusal is evidence too) and the
# sign-in throttle. Everything else must be exactly as before.
VOLATILE = {"portal_session", "portal_auditevent", "axes_accessattempt", "axes_accessattemptexpiration",
            "axes_accessfailurelog", "axes_accesslog"}  # fmt: skip


def fingerprint() -> dict[str, str]:
    """A digest of every row of every table (but VOLATILE): one query, small enough for a test world."""
    tables = sorted(
        {m._meta.db_table for m in apps.get_models(include_auto_created=True) if m._meta.managed} - VOLATILE
    )
    qn = connection.ops.quote_name
    columns = ", ".join(
        f"(SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM {qn(t)} r)"  # noqa: S608
        for t in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")  # noqa: S608 (table names from the model registry, quoted)
        return dict(zip(tables, cursor.fetchone(), strict=True))


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [table for table, digest in before.items() if after[table] != digest]


def _request(client: Client, method: str, url: str, data: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    cache.clear()  # throttles on codes and the mailbox count every try: each request starts afresh
    if data is None:
        return getattr(client, method)(url)
    if method == "post":
        return client.post(url, data)
    return getattr(client, method)(url, data, content_type="application/json")


def _refused(route: str, persona: str, response) -> bool:  # type: ignore[no-untyped-def]
    """405, or how this persona is refused anywhere: 404 (403), 401 from the API, the login page."""
    status = response.status_code
    if status in (401, 403, 404, 405):
        return True
    if status == 302:
        location = response["Location"]
        if persona == "anonymous":
            return location.startswith(reverse("login"))
        return route == "login" and location == "/"  # a signed-in user is sent home, whatever the method
    return False


def test_every_route_is_in_the_matrix():
    assert _route_names() == {case[0] for case in CASES}


def test_every_object_route_is_tried_at_home_next_door_and_in_the_other_district():
    targets: dict[str, set[str]] = defaultdict(set)
    for route, _method, key, *_rest in CASES:
        if key:
            targets[route].add(key)
    gaps = []
    for route, keys in sorted(targets.items()):
        if route in CAPABILITY_LINKS:
            if not any(k.endswith(("_forged", "_unknown_code")) for k in keys):
                gaps.append(f"{route}: no forged link tried")
            continue
        unknown = keys - AXIS.keys()
        if unknown:
            gaps.append(f"{route}: say where {sorted(unknown)} live in AXIS")
            continue
        axes = {AXIS[k] for k in keys}
        if not axes & {"C", "DB"}:
            gaps.append(f"{route}: no object of the other district")
        if "A" in axes and "B" not in axes:
            gaps.append(f"{route}: no object of the other school")
    assert gaps == []


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_access(world, case):
    route, method, key, allowed, ok, *rest = case
    others = rest[0] if rest else {}
    url = route_url(world, route, key)
    clients = _clients(world)
    refused = [p for p in PERSONAS if p not in allowed and p not in others]
    wrong = []

    def check(persona: str, response) -> None:  # type: ignore[no-untyped-def]
        expected = _expected(route, persona, frozenset(allowed), ok, others)
        if response.status_code != expected:
            wrong.append(f"{persona}: {response.status_code}, expected {expected}")
        elif expected == 302 and persona == "anonymous" and route not in PUBLIC_REDIRECTS:
            if not response["Location"].startswith(reverse("login")):
                wrong.append(f"{persona}: sent to {response['Location']}, expected the login page")

    # Refused requests first and as they are: together they must leave the database as it was.
    before = fingerprint() if method in UNSAFE else None
    for persona in refused:
        check(persona, _request(clients[persona], method, url))
    if before is not None and (changed := changed_tables(before, fingerprint())):
        wrong.append(f"refused, yet changed {changed}")
    # Then each allowed request in a savepoint of its own, so one persona's write does not decide the next's.
    for persona in PERSONAS:
        if persona not in refused:
            with transaction.atomic():
                check(persona, _request(clients[persona], method, url))
                transaction.set_rollback(True)
    assert wrong == [], f"{method.upper()} {url}"


def _cases_by_route() -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    by_route: dict[str, list[tuple]] = defaultdict(list)  # type: ignore[type-arg]
    for case in CASES:
        by_route[case[0]].append(case)
    return by_route


def _group(route: str) -> str:
    return "api" if _is_api(route) else route.split(":")[0] if ":" in route else "portal"


def _sweep_personas(case: tuple) -> list[str]:  # type: ignore[type-arg]
    """Who tries the methods a route has no case for: anonymous, the personas the route serves, and one it
    refuses (whether a method is refused does not depend on more than that; each request costs ~0.1 s)."""
    allowed = [p for p in PERSONAS if p in case[3] and p != "anonymous"]
    refused = [p for p in PERSONAS if p not in case[3] and p != "anonymous"]
    return ["anonymous", *allowed, *refused[:1]]


@pytest.mark.parametrize("group", sorted({_group(c[0]) for c in CASES}))
def test_methods_without_a_case_are_refused(world, group):
    """GET, POST, PUT, PATCH and DELETE that a route has no case for are refused (405, or the persona's usual
    refusal), never answered, never a 500, and write nothing. HEAD answers like GET or 405; OPTIONS is refused,
    or the framework's bare list of methods (an Allow header, no data)."""
    clients = _clients(world)
    wrong = []
    for route, cases in sorted(_cases_by_route().items()):
        if _group(route) != group:
            continue
        declared = {c[1] for c in cases}
        first = cases[0]
        url = route_url(world, route, first[2])
        gets = [c for c in cases if c[1] == "get" and c[2] == first[2]]
        before = fingerprint()
        for persona in _sweep_personas(first):
            for method in [m for m in ("get", *UNSAFE) if m not in declared]:
                response = _request(clients[persona], method, url, {} if method in ("put", "patch") else None)
                if not _refused(route, persona, response):
                    wrong.append(f"{method.upper()} {route} as {persona}: {response.status_code}")
            with transaction.atomic():
                head = _request(clients[persona], "head", url)
                options = _request(clients[persona], "options", url)
                transaction.set_rollback(True)
            like_get = bool(gets) and head.status_code == _expected_for(gets[0], persona)
            if head.status_code != 405 and not like_get and not _refused(route, persona, head):
                wrong.append(f"HEAD {route} as {persona}: {head.status_code}")
            if not _refused(route, persona, options):
                body = options.content.decode(errors="replace")
                if options.status_code != 200 or "Allow" not in options or "Xiao" in body:
                    wrong.append(f"OPTIONS {route} as {persona}: {options.status_code} {body[:80]!r}")
        if changed := changed_tables(before, fingerprint()):
            wrong.append(f"{route}: refused methods changed {changed}")
    assert wrong == []


# Refused writes with a valid payload change nothing; the same request by the persona allowed to make it does
# (so the payload is proven to be one that would have worked).
def _today() -> str:
    return timezone.localdate().isoformat()


WRITES: list[tuple[str, str, Callable[[World], dict[str, Any]], str | None]] = [
    ("crisis:case_close", "case_x", lambda w: {"reason": "resolved"}, "counselor_a"),
    ("crisis:case_status", "case_x", lambda w: {"status": "monitoring"}, "counselor_a"),
    ("crisis:case_follow_up", "case_x",
     lambda w: {"date": _today(), "contact_type": "talk", "summary": "talked"}, "counselor_a"),
    ("crisis:case_confirm", "case_y", lambda w: {"tier": 3}, "counselor_b"),
    ("crisis:case_guardian_contact", "case_x", lambda w: {"reason": "risk_at_home"}, "counselor_a"),
    ("crisis:case_refer_out", "case_x",
     lambda w: {"place_kind": "hospital", "organisation": "City Hospital", "referred_on": _today()}, "counselor_a"),
    ("crisis:grant_revoke", "grant_x", lambda w: {}, "official_a"),
    ("crisis:on_call_remove", "shift_a", lambda w: {}, "official_a"),
    ("crisis:queue_end", "queue_a", lambda w: {}, "official_a"),
    ("counseling:booking_cancel", "booking_x", lambda w: {}, "parent_x"),
    ("counseling:feed_link", None, lambda w: {"action": "new"}, "counselor_a"),
    ("counseling:booking_cancel", "booking_y", lambda w: {}, "parent_y"),
    ("counseling:parent_book_confirm", "child_x_route", lambda w: {"slot": w.slot_a.pk}, "parent_x"),
    ("counseling:record_share", "record_x", lambda w: {"user": w.users["leader_a"].pk}, "counselor_a"),
    ("student_transfer", "student_x",
     lambda w: {"to_classroom": w.student_y.classroom_id, "student_number": "B-0001"}, "counselor_a"),
    ("roster_import_detail", "import_a", lambda w: {}, "counselor_a"),
    ("training:enrolment_cancel", "enrolment_a", lambda w: {}, "counselor_a"),
    ("training:enrolment_cancel", "enrolment_of_counselor_b", lambda w: {}, "counselor_b"),
    ("case-close", "case_x", lambda w: {"reason": "resolved"}, "counselor_a"),
    ("case-set-status", "case_x", lambda w: {"status": "monitoring"}, "counselor_a"),
    ("case-confirm", "case_y", lambda w: {"tier": 3}, "counselor_b"),
    ("case-follow-ups", "case_x",
     lambda w: {"date": _today(), "contact_type": "talk", "summary": "talked"}, "counselor_a"),
    ("case-refer-out", "case_x", lambda w: {"place_kind": "hospital", "organisation": "City Hospital",
                                             "referred_on": _today()}, "counselor_a"),
    ("crisis:referral_outcome", "outside_referral_x_route",
     lambda w: {"outcome": "outpatient", "outcome_on": _today()}, "counselor_a"),
    # Case X is theirs, the referral is case Y's: the form is valid, the pair is not.
    ("crisis:referral_outcome", "referral_of_y_under_x",
     lambda w: {"outcome": "outpatient", "outcome_on": _today()}, None),
    ("crisis:notice_contact", "notice_of_y_under_x", lambda w: {"via": "phone", "outcome": "spoke"}, None),
    ("roster-import-apply", "import_b", lambda w: {}, "counselor_b"),
    ("privacy:ask", "child_x_route", lambda w: {}, "parent_x"),
    ("privacy:prepare", "copy_x", lambda w: {}, "counselor_a"),
    ("privacy:prepare", "copy_y", lambda w: {}, "counselor_b"),
    ("privacy:approve", "copy_x_prepared", lambda w: {}, "leader_a"),
    ("privacy:refuse", "copy_x_prepared", lambda w: {"reason": "学生已转学，请向新学校申请。"}, "leader_a"),
    ("privacy:retention", None, lambda w: {"screening_months": 12, "case_months": 48, "session_months": 36,
                                           "mailbox_months": 12, "audit_months": 60}, "official_a"),
]  # fmt: skip


@pytest.mark.parametrize("write", WRITES, ids=[f"{w[0]}-{w[1]}" for w in WRITES])
def test_refused_writes_change_nothing(world, write):
    route, key, payload, author = write
    (case,) = [c for c in CASES if c[0] == route and c[1] == "post" and c[2] == key]
    allowed = frozenset(case[3])
    assert author is None or author in allowed
    url = route_url(world, route, key)
    data = payload(world)
    clients = _clients(world)
    before = fingerprint()
    for persona in sorted(EVERYONE - allowed):
        response = _request(clients[persona], "post", url, data)
        expected = _expected(route, persona, allowed, case[4], {})
        assert response.status_code == expected, persona
    assert changed_tables(before, fingerprint()) == []
    if author is None:
        return  # nobody may: the payload is proven valid by the same route's own-object write above
    response = _request(clients[author], "post", url, data)
    assert response.status_code < 400, response.content[:300]
    assert changed_tables(before, fingerprint()) != [], f"{author}'s request changed nothing: not a valid payload"


def test_admin_is_for_platform_operators_only(world, login, admin_user):
    for persona in PERSONAS:
        response = login(world.users[persona]).get(reverse("admin:index"))
        assert response.status_code == 302, persona
        assert "/admin/login/" in response["Location"]
    assert login(admin_user).get(reverse("admin:index")).status_code == 200
