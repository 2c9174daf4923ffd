"""Paper forms typed into a sheet: row-level errors, all or nothing, the same scoring path."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crisis.models import Case
from screening.models import Response, ResponseSource, ResponseStatus
from tests.screening.conftest import consent, participation_of


def _csv(*rows: list) -> SimpleUploadedFile:
    lines = ["学号,量表," + ",".join(str(n) for n in range(1, 10))]
    lines += [",".join(str(c) for c in row) for row in rows]
    return SimpleUploadedFile("answers.csv", "\n".join(lines).encode("utf-8"), content_type="text/csv")


def test_paper_forms_are_stored_scored_and_triaged(world, campaign, login, django_capture_on_commit_callbacks):
    consent(participation_of(campaign, world.student_x))
    client = login(world.users["counselor_a"])
    number = world.student_x.student_number
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("screening:paper_import", args=[campaign.pk]), {"file": _csv(
            [number, "phq9", 1, 1, 1, 1, 1, 1, 1, "", 1],  # item 8 blank: prorated
            [number, "ASQ", "否", "否", "否", "否"],
        )})  # fmt: skip
    assert response.status_code == 302
    phq = Response.objects.get(instrument__code="phq9")
    assert (phq.source, phq.status, phq.total, phq.critical) == (ResponseSource.PAPER, ResponseStatus.SCORED, 9, True)
    assert Case.objects.get(student=world.student_x).suggested_tier == 2  # item 9 >= 1: the same triage
    participation = participation_of(campaign, world.student_x)
    assert participation.completed_at is not None


def test_one_bad_row_stores_nothing_and_every_error_names_its_row(world, campaign, login):
    consent(participation_of(campaign, world.student_x))
    client = login(world.users["counselor_a"])
    number = world.student_x.student_number
    page = client.post(reverse("screening:paper_import", args=[campaign.pk]), {"file": _csv(
        [number, "phq9", 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [number, "gad7", 0],  # not in this grade's battery
        [world.student_w.student_number, "phq9", 0],  # no consent from W's guardian
        [world.student_y.student_number, "phq9", 0],  # school B's student: not this counselor's
        [number, "asq", "是", 4],  # 4 is not an ASQ answer
    )})  # fmt: skip
    html = page.content.decode()
    assert page.status_code == 200 and not Response.objects.exists()
    for row in (3, 4, 5, 6):
        assert f"第 {row} 行" in html
    assert "第 2 行" not in html  # a correct row has no error


def test_a_refused_student_cannot_be_entered_on_paper(world, campaign, login):
    consent(participation_of(campaign, world.student_x), granted=False)
    client = login(world.users["counselor_a"])
    page = client.post(reverse("screening:paper_import", args=[campaign.pk]),
                       {"file": _csv([world.student_x.student_number, "phq9", 0, 0, 0, 0, 0, 0, 0, 0, 0])})  # fmt: skip
    assert page.status_code == 200 and not Response.objects.exists()
