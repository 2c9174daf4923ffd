"""The screening part of the demo district (registered in screening/apps.py)."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.demo import DemoLine, DemoWorld, site_link
from portal.models import Membership, Role, SchoolYear
from screening import services
from screening.models import Campaign, Participation

DEMO_CODE = "DEMO-2345"  # one student's code in the demo, printed in the README; never in production


def seed(world: DemoWorld) -> list[DemoLine]:
    """An open start-of-year campaign at school A: 7年级1班 has consented, and a few students have finished.

    Idempotent: the campaign is made once.
    """
    _campaign_seed(world)
    # The short address on the class's code sheet.
    return [
        DemoLine(_("Student screening, code %(code)s") % {"code": DEMO_CODE}, site_link(reverse("screening_short")))
    ]


def _campaign_seed(world: DemoWorld) -> None:
    district = world.school_a.district
    if Campaign.objects.filter(district=district).exists():
        return
    official = Membership.objects.filter(role=Role.OFFICIAL, district=district).select_related("user").first()
    year = SchoolYear.objects.filter(district=district).order_by("-start").first()
    if official is None or year is None:
        return
    today = timezone.localdate()
    campaign = services.campaign_create(
        district=district, school_year=year, name="2026 秋季开学心理普查", schools=[world.school_a], grade_from=4,
        grade_to=12, opens_on=today, closes_on=today + dt.timedelta(days=21), by=official.user,
        batteries=[services.BatteryPlan(1, 6, ("psc17", "scared", "asq")),
                   services.BatteryPlan(7, 12, ("phq9", "gad7", "asq"))],
    )  # fmt: skip
    services.campaign_open(campaign=campaign, by=official.user)
    own_class = list(
        Participation.objects.filter(campaign=campaign, student__classroom__class_teacher=world.teacher)
        .select_related("student__classroom", "student__school")
        .order_by("student__student_number")
    )
    for participation in own_class:
        services.consent_answer(token=services.consent_token(participation), granted=True)
    if not own_class:
        return
    first, *others = own_class
    Participation.objects.filter(pk=first.pk).update(code=DEMO_CODE, code_digest=services.code_digest(DEMO_CODE))
    for participation in others[:5]:  # five calm forms, so the progress table shows something
        participation.refresh_from_db()
        for instrument in services.battery_for(participation):
            for item in instrument.parsed.numbers:
                if item == 5 and instrument.code == "asq":
                    continue
                services.answer_save(participation=participation, instrument=instrument, item=item, value=0)
