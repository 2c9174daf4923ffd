"""The bulk scorer (score_pending's batches): the same queries whatever the number of responses in a batch."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crisis.models import Case
from screening import services
from screening.models import Participation, Response, ResponseStatus
from tests import factories
from tests.screening.conftest import consent

# PHQ-9 total 12 ("moderate", over the cut-off of 10) without item 9: a positive screen, not a critical one.
PHQ_MODERATE = {**{str(n): 2 for n in range(1, 5)}, **{str(n): 1 for n in range(5, 9)}, "9": 0}


def _submit(participations) -> list[Response]:
    """Each participation's PHQ-9 (moderate) and ASQ (all "no"), submitted and waiting for the scorer."""
    instruments = services.latest_instruments()
    now = timezone.now()
    rows = []
    for participation in participations:
        for code, answers in (("phq9", PHQ_MODERATE), ("asq", {str(n): 0 for n in range(1, 5)})):
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


def _newcomers(world, n: int) -> list[Participation]:
    """n students who join class A1 before campaign A opens: invited by the campaign, consent given by their
    guardian's link, no case on the ledger yet."""
    students = [factories.StudentFactory(classroom=world.class_a1) for _ in range(n)]
    invited = list(Participation.objects.filter(campaign=world.campaign_a, student__in=students).order_by("pk"))
    assert len(invited) == n
    for participation in invited:
        consent(participation)
    return invited


def test_a_batch_of_many_responses_costs_the_queries_of_one(world):
    """One student's forms, then four students' forms: the same queries (each student's first case is raised in
    both), every response scored from its definition, and every positive screen on the ledger with its score."""
    newcomers = _newcomers(world, 5)
    one, few = _scored_with_queries(newcomers[:1])
    many, more = _scored_with_queries(newcomers[1:])
    assert (one, many) == (2, 8)
    assert few == more
    phq = Response.objects.filter(participation__campaign=world.campaign_a, instrument__code="phq9")
    assert phq.count() == 5 and set(phq.values_list("total", "band")) == {(12, "moderate")}
    students = set(phq.values_list("participation__student", flat=True))
    cases = Case.objects.filter(student__in=students)
    assert {c.student_id for c in cases} == students
    evidence = [e for case in cases for raised in case.evidence for e in raised["screening"]]
    assert len(evidence) == 5 and {(e["instrument"], e["total"], e["band"]) for e in evidence} == {
        ("phq9", 12, "moderate")
    }
