"""screening.sql: the kiosk's battery read (row-locked) and its response write, against the database."""

import datetime as dt

import pytest
from django.db import connections, transaction
from django.db.utils import OperationalError
from django.utils import timezone

from screening import services, sql
from screening.models import Battery, Instrument, Response
from tests.screening.conftest import participation_of


def _battery(campaign) -> list[Instrument]:
    """The campaign's instruments for grade 7, in order: PHQ-9 then ASQ."""
    instruments = [b.instrument for b in Battery.objects.filter(campaign=campaign, grade_from__lte=7, grade_to__gte=7)]
    assert [i.code for i in instruments] == ["phq9", "asq"]
    return instruments


def test_the_battery_of_a_code_in_order_with_each_response_status_and_the_participation_locked(world, campaign):
    participation = participation_of(campaign, world.student_x)
    phq9, asq = _battery(campaign)
    Response.objects.create(participation=participation, instrument=asq, status="in_progress")
    campaign.refresh_from_db()
    rows = sql.kiosk_battery(services.code_digest(participation.code))
    assert [(row[0], row[1], row[6], row[7], row[8], row[9], row[11]) for row in rows] == [
        (participation.pk, campaign.status, "active", world.student_x.pk, world.school_a.pk, phq9.pk, None),
        (participation.pk, campaign.status, "active", world.student_x.pk, world.school_a.pk, asq.pk, "in_progress"),
    ]
    assert rows[0][2:6] == (campaign.opens_on, campaign.closes_on, None, participation.consent)


@pytest.mark.django_db(transaction=True)
def test_the_participation_stays_locked_until_the_transaction_ends(world, campaign):
    """Two submissions of one code (a double tap, two tablets) take turns: the second waits for the first."""
    participation = participation_of(campaign, world.student_x)

    def locked_elsewhere() -> bool:
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SET lock_timeout = '100ms'")
                cursor.execute("SELECT 1 FROM screening_participation WHERE id = %s FOR UPDATE", [participation.pk])
            return False
        except OperationalError:
            return True
        finally:
            other.close()

    with transaction.atomic():
        assert len(sql.kiosk_battery(services.code_digest(participation.code))) == 2
        assert locked_elsewhere()
    assert not locked_elsewhere()


def test_an_unknown_code_has_no_battery(world, campaign):
    assert sql.kiosk_battery(services.code_digest("NO-SUCH-CODE")) == []


def test_a_response_is_stored_submitted_and_progress_kept(world, campaign):
    participation = participation_of(campaign, world.student_x)
    phq9, asq = _battery(campaign)
    first = timezone.now() - dt.timedelta(minutes=9)
    now = timezone.now()
    pk = sql.kiosk_write(participation=participation.pk, instrument=phq9.pk, source="web", status="submitted",
                         answers={"1": 2, "9": None}, started=first, begun=first, now=now,
                         completed=False)  # fmt: skip
    response = Response.objects.get(pk=pk)
    assert (response.participation_id, response.instrument_id, response.answers, response.status) == (
        participation.pk,
        phq9.pk,
        {"1": 2, "9": None},
        "submitted",
    )
    assert (response.started_at, response.submitted_at, response.band, response.review_flags) == (first, now, "", [])
    participation.refresh_from_db()
    assert (participation.started_at, participation.completed_at) == (first, None)
    later = now + dt.timedelta(minutes=3)
    sql.kiosk_write(participation=participation.pk, instrument=asq.pk, source="web", status="submitted",
                    answers={"1": 0}, started=None, begun=later, now=later, completed=True)  # fmt: skip
    participation.refresh_from_db()
    assert (participation.started_at, participation.completed_at) == (first, later)  # started once, at the first
    assert Response.objects.get(participation=participation, instrument=asq).started_at is None  # not measured
