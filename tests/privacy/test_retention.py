"""The nightly erasure (privacy.retention.erase_due): a departed student's records go the day after their period
ends, an active student's never; mailbox messages a year after they arrive; the audit log names what went by id
and count, and still verifies (PIPL arts. 19, 47)."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from counseling.models import Booking, MailboxMessage, SessionRecord
from crisis.models import Case, FollowUp, GuardianNotice, Incident, OutsideReferral
from crisis.services import follow_up_log
from portal import audit
from portal.models import AuditEvent, Student
from portal.models.people import StudentStatus
from privacy import retention
from privacy.models import Departure, RetentionPolicy
from screening.models import AnswerChange, Participation, Response, ResponseStatus
from screening.services import latest_instruments

TZ = timezone.get_current_timezone()


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


@pytest.fixture
def left_on() -> dt.date:
    """The day student X graduates: 1 July next year (after the world was made, whenever the suite runs)."""
    return dt.date(timezone.localdate().year + 1, 7, 1)


def _records_of_x(world) -> None:  # type: ignore[no-untyped-def]
    """Student X's file: a case with a follow-up, a notice, a hospital referral and an incident; a booking and a
    session record; a screening answer with a changed answer."""
    follow_up_log(case=world.case_x, by=world.users["counselor_a"], date=timezone.localdate(), contact_type="talk",
                  summary="谈了家里的事")  # fmt: skip
    world.ack_x  # noqa: B018 - writes a guardian notice
    world.outside_referral_x_route  # noqa: B018 - writes a referral to the hospital
    world.incident_x  # noqa: B018
    world.record_x.booking = world.booking_x
    world.record_x.save(update_fields=["booking"])
    participation = Participation.objects.get(campaign=world.campaign_a, student=world.student_x)
    response = Response.objects.create(
        participation=participation, instrument=latest_instruments()["phq9"], answers={"1": 2},
        status=ResponseStatus.SUBMITTED, submitted_at=timezone.now(),
    )  # fmt: skip
    AnswerChange.objects.create(response=response, item=1, previous=0, value=2)


def _x_has() -> dict[str, int]:
    return {
        "cases": Case.objects.filter(student__name="Xiao X").count(),
        "follow_ups": FollowUp.objects.count(),
        "notices": GuardianNotice.objects.count(),
        "referrals": OutsideReferral.objects.count(),
        "incidents": Incident.objects.count(),
        "records": SessionRecord.objects.count(),
        "bookings": Booking.objects.count(),
        "participations": Participation.objects.filter(student__name="Xiao X").count(),
        "responses": Response.objects.count(),
        "changes": AnswerChange.objects.count(),
    }


def _graduate(student: Student) -> None:
    Student.objects.filter(pk=student.pk).update(status=StudentStatus.GRADUATED)


def test_a_graduated_students_records_are_kept_through_the_last_day_of_the_period_and_erased_the_day_after(
    world, left_on
):
    with time_machine.travel(_at(left_on), tick=False):
        _records_of_x(world)
        _graduate(world.student_x)
        retention.erase_due()  # the night she leaves: the clock starts
    everything = _x_has()
    assert set(everything.values()) == {1}
    assert Departure.objects.get().noticed_on == left_on

    last_day = retention.months_before(left_on, -36)  # the default for cases and session records: 3 years
    with time_machine.travel(_at(last_day, 23), tick=False):
        retention.erase_due()
    assert {k: v for k, v in _x_has().items() if k not in ("participations", "responses", "changes")} == {
        k: 1 for k in everything if k not in ("participations", "responses", "changes")
    }

    with time_machine.travel(_at(last_day + dt.timedelta(days=1), 2), tick=False):
        erased = retention.erase_due()
    assert set(_x_has().values()) == {0}
    assert erased["crisis.Case"] == erased["crisis.FollowUp"] == erased["counseling.SessionRecord"] == 1
    assert Student.objects.filter(pk=world.student_x.pk).exists()  # the roster is not this task's
    assert Case.objects.filter(pk=world.case_y.pk).exists()  # Y is still at school


def test_screening_answers_go_after_their_own_shorter_period(world, left_on):
    with time_machine.travel(_at(left_on), tick=False):
        _records_of_x(world)
        _graduate(world.student_x)
        retention.erase_due()
    year_on = retention.months_before(left_on, -12)
    with time_machine.travel(_at(year_on), tick=False):
        retention.erase_due()
    assert _x_has()["responses"] == 1
    with time_machine.travel(_at(year_on + dt.timedelta(days=1)), tick=False):
        erased = retention.erase_due()
    assert (_x_has()["participations"], _x_has()["responses"], _x_has()["changes"]) == (0, 0, 0)
    assert _x_has()["cases"] == _x_has()["records"] == 1  # three years for those
    assert erased["screening.Participation"] == erased["screening.Response"] == erased["screening.AnswerChange"] == 1
    # The other students' participations in the same campaign stay.
    assert Participation.objects.filter(campaign=world.campaign_a).exclude(student=world.student_x).exists()


def test_an_active_students_records_are_never_erased(world, left_on):
    with time_machine.travel(_at(left_on), tick=False):
        _records_of_x(world)
        retention.erase_due()
    with time_machine.travel(_at(left_on.replace(year=left_on.year + 20)), tick=False):
        retention.erase_due()
    assert set(_x_has().values()) == {1}
    assert not Departure.objects.exists()


def test_a_student_who_comes_back_stops_the_clock(world, left_on):
    with time_machine.travel(_at(left_on), tick=False):
        _graduate(world.student_x)
        retention.erase_due()
    with time_machine.travel(_at(left_on + dt.timedelta(days=30)), tick=False):
        Student.objects.filter(pk=world.student_x.pk).update(status=StudentStatus.ACTIVE)
        retention.erase_due()
    assert not Departure.objects.exists()
    with time_machine.travel(_at(left_on.replace(year=left_on.year + 4)), tick=False):
        retention.erase_due()
    assert Case.objects.filter(pk=world.case_x.pk).exists()


def test_a_period_counts_from_the_night_the_departure_was_first_seen_not_from_the_rows_last_change(world, left_on):
    """A status set through QuerySet.update() leaves Student.updated_at years old: counting from it would erase on
    the first night. The clock starts when the task first sees the student gone."""
    Student.objects.filter(pk=world.student_x.pk).update(updated_at=_at(left_on.replace(year=left_on.year - 10)))
    with time_machine.travel(_at(left_on), tick=False):
        _graduate(world.student_x)
        retention.erase_due()
    assert Case.objects.filter(pk=world.case_x.pk).exists()


def test_mailbox_messages_are_erased_the_day_after_their_first_year(world, left_on):
    with time_machine.travel(_at(left_on, 10), tick=False):
        message = world.mailbox_a
    a_year_on = retention.months_before(left_on, -12)
    with time_machine.travel(_at(a_year_on, 23), tick=False):
        retention.erase_due()
    assert MailboxMessage.objects.filter(pk=message.pk).exists()
    with time_machine.travel(_at(a_year_on + dt.timedelta(days=1), 0), tick=False):
        erased = retention.erase_due()
    assert not MailboxMessage.objects.exists()
    assert erased["counseling.MailboxMessage"] == 1


def test_a_districts_own_periods_apply_to_its_schools_only(world, left_on):
    RetentionPolicy.objects.create(district=world.district_a, screening_months=6)
    with time_machine.travel(_at(left_on), tick=False):
        world.campaign_a  # noqa: B018 - a participation for X
        _graduate(world.student_x)
        _graduate(world.student_z)  # district B
        participation_z = Participation.objects.create(campaign=world.campaign_a, student=world.student_z,
                                                       code="Z", code_digest="z")  # fmt: skip
        retention.erase_due()
    with time_machine.travel(_at(retention.months_before(left_on, -6) + dt.timedelta(days=1)), tick=False):
        retention.erase_due()
    assert not Participation.objects.filter(student=world.student_x).exists()
    assert Participation.objects.filter(pk=participation_z.pk).exists()  # district B keeps the default 12 months


def test_the_audit_log_names_what_was_erased_by_id_and_count_never_its_content(world, left_on):
    with time_machine.travel(_at(left_on), tick=False):
        _records_of_x(world)
        _graduate(world.student_x)
        retention.erase_due()
    case_pk, record_pk = world.case_x.pk, world.record_x.pk
    with time_machine.travel(_at(left_on.replace(year=left_on.year + 3) + dt.timedelta(days=1)), tick=False):
        retention.erase_due()
    summary = AuditEvent.objects.get(action="retentionpolicy.erase")
    assert (summary.object_type, summary.object_id, summary.actor_username) == (
        "portal.district",
        str(world.district_a.pk),
        "system",
    )
    assert summary.detail["erased"] == {
        "counseling.Booking": 1, "counseling.SessionRecord": 1, "crisis.Case": 1, "crisis.FollowUp": 1,
        "crisis.GuardianNotice": 1, "crisis.Incident": 1, "crisis.OutsideReferral": 1,
        "screening.AnswerChange": 1, "screening.Participation": 1, "screening.Response": 1,
    }  # fmt: skip
    assert summary.detail["periods"]["case_months"] == 36
    deleted = AuditEvent.objects.filter(action__endswith=".delete", detail__retention=True)
    assert {(e.object_type, e.object_id) for e in deleted} >= {("crisis.case", str(case_pk)),
                                                              ("counseling.sessionrecord", str(record_pk))}  # fmt: skip
    assert {e.student_id for e in deleted} == {world.student_x.pk}  # the student's access log shows the erasure
    dump = repr(list(AuditEvent.objects.values()))
    for content in ("谈了家里的事", "谈了学习压力", "家中有变故", "fell out with friends", "Xiao X"):
        assert content not in dump
    call_command("audit", "verify")


def test_running_twice_erases_nothing_twice(world, left_on):
    with time_machine.travel(_at(left_on), tick=False):
        _records_of_x(world)
        world.mailbox_a  # noqa: B018
        _graduate(world.student_x)
        retention.erase_due()
    with time_machine.travel(_at(left_on.replace(year=left_on.year + 6)), tick=False):
        first = retention.erase_due()
        events = AuditEvent.objects.count()
        second = retention.erase_due()
    assert first["crisis.Case"] == 1
    assert second == {"departures_noticed": 0, "portal.AuditEvent": 0}
    assert AuditEvent.objects.count() == events  # and wrote nothing
    assert audit.verify()[1] is None


def test_the_nightly_run_erases_audit_events_past_the_audit_period(db):
    today = timezone.localdate()
    for years_ago in (7, 6, 4):  # kept by the database only past 3 years, whatever the period
        with time_machine.travel(_at(today.replace(year=today.year - years_ago)), tick=False):
            audit.append([audit.Entry("student.view", "portal.student", years_ago)])
    erased = retention.erase_due()  # 60 months by default: the events of 7 and 6 years ago go
    assert erased["portal.AuditEvent"] == 2
    assert list(AuditEvent.objects.order_by("id").values_list("action", "object_id")) == [
        ("student.view", "4"),
        (audit.TRIMMED, str(AuditEvent.objects.get(action=audit.TRIMMED).detail["through"])),
    ]
    assert audit.verify()[1] is None


def test_the_beat_schedule_runs_the_erasure_every_night(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["privacy-erase-due"]
    assert entry["task"] == "privacy.tasks.erase_due"
    assert entry["schedule"].hour == {2}
    assert settings.CELERY_TASK_ROUTES["privacy.tasks.erase_due"] == {"queue": "bulk"}


def test_the_task_runs_the_erasure(world, left_on):
    from privacy.tasks import erase_due

    with time_machine.travel(_at(left_on), tick=False):
        _graduate(world.student_x)
        assert erase_due.delay().get()["departures_noticed"] == 1
