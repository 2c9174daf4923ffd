"""Writes of screening: instruments, campaigns, consent, answers, scoring and triage into the crisis ledger."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from crisis import services as crisis
from portal import audit, codes, notifications
from portal.models import District, Guardian, School, SchoolYear, Student, StudentGuardian, User
from screening import sql
from screening.definitions import Definition, DefinitionError, previous, shipped, version_key
from screening.models import (
    Battery,
    Campaign,
    CampaignStatus,
    Consent,
    ConsentMode,
    Instrument,
    JobStatus,
    Participation,
    RescoreJob,
    Response,
    ResponseSource,
    ResponseStatus,
    ReviewFlag,
    ScreeningPolicy,
)
from screening.scoring import TIERS, AnswerError, Policy, PolicyError, Result, score

logger = logging.getLogger(__name__)


class DefinitionChanged(Exception):
    """A definition file changed without a new version: responses given with the old text would be misread."""


class Refused(Exception):
    """The action is not possible in the current state; `code` names why (the page translates it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def instruments_load() -> list[Instrument]:
    """Load the repository's definitions; new versions are added, existing ones must be unchanged."""
    created = []
    with audit.atomic():
        for definition in [*previous(), *shipped().values()]:
            code = definition.code
            existing = Instrument.objects.filter(code=code, version=definition.version).first()
            if existing is None:
                created.append(
                    Instrument.objects.create(code=code, version=definition.version, definition=definition.raw)
                )
            elif existing.definition != definition.raw:
                raise DefinitionChanged(f"{code} {definition.version}: bump the version to change a definition")
    return created


def latest_instruments() -> dict[str, Instrument]:
    """The newest loaded version of each instrument (loading the repository's first if none is loaded)."""
    if not Instrument.objects.exists():
        instruments_load()
    latest: dict[str, Instrument] = {}
    for instrument in Instrument.objects.all():
        if instrument.code not in latest or version_key(instrument.version) > version_key(
            latest[instrument.code].version
        ):
            latest[instrument.code] = instrument
    return latest


# --- codes -------------------------------------------------------------------------------------------------


def code_digest(code: str) -> str:
    return codes.digest("screening-code", code)


# --- campaigns ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatteryPlan:
    grade_from: int
    grade_to: int
    codes: tuple[str, ...]


def campaign_create(
    *, district: District, school_year: SchoolYear, name: str, schools: Iterable[School], grade_from: int,
    grade_to: int, opens_on: dt.date, closes_on: dt.date, batteries: Iterable[BatteryPlan], by: User,
) -> Campaign:  # fmt: skip
    instruments = latest_instruments()
    with audit.atomic():
        campaign = Campaign.objects.create(
            district=district, school_year=school_year, name=name, grade_from=grade_from, grade_to=grade_to,
            opens_on=opens_on, closes_on=closes_on, created_by=by,
        )  # fmt: skip
        campaign.schools.set(list(schools))
        Battery.objects.bulk_create(
            Battery(
                campaign=campaign,
                grade_from=plan.grade_from,
                grade_to=plan.grade_to,
                instrument=instruments[code],
                position=position,
            )  # fmt: skip
            for plan in batteries
            for position, code in enumerate(plan.codes)
        )
        return campaign


def policy_for(district_id: int) -> ScreeningPolicy:
    policy = ScreeningPolicy.objects.filter(district_id=district_id).first()
    return policy or ScreeningPolicy(district_id=district_id)


def district_policy(district_id: int) -> Policy:
    """The district's triage policy for scoring. A cut-off that is not a whole number at or below the
    published one (e.g. typed into the admin) is ignored with a warning: it must never stop scoring."""
    published = {code: i.parsed.positive_at for code, i in latest_instruments().items()}
    chosen = {}
    for code, value in (policy_for(district_id).positive_at or {}).items():
        limit = published.get(code)
        if isinstance(value, int) and not isinstance(value, bool) and limit is not None and 1 <= value <= limit:
            chosen[code] = value
        else:
            logger.warning("district %s: ignoring screening cut-off %r for %r", district_id, value, code)
    return Policy(chosen)


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def campaign_open(*, campaign: Campaign, by: User) -> int:
    """Invite every active student of the campaign's schools and grades: a code each, and a consent request
    (or, where guardians may opt out, a notice) to the primary guardian. Returns the number invited."""
    policy = policy_for(campaign.district_id)
    with audit.atomic():
        # The campaign keeps the consent mode it opens with (Campaign.consent_mode): its guardians are asked or
        # told under it, whatever the district's policy says later.
        if not Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.DRAFT).update(
            status=CampaignStatus.OPEN, consent_mode=policy.consent_mode
        ):
            raise Refused("not_draft")
        campaign.status, campaign.consent_mode = CampaignStatus.OPEN, policy.consent_mode
        students = list(
            Student.objects.filter(
                school__in=campaign.schools.all(), status="active",
                classroom__grade__gte=campaign.grade_from, classroom__grade__lte=campaign.grade_to,
            ).exclude(screenings__campaign=campaign)
        )  # fmt: skip
        participations = []
        for student in students:
            code = codes.new_code()
            # PIPL art. 31: a child under 14 takes part only with a guardian's consent, whatever the mode.
            needs_consent = (
                policy.consent_mode == ConsentMode.OPT_IN or _age_on(student.birth_date, campaign.opens_on) < 14
            )
            participations.append(Participation(
                campaign=campaign, student=student, code=code, code_digest=code_digest(code),
                consent=Consent.PENDING if needs_consent else Consent.NOT_NEEDED,
            ))  # fmt: skip
        Participation.objects.bulk_create(participations, batch_size=1000)
        primary = {
            link.student_id: link.guardian
            for link in StudentGuardian.objects.filter(student__in=students, is_primary=True).select_related("guardian")
        }
        for participation in participations:
            guardian = primary.get(participation.student_id)
            if guardian is not None:
                _consent_message(participation, guardian)
            if participation.consent == Consent.NOT_NEEDED:
                _parent_form_message(participation)
        detail = {"invited": len(participations), "consent_mode": policy.consent_mode}
        audit.append([audit.Entry("campaign.open", "screening.campaign", campaign.pk, detail=detail)])
    return len(participations)


