"""Consent while a campaign runs (issue 24, items 5.5 and 5.6).

- A campaign keeps the consent mode it opened with: the district switching between opt-out and opt-in while it is
  open changes nothing for it (guardians were told, or asked, under the mode it opened with), only for campaigns
  opened afterwards.
- A paper form and a guardian's refusal serialise on the participation row: a form imported after the refusal is
  refused (a clear error on its row, nothing stored), and a refusal sent while a form is being stored waits for it
  and is then refused as "started". The threaded tests run on real parallel connections.
"""

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.urls import reverse

from screening import services
from screening.models import Consent, ConsentMode, Participation, Response, ScreeningPolicy
from tests.screening.conftest import consent, participation_of

# --- the consent mode ------------------------------------------------------------------------------------------


def _sixteen(student) -> None:
    student.birth_date = dt.date(2010, 1, 1)  # over 14: opt-out applies to them (PIPL art. 31 spares no under-14)
    student.save()


def _second_campaign(world):
    first = world.campaign_a
    campaign = services.campaign_create(
        district=world.district_a, school_year=first.school_year, name="复查", schools=[world.school_a],
        grade_from=7, grade_to=9, opens_on=first.opens_on, closes_on=first.closes_on, by=world.users["official_a"],
        batteries=[services.BatteryPlan(7, 12, ("phq9",))],
    )  # fmt: skip
    services.campaign_open(campaign=campaign, by=world.users["official_a"])
    return campaign


def test_an_open_campaign_keeps_opt_out_when_the_district_switches_to_opt_in(world, login):
    ScreeningPolicy.objects.create(district=world.district_a, consent_mode=ConsentMode.OPT_OUT)
    _sixteen(world.student_w)
    campaign = world.campaign_a
    official = login(world.users["official_a"])
    assert official.post(reverse("screening:policy"), {"consent_mode": "opt_in"}).status_code == 302
    assert ScreeningPolicy.objects.get().consent_mode == ConsentMode.OPT_IN
    campaign.refresh_from_db()
    assert campaign.consent_mode == ConsentMode.OPT_OUT
    # W's family was told they may opt out: W still takes part, and nobody is asked again.
    participation = participation_of(campaign, world.student_w)
    assert participation.consent == Consent.NOT_NEEDED
    assert services.participation_for_code(participation.code) == participation
    page = login(world.users["counselor_a"]).get(reverse("screening:campaign", args=[campaign.pk])).content.decode()
    assert "同意方式：监护人可选择退出（沿用活动开放时的设置）" in page
    # A campaign opened from now on asks W's family first.
    later = _second_campaign(world)
    assert later.consent_mode == ConsentMode.OPT_IN
    assert participation_of(later, world.student_w).consent == Consent.PENDING


def test_an_open_campaign_keeps_opt_in_when_the_district_switches_to_opt_out(world):
    _sixteen(world.student_w)
    campaign = world.campaign_a  # no policy: opt-in
    policy = services.policy_for(world.district_a.pk)
    policy.consent_mode = ConsentMode.OPT_OUT
    policy.save()
    campaign.refresh_from_db()
    assert campaign.consent_mode == ConsentMode.OPT_IN
    # W's family was asked for consent and has not answered: a consent request never turns into a notice.
    participation = participation_of(campaign, world.student_w)
    assert participation.consent == Consent.PENDING
    with pytest.raises(services.Refused) as refused:
        services.participation_for_code(participation.code)
    assert refused.value.code == "no_consent"
    assert _second_campaign(world).consent_mode == ConsentMode.OPT_OUT


def test_the_policy_page_says_open_campaigns_keep_their_mode(world, login):
    page = login(world.users["official_a"]).get(reverse("screening:policy")).content.decode()
    assert "已开放的筛查活动沿用开放时的同意方式。" in page


# --- a paper form and a refusal ----------------------------------------------------------------------------------


def _sheet(number: str) -> bytes:
    return ("学号,量表," + ",".join(str(n) for n in range(1, 10)) + f"\n{number},phq9,0,0,0,0,0,0,0,0,0\n").encode()


def _import(world):
    return services.paper_import(campaign=world.campaign_a, school_ids=[world.school_a.pk],
                                 content=_sheet(world.student_x.student_number))  # fmt: skip


