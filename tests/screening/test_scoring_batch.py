"""The bulk scorer (score_pending's batches): the same queries whatever the number of responses in a batch."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from screening import services
from screening.models import Participation, Response, ResponseStatus


def _submit(participations) -> list[Response]:
    """Each participation's PHQ-9 (all calm) and ASQ (all "no"), submitted and waiting for the scorer."""
    instruments = services.latest_instruments()
    now = timezone.now()
    rows = []
    for participation in participations:
        for code, answers in (("phq9", {str(n): 0 for n in range(1, 10)}), ("asq", {str(n): 0 for n in range(1, 5)})):
            rows.append(Response(participation=participation, instrument=instruments[code], answers=answers,
                                 status=ResponseStatus.SUBMITTED, started_at=now - timezone.timedelta(minutes=5),
                                 submitted_at=now))  # fmt: skip
    return Response.objects.bulk_create(rows)


def _scored_with_queries(participations) -> tuple[int, int]:
    submitted = _submit(participations)
    with CaptureQueriesContext(connection) as queries:
        scored = services.score_batch()
    assert scored == len(submitted)
    assert set(Response.objects.filter(pk__in=[r.pk for r in submitted]).values_list("status", flat=True)) == {
        ResponseStatus.SCORED
    }
    return scored, len(queries)


def test_a_batch_of_many_responses_costs_the_queries_of_one(world):
    participations = list(Participation.objects.filter(campaign=world.campaign_a).order_by("pk"))
    assert len(participations) == 3
    one, few = _scored_with_queries(participations[:1])
    many, more = _scored_with_queries(participations[1:])
    assert (one, many) == (2, 2 * (len(participations) - 1))
    assert few == more
    # Each response scored in full: the answers' total and the band, read from the instrument's definition.
    phq = Response.objects.filter(participation__in=participations, instrument__code="phq9")
    assert set(phq.values_list("total", "band")) == {(0, "minimal")}