_CONSENT_SALT = "screening.consent"


def consent_token(participation: Participation) -> str:
    return signing.TimestampSigner(salt=_CONSENT_SALT).sign_object({"p": participation.pk})


def _consent_message(participation: Participation, guardian: Guardian) -> None:
    campaign = participation.campaign
    notifications.notification_send(
        kind="screening_consent_request",
        guardian=guardian,
        student=participation.student,
        context={
            "school": participation.student.school.name, "student": participation.student.name,
            "campaign": campaign.name, "closes_on": campaign.closes_on.isoformat(),
            "opt_in": participation.consent == Consent.PENDING,
            "consent_path": reverse("screening:consent", args=[consent_token(participation)]),
        },
        dedupe_key=f"screening_consent:{participation.pk}",
    )  # fmt: skip


_PARENT_FORM_SALT = "screening.parent-form"


def parent_form_token(participation: Participation) -> str:
    return signing.TimestampSigner(salt=_PARENT_FORM_SALT).sign_object({"p": participation.pk})


def _parent_form_message(participation: Participation) -> None:
    """Parent-report instruments (e.g. the PSC-17) go to the primary guardian, with their own link."""
    if not battery_for(participation, "parent"):
        return
    link = StudentGuardian.objects.filter(student=participation.student_id, is_primary=True).select_related("guardian")
    guardian = link.first()
    if guardian is None:
        return
    campaign = participation.campaign
    notifications.notification_send(
        kind="screening_parent_form",
        guardian=guardian.guardian,
        student=participation.student,
        context={
            "school": participation.student.school.name, "student": participation.student.name,
            "campaign": campaign.name, "closes_on": campaign.closes_on.isoformat(),
            "form_path": reverse("screening:parent_form", args=[parent_form_token(participation)]),
        },
        dedupe_key=f"screening_parent_form:{participation.pk}",
    )  # fmt: skip


def participation_for_parent_token(token: str) -> Participation:
    """The guardian's form link: valid while the campaign is open and consent stands."""
    try:
        payload = signing.TimestampSigner(salt=_PARENT_FORM_SALT).unsign_object(token, max_age=dt.timedelta(days=120))
        participation = Participation.objects.select_related("campaign", "student__school", "student__classroom").get(
            pk=payload["p"]
        )
    except (signing.BadSignature, Participation.DoesNotExist, KeyError, TypeError) as exc:
        raise Refused("bad_link") from exc
    campaign = participation.campaign
    if campaign.status != CampaignStatus.OPEN or not campaign.opens_on <= timezone.localdate() <= campaign.closes_on:
        raise Refused("not_open")
    if participation.consent in (Consent.REFUSED, Consent.PENDING):
        raise Refused("refused" if participation.consent == Consent.REFUSED else "no_consent")
    return participation


def participation_for_consent_token(token: str) -> Participation:
    try:
        payload = signing.TimestampSigner(salt=_CONSENT_SALT).unsign_object(token, max_age=dt.timedelta(days=120))
        participation = Participation.objects.select_related("campaign", "student__school").get(pk=payload["p"])
    except (signing.BadSignature, Participation.DoesNotExist, KeyError, TypeError) as exc:
        raise Refused("bad_link") from exc
    if participation.campaign.status == CampaignStatus.CLOSED:
        raise Refused("closed")
    return participation


def consent_answer(*, token: str, granted: bool) -> Participation:
    """The guardian's answer. A refusal is final for the campaign and respected everywhere; consent can be
    withdrawn until the student has started."""
    participation = participation_for_consent_token(token)
    with audit.atomic():
        # The participation row is the lock every writer of answers takes (answer_save, the kiosk, paper_import):
        # a refusal and a form stored at the same moment serialise on it, so a form is stored only while consent
        # stands, and consent is answered only while nothing has been stored.
        locked = Participation.objects.select_for_update().only("started_at").get(pk=participation.pk)
        if locked.started_at is not None:
            raise Refused("started")
        Participation.objects.filter(pk=participation.pk).update(
            consent=Consent.GRANTED if granted else Consent.REFUSED, consent_at=timezone.now(),
            consent_by=StudentGuardian.objects.filter(student=participation.student_id, is_primary=True)
            .values("guardian_id")[:1],
        )  # fmt: skip
        participation.refresh_from_db()
        if participation.consent == Consent.GRANTED:
            _parent_form_message(participation)
    return participation


# --- taking part -------------------------------------------------------------------------------------------


def participation_for_code(code: str) -> Participation:
    """The participation a student's code opens, if they may take part now."""
    participation = (
        Participation.objects.select_related("campaign", "student__school", "student__classroom")
        .filter(code_digest=code_digest(code))
        .first()
    )
    if participation is None:
        raise Refused("unknown")
    campaign = participation.campaign
    _check_code(campaign.status, campaign.opens_on, campaign.closes_on, participation.completed_at,
                participation.consent, participation.student.status)  # fmt: skip
    return participation


def _check_code(
    campaign_status: str, opens_on: dt.date, closes_on: dt.date, completed_at: dt.datetime | None, consent: str,
    student_status: str,
) -> None:  # fmt: skip
    """May the holder of a code take part now? The one rule for the form and the kiosk."""
    today = timezone.localdate()
    if campaign_status != CampaignStatus.OPEN or not opens_on <= today <= closes_on:
        raise Refused("not_open")
    if completed_at is not None:
        raise Refused("completed")
    if consent == Consent.REFUSED:
        raise Refused("refused")
    if consent == Consent.PENDING:
        raise Refused("no_consent")
    if student_status != "active":
        raise Refused("unknown")


def battery_for(participation: Participation, informant: str | None = "self") -> list[Instrument]:
    """The instruments of the student's grade band: the student's own ("self"), the guardian's ("parent"),
    or both (None)."""
    grade = participation.student.classroom.grade
    return [
        b.instrument
        for b in Battery.objects.filter(campaign=participation.campaign_id, grade_from__lte=grade, grade_to__gte=grade)
        .select_related("instrument")
        .order_by("position", "id")
        if informant is None or b.instrument.definition["informant"] == informant
    ]