def test_a_form_checked_before_the_refusal_and_stored_after_it_is_refused(world, monkeypatch):
    """The steps in the order of the race: the sheet is checked (consent given), the guardian refuses, then the
    import stores. The import must see the refusal under its lock: the row's error, nothing stored."""
    participation = participation_of(world.campaign_a, world.student_x)
    consent(participation)
    checked = services._paper_plan

    def then_refused(*args, **kwargs):  # type: ignore[no-untyped-def]
        plan = checked(*args, **kwargs)
        consent(participation, granted=False)
        return plan

    monkeypatch.setattr(services, "_paper_plan", then_refused)
    result = _import(world)
    assert (result.stored, [(e["row"], e["code"]) for e in result.errors]) == (0, [(2, "not_consented")])
    participation.refresh_from_db()
    assert (participation.consent, participation.started_at) == (Consent.REFUSED, None)
    assert not Response.objects.exists()


def _wait_for_a_lock_wait(other: threading.Thread) -> None:
    """Until a connection of this database waits for a row lock (or the other thread has ended, which the test's
    assertions then catch). A condition, not a timing: the loop stops as soon as PostgreSQL shows the wait."""
    with connection.cursor() as cursor:
        for _ in range(3000):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] or not other.is_alive():
                return
            time.sleep(0.01)
    raise AssertionError("the other connection never waited for the participation's lock")


def _run(target, outcome: dict, key: str) -> threading.Thread:  # type: ignore[no-untyped-def]
    def run() -> None:
        try:
            outcome[key] = target()
        except services.Refused as refused:
            outcome[key] = f"refused:{refused.code}"
        except BaseException as exc:  # noqa: BLE001 - reported by the test's assertions
            outcome[key] = repr(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=key)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_an_import_waiting_for_a_refusal_in_flight_is_refused_cleanly(world, monkeypatch):
    """The guardian's refusal holds the participation's lock (paused before it commits); the import, whose sheet
    was checked while consent still stood, waits for the lock, then refuses the row: no error, nothing stored."""
    from portal import audit

    participation = participation_of(world.campaign_a, world.student_x)
    consent(participation)
    token = services.consent_token(participation)
    in_flight, release = threading.Event(), threading.Event()
    append = audit.append

    def pausing(entries):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "guardian":
            in_flight.set()  # the refusal is written, its lock held, not yet committed
            release.wait(timeout=60)
        return append(entries)

    monkeypatch.setattr(audit, "append", pausing)
    outcome: dict = {}
    guardian = _run(lambda: services.consent_answer(token=token, granted=False), outcome, "guardian")
    assert in_flight.wait(timeout=60)
    importer = _run(lambda: _import(world), outcome, "import")
    _wait_for_a_lock_wait(importer)
    release.set()
    guardian.join()
    importer.join()
    assert outcome["guardian"].consent == Consent.REFUSED
    result = outcome["import"]
    assert not isinstance(result, str), result
    assert (result.stored, [e["code"] for e in result.errors]) == (0, ["not_consented"])
    participation = Participation.objects.get(pk=participation.pk)
    assert (participation.consent, participation.started_at) == (Consent.REFUSED, None)
    assert not Response.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_refusal_sent_while_a_paper_form_is_stored_waits_for_it_and_is_refused(world, monkeypatch):
    participation = participation_of(world.campaign_a, world.student_x)
    consent(participation)
    token = services.consent_token(participation)
    stored, release = threading.Event(), threading.Event()
    next_step = services.next_step

    def pausing(*args, **kwargs):  # type: ignore[no-untyped-def]
        stored.set()  # the form is written under the participation's lock, not yet committed
        release.wait(timeout=60)
        return next_step(*args, **kwargs)

    monkeypatch.setattr(services, "next_step", pausing)
    outcome: dict = {}
    importer = _run(lambda: _import(world), outcome, "import")
    assert stored.wait(timeout=60)
    guardian = _run(lambda: services.consent_answer(token=token, granted=False), outcome, "guardian")
    _wait_for_a_lock_wait(guardian)
    release.set()
    importer.join()
    guardian.join()
    assert outcome["import"].stored == 1
    assert outcome["guardian"] == "refused:started"
    participation = Participation.objects.get(pk=participation.pk)
    assert participation.consent == Consent.GRANTED and participation.started_at is not None
