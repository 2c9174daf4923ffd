"""Nothing lost, with the broker really dead: a critical answer committed while Redis is down (its triage task
cannot be published) reaches the crisis ledger and the counselor's mailbox within one sweep once Redis is back,
through a real worker, real beat and a real SMTP server."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from crisis.models import Case
from portal.models import SchoolYear
from portal.models.staff import Role
from screening import services
from screening.models import Participation, Response
from tests import factories
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration

# A kiosk's web process: one whole PHQ-9 with item 9 at "nearly every day".
KIOSK = """
import sys
import django
django.setup()
from screening import services
answers = {n: (3 if n == 9 else 0) for n in range(1, 10)}
print("completed", services.response_submit(code=sys.argv[1], instrument_code="phq9", answers=answers), flush=True)
"""
SWEEP_EVERY, GRACE = 1.0, 2.0


def _participation(counselor) -> Participation:
    link = factories.StudentGuardianFactory(guardian__channel="inbox")
    school = link.student.school
    factories.MembershipFactory(user=counselor, role=Role.COUNSELOR, school=school)
    today = timezone.localdate()
    year = SchoolYear.objects.create(
        district=school.district, name="2026-2027", start=today, end=today + dt.timedelta(days=300)
    )
    campaign = services.campaign_create(
        district=school.district, school_year=year, name="普查", schools=[school], grade_from=4, grade_to=12,
        opens_on=today, closes_on=today + dt.timedelta(days=7), by=counselor,
        batteries=[services.BatteryPlan(7, 12, ("phq9",))],
    )  # fmt: skip
    services.campaign_open(campaign=campaign, by=counselor)
    participation = Participation.objects.get(campaign=campaign)
    services.consent_answer(token=services.consent_token(participation), granted=True)
    return participation


def test_a_critical_answer_committed_with_redis_dead_reaches_the_counselor_within_one_sweep(
    private_redis, processes, smtp_server, capsys
):
    counselor = factories.UserFactory(email="counselor@example.com")
    participation = _participation(counselor)
    env = {
        "REDIS_URL": private_redis.url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
        "URGENT_SWEEP_EVERY": str(SWEEP_EVERY),
        "URGENT_SWEEP_GRACE_SECONDS": str(GRACE),
    }
    private_redis.kill()  # the broker dies after the worker's last look and before the answer's commit
    kiosk = processes.python("kiosk", KIOSK, participation.code, **env)
    assert kiosk.wait(timeout=120) == 0, kiosk.log_path.read_text()[-3000:]
    log = kiosk.log_path.read_text()
    assert "completed True" in log and "in on_commit()" in log  # stored and answered; the publish failed
    response = Response.objects.get(participation=participation)
    assert response.urgent_since is not None and not Case.objects.exists()

    private_redis.start()
    processes.worker(**env)
    back = time.monotonic()
    processes.beat(**env)
    wait_for(lambda: any(m["To"] == "counselor@example.com" for m in smtp_server.messages), timeout=60)
    waited = time.monotonic() - back
    case = Case.objects.get(student=participation.student)
    assert case.suggested_tier == 2 and case.source == "screening"
    wait_for(lambda: Response.objects.get(pk=response.pk).urgent_since is None)
    # Past the grace, the first sweep (beat's first tick) queues it; the worker's start-up is most of the rest.
    assert waited < GRACE + SWEEP_EVERY + 15
    with capsys.disabled():
        print(f"\nurgent triage with Redis dead at commit: the counselor's e-mail {waited:.1f} s after Redis was back")