@dataclass(frozen=True)
class Step:
    """One question of a student's form: the instrument, its definition, the item, and where it stands.

    The count counts the battery's fixed questions only, so it never changes between pages: a follow-up asked
    only after some answers (the ASQ's question 5) is shown as a follow-up of the question before it, not
    counted. Counting it once it will be asked made "question 20 of 20" become "20 of 21" at the last item,
    and would tell a student that a "yes" brings more questions."""

    instrument: Instrument
    definition: Definition
    item: int
    number: int  # its place among the fixed questions (a follow-up: that of the question before it)
    total: int  # the battery's fixed questions
    done: int  # fixed questions answered or skipped, over the whole battery
    follow_up: bool = False
    answered: bool = False
    answer: int | None = None  # the answer given (None: skipped, or not yet answered)
    open: bool = True  # its instrument is still being answered (not submitted)


def _asked(definition: Definition, answers: dict[str, Any]) -> list[int]:
    """The items to ask, in order. The ASQ's question 5 is asked only after a positive screen."""
    items = []
    for item in definition.items:
        if item.only_if_positive:
            screen = [answers.get(str(n)) for n in definition.numbers if n < item.number]
            if len(answers) < item.number - 1 or not any(v is None or v == 1 for v in screen):
                continue
        items.append(item.number)
    return items


def form_steps(participation: Participation, informant: str = "self") -> list[Step]:
    """Every question the student (or the guardian) is asked, in order, as the answers given so far decide."""
    responses = {r.instrument_id: r for r in participation.responses.all()}
    rows = []
    for instrument in battery_for(participation, informant):
        definition = instrument.parsed
        response = responses.get(instrument.pk)
        answers = response.answers if response else {}
        is_open = response is None or response.status == ResponseStatus.IN_PROGRESS
        follow_ups = {item.number for item in definition.items if item.only_if_positive}
        fixed = [n for n in definition.numbers if n not in follow_ups]
        rows.append((instrument, definition, answers, is_open, follow_ups, fixed))
    total = sum(len(fixed) for *_, fixed in rows)
    done = sum(str(n) in answers for _, _, answers, _, _, fixed in rows for n in fixed)
    steps, number = [], 0
    for instrument, definition, answers, is_open, follow_ups, _fixed in rows:
        for n in _asked(definition, answers):
            number += n not in follow_ups
            steps.append(Step(instrument, definition, n, max(number, 1), total, done, follow_up=n in follow_ups,
                              answered=str(n) in answers, answer=answers.get(str(n)), open=is_open))  # fmt: skip
    return steps


def next_step(participation: Participation, informant: str = "self") -> Step | None:
    """The next unanswered question for the student (or the guardian), or None when all is submitted."""
    return next((s for s in form_steps(participation, informant) if s.open and not s.answered), None)


def previous_step(participation: Participation, informant: str = "self") -> Step | None:
    """The question before the one on screen (the last one once all is answered): the only answer a student
    may go back to change. None at the first question."""
    steps = form_steps(participation, informant)
    current = next((i for i, s in enumerate(steps) if s.open and not s.answered), len(steps))
    if current == 0 or not steps[current - 1].answered:
        return None
    return steps[current - 1]


def _locked_for_answers(participation: Participation, informant: str) -> Participation:
    """The participation, row-locked, if answers may still be stored: consent given (or not needed), and for
    the student's own answers not yet completed. Refusals raise Refused."""
    locked = Participation.objects.select_for_update().get(pk=participation.pk)
    if locked.consent in (Consent.REFUSED, Consent.PENDING):
        raise Refused("refused")
    if informant == "self" and locked.completed_at is not None:
        raise Refused("completed")
    return locked


def answer_save(
    *, participation: Participation, instrument: Instrument, item: int, value: int | None, informant: str = "self"
) -> None:
    """Save one answer (None: skipped) the moment it is given. A critical answer is triaged at once on the
    alerts queue; finishing an instrument submits it for scoring. The guardian answers the parent-report
    instruments through their own link (informant="parent")."""
    definition = instrument.parsed
    if item not in definition.numbers or (value is not None and value not in definition.values):
        raise Refused("bad_answer")
    if definition.informant != informant:
        raise Refused("bad_answer")
    with audit.atomic():
        locked = _locked_for_answers(participation, informant)
        now = timezone.now()
        if locked.started_at is None:
            Participation.objects.filter(pk=locked.pk).update(started_at=now)
        source = ResponseSource.WEB if informant == "self" else ResponseSource.GUARDIAN
        response, _ = Response.objects.get_or_create(
            participation=locked, instrument=instrument, defaults={"source": source}
        )
        if response.status != ResponseStatus.IN_PROGRESS:
            raise Refused("completed")
        if str(item) in response.answers:
            # Answered already (a double tap, a stale tab): an answer is never overwritten, so a critical one
            # cannot be taken back before the alert has read it.
            raise Refused("answered")
        response.answers = {**response.answers, str(item): value}
        response.save(update_fields=["answers"])
        if _hits_critical(definition, item, value):
            _urgent(response.pk, now)
        if all(str(n) in response.answers for n in _asked(definition, response.answers)):
            _submit(response, now)
        if informant == "self" and next_step(locked) is None:
            Participation.objects.filter(pk=locked.pk).update(completed_at=now)
            audit.append(audit.entries_for(Participation, [locked.pk], verb="complete"))


@functools.lru_cache(maxsize=256)
def _definition(instrument_id: int, loaded_at: dt.datetime | str) -> Definition:
    """A loaded version's definition, parsed once per process: a version never changes once loaded
    (instruments_load refuses), and loaded_at tells a row apart from another that got the same id."""
    return Instrument.objects.get(pk=instrument_id).parsed


