"""Emergency plans and drills: each school keeps its own; the district sees who has not drilled this term."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crisis import selectors
from crisis.models import Drill, EmergencyPlan
from portal.models import SchoolYear, Term


def _term(world):
    today = timezone.localdate()
    year = SchoolYear.objects.create(district=world.district_a, name="now", start=today - dt.timedelta(days=60),
                                     end=today + dt.timedelta(days=200))  # fmt: skip
    return Term.objects.create(school_year=year, number=1, start=today - dt.timedelta(days=30),
                               end=today + dt.timedelta(days=90), teaching_weeks=18)  # fmt: skip


def test_a_school_records_its_plan_and_drill_and_the_district_sees_who_has_not_drilled(world, login):
    term = _term(world)
    Drill.objects.create(
        school=world.school_b,
        held_on=term.start - dt.timedelta(days=5),
        scenario="old",
        participants=10,
        recorded_by=world.users["counselor_b"],
    )  # last term: does not count
    client = login(world.users["leader_a"])
    upload = SimpleUploadedFile("应急预案.pdf", b"%PDF-1.4 ...", content_type="application/pdf")
    client.post(reverse("crisis:preparedness"), {"version": "2026-1", "adopted_on": "2026-09-01", "document": upload})
    drill = {
        "held_on": timezone.localdate().isoformat(),
        "scenario": "学生情绪失控",
        "participants": 40,
        "lessons": "x",
    }
    client.post(reverse("crisis:preparedness"), drill)
    rows = {row.school.name: row for row in selectors.preparedness(world.users["official_a"])}
    assert set(rows) == {"School A", "School B"}
    assert rows["School A"].drilled_this_term and rows["School A"].plan.version == "2026-1"
    assert not rows["School B"].drilled_this_term and rows["School B"].plan is None
    html = login(world.users["official_a"]).get(reverse("crisis:preparedness")).content.decode()
    assert "尚未演练" in html


def test_only_documents_are_accepted_as_plans(world, login):
    client = login(world.users["leader_a"])
    upload = SimpleUploadedFile("plan.exe", b"MZ...")
    response = client.post(reverse("crisis:preparedness"), {"version": "1", "adopted_on": "2026-09-01",
                                                            "document": upload})  # fmt: skip
    assert response.status_code == 200 and not EmergencyPlan.objects.exists()


def test_the_plan_downloads_for_its_school_and_district_only(world, login):
    plan = world.plan_a
    official = login(world.users["official_a"]).get(reverse("crisis:plan_download", args=[plan.pk]))
    assert official.status_code == 200 and b"".join(official.streaming_content) == b"%PDF-1.4 plan"
    assert login(world.users["counselor_b"]).get(reverse("crisis:plan_download", args=[plan.pk])).status_code == 404
    assert login(world.users["official_b"]).get(reverse("crisis:plan_download", args=[plan.pk])).status_code == 404
