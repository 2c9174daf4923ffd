"""Personas and the small world they live in (STYLE: healthchecks' Alice/Bob/Charlie).

District A has school A (nine-year) and school B (junior); district B has school C.
Student X sits in class A1 at school A, taught by teacher_a; W is in another class at school A;
Y is at school B; Z is at school C in the other district.
"""

from dataclasses import dataclass
from functools import cached_property

import pytest
from django.utils import timezone

from crisis.models import Case
from portal.celery import app as celery_app
from portal.models import Classroom, District, Guardian, InboxMessage, RosterImport, School, Student, User
from portal.models.org import SchoolKind
from portal.models.staff import Employment, Role
from portal.second_factor import needs_second_factor
from tests import factories

PERSONAS = [
    "official_a",
    "official_b",
    "leader_a",
    "counselor_a",
    "counselor_b",
    "teacher_a",
    "parent_x",
    "parent_y",
    "anonymous",
]


@dataclass
class World:
    district_a: District
    district_b: District
    school_a: School
    school_b: School
    school_c: School
    class_a1: Classroom
    class_a2: Classroom
    student_x: Student
    student_w: Student
    student_y: Student
    student_z: Student
    users: dict[str, User | None]
    import_a: RosterImport
    import_b: RosterImport
    inbox_a: InboxMessage
    case_x: Case  # confirmed tier 2 at school A
    case_y: Case  # pending at school B

    @property
    def ack_x(self) -> str:
        """A fresh acknowledgement link token for a notice to student X's guardian."""
        from crisis.models import GuardianNotice
        from crisis.services import ack_token

        notice = GuardianNotice.objects.create(
            case=self.case_x, guardian=self.guardian_x, tier=2, expires_at=timezone.now() + timezone.timedelta(days=1)
        )
        return ack_token(notice)

    @property
    def notice_x_route(self) -> dict[str, int]:
        """URL arguments of a notice about case X (for routes nested under the case)."""
        from crisis.models import GuardianNotice

        _token = self.ack_x  # creates the notice
        return {"pk": self.case_x.pk, "notice_pk": GuardianNotice.objects.filter(case=self.case_x).latest("id").pk}

    @property
    def plan_a(self):  # type: ignore[no-untyped-def]
        """School A's emergency plan (a small PDF)."""
        from django.core.files.base import ContentFile

        from crisis.models import EmergencyPlan

        return EmergencyPlan.objects.create(
            school=self.school_a, version="2026-1", adopted_on=timezone.localdate(),
            document=ContentFile(b"%PDF-1.4 plan", name="plan.pdf"), uploaded_by=self.users["leader_a"],
        )  # fmt: skip

    @property
    def incident_x(self):  # type: ignore[no-untyped-def]
        """An incident school A reported about case X."""
        from crisis.models import Incident

        return Incident.objects.create(case=self.case_x, kind="incident", reported_by=self.users["counselor_a"],
                                       what_happened="fell out with friends")  # fmt: skip

    def responder(self, district: District | None = None, username: str = "expert_a"):  # type: ignore[no-untyped-def]
        """A member of the district's expert pool (district A unless told), signed up like any staff."""
        from crisis.services import responder_add

        user = factories.UserFactory(username=username)
        return responder_add(district=district or self.district_a, user=user, kind="expert",
                             organisation="City Mental Health Centre")  # fmt: skip

    @property
    def grant_x(self):  # type: ignore[no-untyped-def]
        """A district-A expert's live access to case X, through an incident."""
        from crisis.models import CaseUserObjectPermission
        from crisis.services import incident_assign

        incident_assign(incident=self.incident_x, responders=[self.responder()], days=7, by=self.users["official_a"])
        return CaseUserObjectPermission.objects.get(content_object=self.case_x)

    @property
    def outside_referral_x_route(self) -> dict[str, int]:
        """URL arguments of a pending hospital referral of case X."""
        from crisis.services import outside_referral_create

        referral = outside_referral_create(case=self.case_x, by=self.users["counselor_a"], place_kind="hospital",
                                           organisation="City Hospital", referred_on=timezone.localdate())  # fmt: skip
        return {"pk": self.case_x.pk, "referral_pk": referral.pk}

    @cached_property
    def campaign_a(self):  # type: ignore[no-untyped-def]
        """An open screening campaign of district A for schools A and B (PHQ-9 and ASQ for grades 7-12)."""
        import datetime as dt

        from portal.models import SchoolYear
        from screening import services

        today = timezone.localdate()
        year = SchoolYear.objects.create(
            district=self.district_a, name="2026-2027", start=today - dt.timedelta(days=60),
            end=today + dt.timedelta(days=300),
        )  # fmt: skip
        campaign = services.campaign_create(
            district=self.district_a, school_year=year, name="开学心理普查 2026",
            schools=[self.school_a, self.school_b], grade_from=4, grade_to=12, opens_on=today,
            closes_on=today + dt.timedelta(days=14), by=self.users["official_a"],
            batteries=[services.BatteryPlan(1, 6, ("psc17y",)), services.BatteryPlan(7, 12, ("phq9", "asq"))],
        )  # fmt: skip
        services.campaign_open(campaign=campaign, by=self.users["official_a"])
        return campaign

    @property
    def codes_a1_route(self) -> dict[str, int]:
        return {"pk": self.campaign_a.pk, "classroom_pk": self.class_a1.pk}

    @property
    def consent_x(self) -> str:
        from screening.models import Participation
        from screening.services import consent_token

        return consent_token(Participation.objects.get(campaign=self.campaign_a, student=self.student_x))

    @property
    def parent_form_x(self) -> str:
        from screening.models import Participation
        from screening.services import consent_answer, consent_token, parent_form_token

        participation = Participation.objects.get(campaign=self.campaign_a, student=self.student_x)
        consent_answer(token=consent_token(participation), granted=True)
        return parent_form_token(participation)

    @cached_property
    def slot_a(self):  # type: ignore[no-untyped-def]
        """A free individual counseling slot at school A, tomorrow at 10:00 (school time)."""
        import datetime as dt

        from counseling.models import Room, Slot

        room = Room.objects.create(school=self.school_a, name="1号咨询室", area_m2=20)
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        starts = dt.datetime.combine(tomorrow, dt.time(10), tzinfo=timezone.get_current_timezone())
        return Slot.objects.create(school=self.school_a, room=room, counselor=self.users["counselor_a"],
                                   starts_at=starts, ends_at=starts + dt.timedelta(minutes=45))  # fmt: skip

    @cached_property
    def booking_x(self):  # type: ignore[no-untyped-def]
        """Parent X's booking of slot A for student X."""
        from counseling.services import booking_create

        return booking_create(slot=self.slot_a, student=self.student_x, channel="parent",
                              made_by=self.users["parent_x"], contact=self.guardian_x)  # fmt: skip

    @property
    def booking_x_route(self) -> dict[str, int]:
        return {"booking_pk": self.booking_x.pk}

    @cached_property
    def record_x(self):  # type: ignore[no-untyped-def]
        from counseling.services import session_record_create

        return session_record_create(
            student=self.student_x, author=self.users["counselor_a"], held_on=timezone.localdate(),
            attendance="attended", session_type="individual", summary="谈了学习压力", private_notes="家中有变故",
        )  # fmt: skip

    @property
    def mailbox_a(self):  # type: ignore[no-untyped-def]
        from counseling.services import mailbox_post

        return mailbox_post(school=self.school_a, body="最近和同学关系不好").message

    @property
    def feed_a(self) -> str:
        """A fresh calendar feed token of counselor A (the one before stops working)."""
        from counseling.calendar import feed_issue

        return feed_issue(user=self.users["counselor_a"]).split("/")[-2]

    @property
    def class_a1_route(self) -> dict[str, int]:
        return {"classroom_pk": self.class_a1.pk}

    @property
    def child_x_route(self) -> dict[str, int]:
        return {"student_pk": self.student_x.pk}

    @property
    def mailbox_a_path(self) -> str:
        """Where school A's confide mailbox is written to (by district and school code)."""
        from django.urls import reverse

        return reverse("counseling:mailbox_write", args=[self.district_a.code, self.school_a.code])

    @property
    def school_a_code(self) -> dict[str, str]:
        return {"district_code": self.district_a.code, "school_code": self.school_a.code}

    @cached_property
    def programme_a(self):  # type: ignore[no-untyped-def]
        from training.models import Programme

        return Programme.objects.create(district=self.district_a, title="沙盘游戏技术", kind="skills",
                                        techniques=["sandplay"], year=timezone.localdate().year)  # fmt: skip

    @cached_property
    def session_a(self):  # type: ignore[no-untyped-def]
        """A training session of district A next week, 3 hours credited, 2 places."""
        import datetime as dt

        from training.models import TrainingSession

        starts = timezone.now() + dt.timedelta(days=7)
        return TrainingSession.objects.create(
            programme=self.programme_a, starts_at=starts, ends_at=starts + dt.timedelta(hours=3), capacity=2, hours=3,
            place="教师发展中心",
        )  # fmt: skip

    @cached_property
    def enrolment_a(self):  # type: ignore[no-untyped-def]
        from training.services import enrol

        return enrol(session=self.session_a, user=self.users["counselor_a"])

    @cached_property
    def certificate_a(self):  # type: ignore[no-untyped-def]
        from training.models import Certificate

        return Certificate.objects.create(user=self.users["counselor_a"], programme=self.programme_a, hours=3,
                                          code="CERTA23456")  # fmt: skip

    @cached_property
    def episode_a(self):  # type: ignore[no-untyped-def]
        """A live parent class of district A with a recording link."""
        from training.models import ParentEpisode

        return ParentEpisode.objects.create(district=self.district_a, title="如何与青春期孩子沟通", topic="亲子沟通",
                                            airs_on=timezone.localdate(), link="https://example.org/v/1",
                                            live=True, capacity=100)  # fmt: skip

    @property
    def certificate_code(self) -> dict[str, str]:
        return {"code": self.certificate_a.code}

    @property
    def guardian_x(self) -> Guardian:
        return self.student_x.guardians.get()

    @property
    def guardian_y(self) -> Guardian:
        return self.student_y.guardians.get()

    def obj(self, key: str):  # type: ignore[no-untyped-def]
        return getattr(self, key)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters (screening and booking codes, the mailbox) must not leak from one test to the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 at production strength costs ~0.3 s per password; tests create hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Unit tests run tasks inline; tests marked integration run a real worker instead."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _celery_process_state():
    """Celery keeps "a task is running here" in a process-wide flag (celery._state): a task run inline on a
    request thread (the booking race drives pages from 60 threads) can leave it set, and every later test that
    waits on a result would fail with "Never call result.get() within a task". Each test starts without it."""
    from celery import _state

    _state._set_task_join_will_block(False)
    yield
    _state._set_task_join_will_block(False)