def kiosk_open(*, code: str) -> list[str]:
    """A kiosk opens a student's code before it shows the questions: the server's clock for the answering time
    starts at the code's first opening (Participation.opened_at). The codes of the student's own instruments still
    to answer, in order. Refused codes: those of participation_for_code."""
    participation = participation_for_code(code)
    Participation.objects.filter(pk=participation.pk, opened_at__isnull=True).update(opened_at=timezone.now())
    answered = set(participation.responses.values_list("instrument_id", flat=True))
    return [instrument.parsed.code for instrument in battery_for(participation) if instrument.pk not in answered]


def response_submit(*, code: str, instrument_code: str, answers: dict[int, int | None]) -> bool:
    """A whole questionnaire answered at once by the student's code (a school's kiosk or tablet app, offline
    first): the code checked as on the form, and the same rules as answer_save for every item before anything
    is stored. Every asked item must be there (None: skipped); a critical answer is triaged at once; the
    response is queued for scoring. True when the student's battery is now complete. The time it took is the
    server's: from the code's opening (kiosk_open) or the student's previous submission, whichever is later; not
    measured when the code was never opened (a client's own clock is never read).

    Refused codes: those of participation_for_code; "unknown_instrument", "bad_answer"; "answered" or
    "completed" for an instrument already begun or submitted.

    Four statements: the code's participation row-locked with its battery, the response with the
    participation's progress (screening.sql), and the audit chain's lock and insert."""
    with audit.atomic():
        rows = sql.kiosk_battery(code_digest(code))
        if not rows:
            raise Refused("unknown")
        participation, *checked, student, school = rows[0][:9]
        _check_code(*checked)
        opened, submitted = rows[0][12], []
        own = []
        for pk, loaded_at, status, submitted_at in (row[9:12] + row[13:14] for row in rows):
            if pk is not None and (definition := _definition(pk, loaded_at)).informant == "self":
                own.append((definition, pk, status))
                submitted += [submitted_at] if submitted_at else []
        chosen = [(definition, pk, status) for definition, pk, status in own if definition.code == instrument_code]
        if not chosen:
            raise Refused("unknown_instrument")
        definition, instrument, status = chosen[0]
        if status is not None:
            # Begun on the one-question form (or sent twice): answers are never overwritten.
            raise Refused("answered" if status == ResponseStatus.IN_PROGRESS else "completed")
        given = {str(item): value for item, value in answers.items()}
        numbers, values = set(definition.numbers), definition.values
        asked = {str(n) for n in _asked(definition, given)}
        # A kiosk may show the ASQ's question 5 to everyone: its answer is kept, never refused (a yes is acute).
        follow_ups = {str(item.number) for item in definition.items if item.only_if_positive}
        if (
            any(item not in numbers or (value is not None and value not in values) for item, value in answers.items())
            or not asked <= set(given) <= asked | follow_ups
        ):
            raise Refused("bad_answer")  # fmt: skip
        now = timezone.now()
        started = max([opened, *submitted]) if opened else None
        completed = all(s not in (None, ResponseStatus.IN_PROGRESS) for _, pk, s in own if pk != instrument)
        response = sql.kiosk_write(
            participation=participation, instrument=instrument, source=ResponseSource.WEB, answers=given,
            status=ResponseStatus.SUBMITTED, started=started, begun=opened or now, now=now, completed=completed,
        )  # fmt: skip
        events = [audit.Entry("response.submit", "screening.response", response, student, school)]
        if completed:
            events.append(audit.Entry("participation.complete", "screening.participation", participation,
                                      student, school))  # fmt: skip
        audit.append(events)
        asked_critical = (c.item for c in definition.critical if c.item in answers)
        if any(_hits_critical(definition, item, answers[item]) for item in asked_critical):
            _urgent(response, now)
        transaction.on_commit(_score_enqueue, robust=True)
    return completed


def _hits_critical(definition: Definition, item: int, value: int | None) -> bool:
    """A critical item answered at or above its threshold, or skipped: an unanswered critical item counts as
    answered positively."""
    # A value that is not a number (a stored form the scorer cannot read) counts as positive too: never as "no".
    return any(
        c.item == item and (value is None or not isinstance(value, int) or value >= c.at_least)
        for c in definition.critical
    )


def _submit(response: Response, now: dt.datetime) -> None:
    response.status = ResponseStatus.SUBMITTED
    response.submitted_at = now
    response.save(update_fields=["status", "submitted_at"])
    audit.append(audit.entries_for(Response, [response.pk], verb="submit"))
    transaction.on_commit(_score_enqueue, robust=True)


SCORE_KICK_SECONDS = 1  # at most one scoring task per second, whatever the rate of submissions


def _score_enqueue() -> None:
    """Ask the bulk workers to score what is submitted. A scoring task drains every submitted row in
    batches, so one task a second covers any number of submissions: the first submission of each second
    queues one that runs after the second is over (and sees every row committed in it); the rest queue
    nothing. Publishing a task per submission cost more than the submission itself. Critical answers
    never wait for this: they have their own task (triage_urgent). Callers register it robust: with the
    broker down, the committed submission stands and beat's sweep scores it."""
    from screening.tasks import score_pending

    global _last_kick
    if score_pending.app.conf.task_always_eager:  # the demo and unit tests: score at once
        score_pending.delay()
        return
    # Asked less than a second ago from this process: whoever won that second's kick queued a run that
    # starts after now. Skipping saves the cache round trip on nearly every submission.
    now = time.monotonic()
    if now - _last_kick < SCORE_KICK_SECONDS:
        return
    _last_kick = now
    if cache.add("screening:score-kick", 1, timeout=SCORE_KICK_SECONDS):
        score_pending.apply_async(countdown=SCORE_KICK_SECONDS + 1)


_last_kick = -float(SCORE_KICK_SECONDS)  # monotonic time of this process's last kick


def _urgent(response_id: int, now: dt.datetime) -> None:
    """A critical answer: marked in the answer's transaction, its triage queued on the alerts queue once that
    commits. With the broker down at that moment the answer stands, and urgent_sweep queues it again."""
    Response.objects.filter(pk=response_id, urgent_since__isnull=True).update(urgent_since=now)
    # A lambda, not a partial: Django names the callback (__qualname__) when a robust one fails.
    transaction.on_commit(lambda: _triage_urgent_enqueue(response_id), robust=True)


