"""The crisis part of the demo district (registered in crisis/apps.py)."""

from django.utils import timezone

from crisis import services
from crisis.models import CaseUserObjectPermission, Incident, IncidentKind
from portal import second_factor
from portal.demo import DemoLine, DemoWorld, demo_user
from portal.models import Membership, Role, Student


def seed(world: DemoWorld) -> list[DemoLine]:
    """A small ledger for school A: a major case, a severe one with a follow-up, a teacher's referral.

    Idempotent: raising an open case again changes nothing, and each step checks what is there. Nothing to print:
    the ledger is behind the logins, and the guardian's acknowledgement link is in the demo's outbox.
    """
    students = list(Student.objects.filter(school=world.school_a, classroom__grade=7).order_by("student_number")[:3])
    major, severe, referred = students
    for student, tier in ((major, 3), (severe, 2)):
        case = services.case_raise(student=student, suggested_tier=tier, source="screening", evidence={"demo": True})
        if case.confirmed_tier is None:
            case = services.case_confirm_tier(case=case, tier=tier, by=world.counselor_a)
        if not case.follow_ups.exists():
            services.follow_up_log(
                case=case, by=world.counselor_a, date=timezone.localdate(), contact_type="talk",
                summary="首次谈话：情绪低落，睡眠差。已约下周再谈。", next_step="下周一再次谈话",
            )  # fmt: skip
    if not referred.crisis_cases.exists():
        services.referral_create(
            student=referred, referred_by=world.teacher, concern="最近常独自哭泣，不愿参加集体活动。"
        )

    # The district's expert pool, with one expert assigned to the major case's report.
    official = Membership.objects.filter(role=Role.OFFICIAL, district=world.school_a.district).first()
    expert = demo_user("expert", "周医生")
    second_factor.demo_device_ensure(user=expert)
    responder = services.responder_add(district=world.school_a.district, user=expert, kind="expert",
                                       organisation="市心理卫生中心", speciality="青少年危机干预")  # fmt: skip
    incident = (
        Incident.objects.filter(case__student=major, kind=IncidentKind.MAJOR_CASE).order_by("-reported_at").first()
    )
    if official and incident and not CaseUserObjectPermission.objects.filter(user=expert).exists():
        services.incident_assign(incident=incident, responders=[responder], days=7, by=official.user)
    return []