def _member(role: str, *, school: School | None = None, district: District | None = None, **extra) -> User:
    user = factories.UserFactory(username=extra.pop("username"))
    factories.MembershipFactory(user=user, role=role, school=school, district=district, **extra)
    return user


@pytest.fixture
def world(db) -> World:
    district_a = factories.DistrictFactory(name="District A", code="da")
    district_b = factories.DistrictFactory(name="District B", code="db")
    school_a = factories.SchoolFactory(district=district_a, name="School A", code="sa", kind=SchoolKind.NINE_YEAR)
    school_b = factories.SchoolFactory(district=district_a, name="School B", code="sb", kind=SchoolKind.JUNIOR)
    school_c = factories.SchoolFactory(district=district_b, name="School C", code="sc", kind=SchoolKind.JUNIOR)

    users: dict[str, User | None] = {
        "official_a": _member(Role.OFFICIAL, district=district_a, username="official_a"),
        "official_b": _member(Role.OFFICIAL, district=district_b, username="official_b"),
        "leader_a": _member(Role.LEADER, school=school_a, username="leader_a"),
        "counselor_a": _member(
            Role.COUNSELOR, school=school_a, employment=Employment.FULL_TIME, username="counselor_a"
        ),
        "counselor_b": _member(
            Role.COUNSELOR, school=school_b, employment=Employment.PART_TIME, username="counselor_b"
        ),
        "teacher_a": _member(Role.TEACHER, school=school_a, username="teacher_a"),
        "parent_x": factories.UserFactory(username="parent_x"),
        "parent_y": factories.UserFactory(username="parent_y"),
        "anonymous": None,
    }
    class_a1 = factories.ClassroomFactory(school=school_a, grade=7, name="1班", class_teacher=users["teacher_a"])
    class_a2 = factories.ClassroomFactory(school=school_a, grade=7, name="2班")
    student_x = factories.StudentFactory(classroom=class_a1, name="Xiao X")
    student_w = factories.StudentFactory(classroom=class_a2, name="Xiao W")
    student_y = factories.StudentFactory(classroom=factories.ClassroomFactory(school=school_b), name="Xiao Y")
    student_z = factories.StudentFactory(classroom=factories.ClassroomFactory(school=school_c), name="Xiao Z")
    for student, parent in ((student_x, "parent_x"), (student_y, "parent_y")):
        link = factories.StudentGuardianFactory(student=student)
        link.guardian.user = users[parent]
        link.guardian.save()
    factories.StudentGuardianFactory(student=student_w)
    factories.StudentGuardianFactory(student=student_z)
    import_a = factories.RosterImportFactory(school=school_a, uploaded_by=users["counselor_a"])
    import_b = factories.RosterImportFactory(school=school_b, uploaded_by=users["counselor_b"])
    inbox_a = factories.InboxMessageFactory(user=users["counselor_a"])
    case_x = Case.objects.create(
        student=student_x, source="teacher", suggested_tier=1, confirmed_tier=2, status="open",
        confirmed_by=users["counselor_a"], confirmed_at=timezone.now(), owner=users["counselor_a"],
    )  # fmt: skip
    case_y = Case.objects.create(student=student_y, source="screening", suggested_tier=2)
    return World(
        district_a, district_b, school_a, school_b, school_c, class_a1, class_a2,
        student_x, student_w, student_y, student_z, users, import_a, import_b, inbox_a, case_x, case_y,
    )  # fmt: skip


@pytest.fixture
def login(client):
    """Sign a persona in (or nobody, for "anonymous") and return the test client.

    Staff sessions are verified with a second factor unless verified=False.
    """

    def sign_in(user: User | None, *, verified: bool = True):
        client.logout()
        if user is not None:
            client.force_login(user, backend="portal.auth_backend.ModelBackend")
            if verified and needs_second_factor(user):
                verify_session(client, user)
        return client

    return sign_in


def verify_session(client, user: User) -> None:
    """Mark the client's session as having passed the second factor (django-otp's session key)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _created = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


# The queries a signed-in request makes to know who is asking: one, the session with its user and their roles
# (portal.sql.session_load).
USER_READS = 1
