"""Re-scoring a campaign after a definition fix: a bulk job with progress; a raised tier reaches the ledger."""

import copy

from django.urls import reverse

from crisis.models import Case
from screening import services
from screening.models import Instrument, JobStatus, RescoreJob, Response
from tests.screening.conftest import consent, participation_of


def _submit_phq(campaign, student, values, callbacks):
    participation = participation_of(campaign, student)
    consent(participation)
    phq = services.battery_for(participation)[0]
    with callbacks(execute=True):
        for item, value in enumerate(values, 1):
            services.answer_save(participation=participation, instrument=phq, item=item, value=value)
    return Response.objects.get(participation=participation, instrument=phq)


def test_a_fixed_definition_rescores_every_response_with_progress(
    world, campaign, login, django_capture_on_commit_callbacks
):
    first = _submit_phq(campaign, world.student_x, [1, 1, 1, 1, 1, 1, 1, 1, 0], django_capture_on_commit_callbacks)
    second = _submit_phq(campaign, world.student_w, [0] * 9, django_capture_on_commit_callbacks)
    assert (first.refresh_from_db(), first.positive, first.suggested_tier) == (None, False, 0)
    # A "fix": version 2.0.1 of the PHQ-9 with a lower cut-off (say, the adolescent's 8).
    current = Instrument.objects.get(code="phq9", version="2.0.0")
    fixed = copy.deepcopy(current.definition)
    fixed["version"], fixed["scoring"]["positive_at"] = "2.0.1", 8
    Instrument.objects.create(code="phq9", version="2.0.1", definition=fixed)

    client = login(world.users["official_a"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("screening:rescore", args=[campaign.pk]), {"code": "phq9"})
    job = RescoreJob.objects.get()
    assert (job.status, job.total, job.done, job.percent) == (JobStatus.DONE, 2, 2, 100)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.positive, first.suggested_tier, first.scored_with.version) == (True, 1, "2.0.1")
    assert first.instrument == current  # the version it was given with is kept
    assert (second.positive, second.suggested_tier) == (False, 0)
    assert Case.objects.get(student=world.student_x).suggested_tier == 1  # now flagged for a look
    assert not Case.objects.filter(student=world.student_w).exists()
    page = client.get(reverse("screening:campaign", args=[campaign.pk])).content.decode()
    assert "2/2" in page


def test_a_definition_with_other_items_cannot_rescore(world, campaign, login, django_capture_on_commit_callbacks):
    _submit_phq(campaign, world.student_x, [0] * 9, django_capture_on_commit_callbacks)
    fixed = copy.deepcopy(Instrument.objects.get(code="phq9", version="2.0.0").definition)
    fixed["version"] = "3.0.0"
    fixed["items"] = fixed["items"][:8]
    fixed["scoring"]["bands"][-1]["max"] = 24
    fixed["scoring"]["critical"] = []
    Instrument.objects.create(code="phq9", version="3.0.0", definition=fixed)
    login(world.users["official_a"]).post(reverse("screening:rescore", args=[campaign.pk]), {"code": "phq9"})
    assert not RescoreJob.objects.exists()
    # And a school's counselor cannot start one at all.
    response = login(world.users["counselor_a"]).post(
        reverse("screening:rescore", args=[campaign.pk]), {"code": "phq9"}
    )
    assert response.status_code == 404