def _triage_urgent_enqueue(response_id: int) -> None:
    from screening.tasks import triage_urgent

    triage_urgent.delay(response_id)


def urgent_sweep() -> int:
    """Queue again the urgent triage of every critical answer still waiting for it past the grace: its task was
    lost (the broker down at commit, a worker that died). Running a triage twice is harmless. How many."""
    grace = dt.timedelta(seconds=settings.URGENT_SWEEP_GRACE_SECONDS)
    due = Response.objects.filter(urgent_since__lt=timezone.now() - grace).order_by("urgent_since")
    ids = list(due.values_list("pk", flat=True)[:500])
    for response_id in ids:
        _triage_urgent_enqueue(response_id)
    return len(ids)


# --- scoring and triage ------------------------------------------------------------------------------------

TOO_FAST_SECONDS_PER_ITEM = 1.0


def review_flags(definition: Definition, response: Response) -> list[str]:
    """Answer-validity checks. They mark a response for a counselor's review; they never hide a result."""
    flags = []
    values = [v for v in response.answers.values() if v is not None]
    if len(values) >= 7 and len(set(values)) == 1:
        flags.append(ReviewFlag.IDENTICAL.value)
    if response.submitted_at and response.started_at and response.source != ResponseSource.PAPER:
        seconds = (response.submitted_at - response.started_at).total_seconds()
        if seconds < TOO_FAST_SECONDS_PER_ITEM * len(definition.items):
            flags.append(ReviewFlag.TOO_FAST.value)
    return flags


def _apply(
    response: Response, result: Result, flags: list[str], now: dt.datetime, scored_with: Instrument | None = None
) -> None:
    response.status = ResponseStatus.SCORED
    response.scored_at = now
    response.valid, response.total, response.band = result.valid, result.total, result.band or ""
    response.positive, response.critical, response.outcome = result.positive, result.critical, result.result or ""
    response.subscales = {k: {"score": v.score, "positive": v.positive} for k, v in result.subscales.items()}
    response.suggested_tier = result.tier_number
    response.review_flags = flags
    response.scored_with_id = response.instrument_id if scored_with is None else scored_with.pk


SET_ASIDE_FIELDS = ["status", "score_error"]


def _set_aside(response: Response, exc: Exception) -> None:
    """A submitted form the scorer cannot score (an answer off the scale, a definition or a cut-off that cannot be
    applied): set aside with why, in Response.score_error, for the counselor to see on the campaign page and in the
    student's file, while the rest of the batch is scored."""
    if isinstance(exc, AnswerError):
        error: dict[str, Any] = {"code": exc.code, "item": exc.item}
    elif isinstance(exc, PolicyError):
        error = {"code": "policy", "item": None}
    elif isinstance(exc, DefinitionError):
        error = {"code": "definition", "item": None}
    else:
        error = {"code": "unexpected", "item": None}
    response.status, response.score_error = ResponseStatus.UNSCOREABLE, error
    # The kind only, without the message or a traceback for answers: an AnswerError quotes the answer, and
    # answers never reach a log.
    logger.error("screening response %s could not be scored: %s (%s)", response.pk, error["code"],
                 type(exc).__name__, exc_info=error["code"] == "unexpected")  # fmt: skip


# What score_batch loads of a response: what score() and review_flags() read.
SCORING_READS = ["id", "participation_id", "instrument_id", "source", "answers", "started_at", "submitted_at"]
SCORED_FIELDS = ["status", "scored_at", "valid", "total", "band", "positive", "critical", "outcome", "subscales",
                 "suggested_tier", "review_flags", "scored_with"]  # fmt: skip


def score_batch(limit: int = 500) -> int:
    """Score up to `limit` submitted responses in one transaction (set-based writes), then triage their
    students. Several workers can run it at once: each claims different rows (SKIP LOCKED)."""
    now = timezone.now()
    with audit.atomic():
        # Claim by id alone (the partial index on submitted rows), then load: the joined claim made the
        # planner walk the whole table, half a second a call even with nothing to score.
        claimed = list(
            Response.objects.select_for_update(skip_locked=True)
            .filter(status=ResponseStatus.SUBMITTED)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        if not claimed:
            return 0
        # Only what scoring reads, and each instrument once: joined to every row, the instrument's definition
        # (and the participation's encrypted code) were sent, parsed and decrypted 500 times a batch.
        responses = list(
            Response.objects.filter(pk__in=claimed)
            .only(*SCORING_READS)
            .annotate(campaign_pk=F("participation__campaign_id"),
                      district_pk=F("participation__campaign__district_id"))
            .order_by("id")
        )  # fmt: skip
        instruments = Instrument.objects.in_bulk({r.instrument_id for r in responses})
        # A definition fix re-scored in a campaign applies to what is submitted there afterwards too.
        fixes = _rescore_targets({r.campaign_pk for r in responses})
        definitions: dict[int, Definition] = {}
        policies: dict[int, Policy] = {}
        scored, set_aside = [], []
        for response in responses:
            given = instruments[response.instrument_id]
            rules = fixes.get((response.campaign_pk, given.code), given)
            try:
                if rules.pk not in definitions:
                    definitions[rules.pk] = rules.parsed
                definition = definitions[rules.pk]
                district_id = response.district_pk
                if district_id not in policies:
                    policies[district_id] = district_policy(district_id)
                result = score(definition, response.answers, policies[district_id])
                flags = review_flags(definition, response)
            except Exception as exc:  # noqa: BLE001 - one form that cannot be scored must not stop the others
                _set_aside(response, exc)
                set_aside.append(response)
                continue
            _apply(response, result, flags, now, scored_with=rules)
            scored.append(response)
        Response.objects.bulk_update(scored, SCORED_FIELDS, batch_size=500)
        Response.objects.bulk_update(set_aside, SET_ASIDE_FIELDS, batch_size=500)
        if scored:
            _triage({r.participation_id for r in scored}, {r.pk for r in scored})
    return len(responses)


def triage_urgent(response_id: int) -> None:
    """A critical answer: score what is there now and triage at once, ahead of any backlog. Done, whatever the
    response's state: its urgent mark is cleared in the same transaction."""
    with audit.atomic():
        response = (
            Response.objects.select_for_update(of=("self",))
            .select_related("instrument", "participation__campaign")
            .get(pk=response_id)
        )
        if response.urgent_since is not None:
            Response.objects.filter(pk=response.pk).update(urgent_since=None)
        definition = response.instrument.parsed
        answers = {k: v for k, v in response.answers.items()}
        policy = district_policy(response.participation.campaign.district_id)
        if response.status == ResponseStatus.SUBMITTED:
            try:
                result, flags = score(definition, answers, policy), review_flags(definition, response)
            except Exception as exc:  # noqa: BLE001 - set aside as the batch would; its critical answer acted on below
                _set_aside(response, exc)
                response.save(update_fields=SET_ASIDE_FIELDS)
            else:
                _apply(response, result, flags, timezone.now())
                response.save(update_fields=SCORED_FIELDS)
                _triage({response.participation_id}, {response.pk})
                return
        if response.status in (ResponseStatus.IN_PROGRESS, ResponseStatus.UNSCOREABLE):
            # Unfinished, or a form that could not be scored: act on the critical answer itself, without storing
            # a partial score. Only "thoughts of killing yourself right now" (the ASQ's question 5) suggests major
            # on its own.
            hit = [c.item for c in definition.critical if str(c.item) in answers
                   and _hits_critical(definition, c.item, answers[str(c.item)])]  # fmt: skip
            if not hit:
                return
            tier = 3 if definition.method == "asq" and "5" in answers and answers["5"] in (1, None) else 2
            evidence = {"kind": "screening", "response": response.pk, "campaign": response.participation.campaign_id,
                        "instrument": response.instrument.code, "version": response.instrument.version,
                        "critical_items": hit, "tier": TIERS[tier], "partial": True}  # fmt: skip
            _raise(response.participation, tier, [evidence], cause=f"response:{response.pk}")
        # Scored already: whoever scored it triaged it.


def _triage(participation_ids: set[int], new_response_ids: set[int]) -> None:
    """The newly scored responses go to the crisis ledger: each student's highest new suggested tier, with the
    new responses as evidence (instrument, version, score; never the answers). Older results were triaged
    when they were scored: a case a counselor has closed is not reopened by them.

    The participations are locked first (in id order, so two batches never deadlock), so the summary on each
    (highest tier, flagged) is computed from every committed result, whichever batch commits last."""
    locked = {
        p.pk: p
        for p in Participation.objects.select_for_update(of=("self",))
        .filter(pk__in=participation_ids)
        .select_related("student__school", "campaign")
        .defer("code")  # encrypted, and triage never shows it: not decrypted for every row
        .order_by("pk")
    }
    scored = (
        Response.objects.filter(participation_id__in=participation_ids, status=ResponseStatus.SCORED)
        .select_related("instrument")
        .only("participation_id", "suggested_tier", "review_flags", "total", "band", "outcome", "critical",
              "instrument__code", "instrument__version")  # not the answers, nor each row's copy of a definition
        .order_by("participation_id", "id")
    )  # fmt: skip
    by_participation: dict[int, list[Response]] = {}
    for response in scored:
        by_participation.setdefault(response.participation_id, []).append(response)
    changed = []
    raises = []
    for participation_id, responses in by_participation.items():
        participation = locked[participation_id]
        tier = max(r.suggested_tier or 0 for r in responses)
        flagged = any(r.review_flags for r in responses)
        if (participation.suggested_tier, participation.flagged) != (tier, flagged):
            participation.suggested_tier, participation.flagged = tier, flagged
            changed.append(participation)
        new = [r for r in responses if r.pk in new_response_ids and r.suggested_tier]
        if not new:
            continue
        evidence = [
            {"kind": "screening", "response": r.pk, "campaign": participation.campaign_id,
             "instrument": r.instrument.code, "version": r.instrument.version, "total": r.total, "band": r.band,
             "result": r.outcome or None, "critical": r.critical, "tier": TIERS[r.suggested_tier or 0],
             "flags": r.review_flags}
            for r in new
        ]  # fmt: skip
        raises.append((participation, max(r.suggested_tier or 0 for r in new), evidence, min(r.pk for r in new)))
    Participation.objects.bulk_update(changed, ["suggested_tier", "flagged"], batch_size=500)  # one write
    # One batch into the ledger (students locked in id order, one insert, one update, one audit append); the
    # ledger's alert policy (crisis.alerts) tells whoever it names, once per response.
    tell = {d: policy_for(d).guardian_on_critical for d in {p.campaign.district_id for p, *_ in raises}}
    crisis.case_raise_many(
        raises=[
            crisis.Raise(p.student, tier, {"screening": evidence}, f"response:{first}", tell[p.campaign.district_id])
            for p, tier, evidence, first in raises
            if tier >= 1
        ],
        source="screening",
    )


def _raise(participation: Participation, tier: int, evidence: list[dict[str, Any]], *, cause: str) -> None:
    if tier < 1:
        return
    crisis.case_raise(
        student=participation.student, suggested_tier=tier, source="screening", evidence={"screening": evidence},
        cause=cause, tell_guardian=policy_for(participation.student.school.district_id).guardian_on_critical,
    )  # fmt: skip


# --- paper forms -------------------------------------------------------------------------------------------


@dataclass
class PaperResult:
    errors: list[dict[str, Any]]
    stored: int


def paper_import(*, campaign: Campaign, school_ids: Iterable[int], content: bytes) -> PaperResult:
    """Store paper forms typed into a sheet, all or nothing, through the same scoring path as the web form."""
    from screening.paper import _err, parse_paper

    parsed = parse_paper(content)
    if parsed.errors and not parsed.rows:
        return PaperResult(parsed.errors, 0)
    errors, plan = _paper_plan(campaign, list(school_ids), parsed.rows)
    errors = parsed.errors + errors
    if errors:
        return PaperResult(sorted(errors, key=lambda e: e["row"]), 0)
    now = timezone.now()
    with audit.atomic():
        # The sheet was checked without locks. The participation rows are now locked (in id order, so that two
        # imports never deadlock) and checked again: a guardian's refusal (consent_answer takes the same lock) or
        # another import committed since refuses its rows, and nothing is stored.
        ids = sorted({p.pk for p, *_ in plan})
        consent = dict(
            Participation.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", "consent")
        )
        done = set(
            Response.objects.filter(participation_id__in=ids)
            .exclude(status=ResponseStatus.IN_PROGRESS)
            .values_list("participation_id", "instrument__code")
        )
        late = []
        for participation, instrument, _definition, _answers, row in plan:
            number = participation.student.student_number
            if consent[participation.pk] in (Consent.REFUSED, Consent.PENDING):
                late.append(_err(row, "not_consented", value=number))
            elif (participation.pk, instrument.code) in done:
                late.append(_err(row, "already_done", value=number, instrument=instrument.code))
        if late:
            return PaperResult(late, 0)
        for participation, instrument, definition, answers, _row in plan:
            full = {str(n): answers.get(str(n)) for n in definition.numbers}
            response, _ = Response.objects.update_or_create(
                participation=participation, instrument=instrument,
                defaults={"answers": full, "source": ResponseSource.PAPER, "status": ResponseStatus.SUBMITTED,
                          "submitted_at": now, "started_at": now},
            )  # fmt: skip
            if any(_hits_critical(definition, int(n), v) for n, v in full.items()):
                _urgent(response.pk, now)
        Participation.objects.filter(pk__in=ids, started_at__isnull=True).update(started_at=now)
        for participation in {p.pk: p for p, *_ in plan}.values():
            if next_step(participation) is None:
                Participation.objects.filter(pk=participation.pk, completed_at__isnull=True).update(completed_at=now)
        audit.append(audit.entries_for(Response, [r.pk for r in Response.objects.filter(
            participation_id__in=ids, source=ResponseSource.PAPER, submitted_at=now)], verb="import"))  # fmt: skip
        transaction.on_commit(_score_enqueue, robust=True)
    return PaperResult([], len(plan))


PaperPlan = list[tuple[Participation, Instrument, Definition, dict[str, int | None], int]]


def _paper_plan(
    campaign: Campaign, school_ids: list[int], rows: Iterable[Any]
) -> tuple[list[dict[str, Any]], PaperPlan]:
    """Each row of a paper sheet checked against the campaign (read without locks): its errors, and what to store
    (participation, instrument, its definition, the answers, the row)."""
    from screening.paper import YES_NO, _err

    errors: list[dict[str, Any]] = []
    participations = {
        p.student.student_number: p
        for p in Participation.objects.filter(campaign=campaign, student__school_id__in=school_ids)
        .select_related("student__classroom")
    }  # fmt: skip
    batteries = {
        grade: {b.instrument.code: b.instrument for b in campaign.batteries.select_related("instrument")
                if b.grade_from <= grade <= b.grade_to}
        for grade in range(1, 13)
    }  # fmt: skip
    done = set(
        Response.objects.filter(participation__campaign=campaign)
        .exclude(status=ResponseStatus.IN_PROGRESS)
        .values_list("participation_id", "instrument__code")
    )
    seen: dict[tuple[str, str], int] = {}
    plan: PaperPlan = []
    for row in rows:
        participation = participations.get(row.student_number)
        if participation is None:
            errors.append(_err(row.row, "unknown_student", value=row.student_number))
            continue
        instrument = batteries[participation.student.classroom.grade].get(row.instrument)
        if instrument is None:
            errors.append(_err(row.row, "unknown_instrument", value=row.instrument))
            continue
        if participation.consent in (Consent.REFUSED, Consent.PENDING):
            errors.append(_err(row.row, "not_consented", value=row.student_number))
            continue
        key = (row.student_number, instrument.code)
        if key in seen:
            errors.append(
                _err(row.row, "repeated", value=row.student_number, instrument=instrument.code, first=seen[key])
            )
            continue
        seen[key] = row.row
        if (participation.pk, instrument.code) in done:
            errors.append(_err(row.row, "already_done", value=row.student_number, instrument=instrument.code))
            continue
        definition = instrument.parsed
        answers: dict[str, int | None] = {}
        yes_no = definition.values == {0, 1}
        for item, text in row.cells.items():
            value = YES_NO.get(text.lower()) if yes_no and text.lower() in YES_NO else None
            if value is None and text.isdecimal() and text.isascii():
                value = int(text)
            if int(item) not in definition.numbers:
                errors.append(_err(row.row, "extra_item", item=item, instrument=instrument.code))
            elif value not in definition.values:
                allowed = "/".join(str(v) for v in sorted(definition.values)) + (" 是/否" if yes_no else "")
                errors.append(_err(row.row, "bad_value", item=item, value=text, allowed=allowed))
            else:
                answers[item] = value
        if len(answers) == len(row.cells):
            plan.append((participation, instrument, definition, answers, row.row))
    return errors, plan


# --- reminders ---------------------------------------------------------------------------------------------

LAGGING_BELOW = 0.8  # a class lags while fewer than 80% of the students who may take part have finished


def remind_lagging(*, campaign: Campaign, school_ids: Iterable[int] | None = None) -> int:
    """Remind the class teachers of lagging classes, once a day per class: counts only, never a name."""
    from django.db.models import Count

    rows = (
        Participation.objects.filter(campaign=campaign, consent__in=[Consent.GRANTED, Consent.NOT_NEEDED])
        .values(
            "student__classroom_id",
            "student__classroom__class_teacher_id",
            "student__school__name",
            "student__classroom__grade",
            "student__classroom__name",
        )  # fmt: skip
        .annotate(may=Count("id"), done=Count("id", filter=Q(completed_at__isnull=False)))
    )
    if school_ids is not None:
        rows = rows.filter(student__school_id__in=list(school_ids))
    teachers = {u.pk: u for u in User.objects.filter(pk__in={r["student__classroom__class_teacher_id"] for r in rows})}
    sent = 0
    today = timezone.localdate().isoformat()
    with audit.atomic():
        for row in rows:
            teacher = teachers.get(row["student__classroom__class_teacher_id"])
            if teacher is None or not teacher.is_active or row["done"] >= LAGGING_BELOW * row["may"]:
                continue
            notification = notifications.notification_send(
                kind="screening_class_reminder", user=teacher, via=["inbox", "email"],
                context={"school": row["student__school__name"], "campaign": campaign.name,
                         "classroom": f"{row['student__classroom__grade']}年级{row['student__classroom__name']}",
                         "done": row["done"], "may": row["may"], "closes_on": campaign.closes_on.isoformat(),
                         "take_path": reverse("screening_short")},
                dedupe_key=f"screening_reminder:{campaign.pk}:{row['student__classroom_id']}:{today}",
            )  # fmt: skip
            sent += notification is not None
    return sent


def remind_lagging_all() -> int:
    today = timezone.localdate()
    return sum(
        remind_lagging(campaign=c)
        for c in Campaign.objects.filter(status=CampaignStatus.OPEN, opens_on__lte=today, closes_on__gte=today)
    )


# --- re-scoring --------------------------------------------------------------------------------------------


def rescore_start(*, campaign: Campaign, code: str, by: User) -> RescoreJob:
    """Queue a re-scoring of the campaign's scored responses to `code` with its newest loaded definition.

    The new version must ask the same items on the same scale (a fix of the rules, not a new form)."""
    to = latest_instruments().get(code)
    if to is None:
        raise Refused("unknown_instrument")
    given = Instrument.objects.filter(pk__in=Response.objects.filter(
        participation__campaign=campaign, instrument__code=code).values("instrument_id"))  # fmt: skip
    try:
        target = to.parsed
    except DefinitionError as exc:
        raise Refused("incompatible") from exc
    for instrument in given:
        old = instrument.parsed
        if old.numbers != target.numbers or old.values != target.values:
            raise Refused("incompatible")
    responses = Response.objects.filter(
        participation__campaign=campaign, instrument__code=code, status=ResponseStatus.SCORED
    )
    try:
        with audit.atomic():
            job = RescoreJob.objects.create(
                campaign=campaign, code=code, to_instrument=to, total=responses.count(), created_by=by
            )
            # Forms started from now on are given with the fixed version (the same items on the same scale).
            Battery.objects.filter(campaign=campaign, instrument__code=code).update(instrument=to)
    except IntegrityError as exc:
        raise Refused("rescore_running") from exc
    transaction.on_commit(lambda: _rescore_enqueue(job.pk))
    return job


def _rescore_targets(campaign_ids: set[int]) -> dict[tuple[int, str], Instrument]:
    """(campaign, instrument code) -> the definition of its newest running or finished re-scoring."""
    targets: dict[tuple[int, str], Instrument] = {}
    for job in (
        RescoreJob.objects.filter(campaign_id__in=campaign_ids)
        .exclude(status=JobStatus.FAILED)
        .select_related("to_instrument")
        .order_by("created_at", "id")
    ):
        targets[(job.campaign_id, job.code)] = job.to_instrument
    return targets


def _rescore_enqueue(job_id: int) -> None:
    from screening.tasks import rescore

    rescore.delay(job_id)


def rescore_run(job_id: int, batch: int = 500) -> RescoreJob:
    """Re-score in batches, saving progress after each; a raised tier reaches the ledger (never a lower one)."""
    job = RescoreJob.objects.select_related("to_instrument", "campaign").get(pk=job_id)
    RescoreJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING)
    definition = job.to_instrument.parsed
    policy = district_policy(job.campaign.district_id)
    last_id = 0
    try:
        while True:
            with audit.atomic():
                rows = list(
                    Response.objects.select_for_update(of=("self",))
                    .filter(
                        participation__campaign=job.campaign_id,
                        instrument__code=job.code,
                        status=ResponseStatus.SCORED,
                        pk__gt=last_id,
                    )  # fmt: skip
                    .order_by("pk")[:batch]
                )
                if not rows:
                    break
                now = timezone.now()
                before = {r.pk: r.suggested_tier or 0 for r in rows}
                for response in rows:
                    result = score(definition, response.answers, policy)
                    _apply(response, result, response.review_flags, now, scored_with=job.to_instrument)
                Response.objects.bulk_update(rows, SCORED_FIELDS, batch_size=batch)
                # Only a raised tier goes to the ledger: a re-score never reopens what a counselor closed.
                raised = {r.pk for r in rows if (r.suggested_tier or 0) > before[r.pk]}
                _triage({r.participation_id for r in rows}, raised)
                last_id = rows[-1].pk
                RescoreJob.objects.filter(pk=job.pk).update(done=F("done") + len(rows))
    except Exception:
        RescoreJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, finished_at=timezone.now())
        raise
    RescoreJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, finished_at=timezone.now())
    job.refresh_from_db()
    return job


# --- closing -----------------------------------------------------------------------------------------------


def campaigns_close_due() -> int:
    """Close campaigns past their window. Forms left unfinished are submitted as they stand and scored like
    any other: a skipped or unreached critical item counts as answered positively, so nobody slips through
    because they stopped half-way."""
    today = timezone.localdate()
    closed = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.OPEN, closes_on__lt=today):
        with audit.atomic():
            if not Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.OPEN).update(
                status=CampaignStatus.CLOSED
            ):
                continue
            unfinished = Response.objects.filter(
                participation__campaign=campaign, status=ResponseStatus.IN_PROGRESS
            ).exclude(answers={})
            unfinished.update(status=ResponseStatus.SUBMITTED, submitted_at=timezone.now())
            audit.append([audit.Entry("campaign.close", "screening.campaign", campaign.pk)])
            transaction.on_commit(_score_enqueue, robust=True)
            closed += 1
    return closed
