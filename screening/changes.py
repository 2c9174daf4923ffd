"""A student goes back one question to change an answer (a mis-tap on a suicide question must not stand).

Both answers are kept: the earlier one in an AnswerChange row, audited; the response holds the latest, the one
scored. A critical answer counts once given: the change never withdraws its urgent triage, alert or case, and
the open case's timeline notes the change (a counselor decides what the correction means, not software)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from crisis.models import Status as CaseStatus
from portal import audit
from screening.models import AnswerChange, Consent, Instrument, Participation, Response, ResponseStatus
from screening.scoring import TIERS
from screening.services import (
    Refused,
    _asked,
    _hits_critical,
    _raise,
    _score_enqueue,
    _submit,
    _urgent,
    next_step,
    previous_step,
)

# The done page offers "change my last answer" to the student who has just finished, for this long: long
# enough for a mis-tap noticed at once, short enough that the next student at a shared school PC cannot.
CHANGE_AFTER_FINISH = dt.timedelta(minutes=5)


def may_change_after_finish(participation: Participation) -> bool:
    finished = participation.completed_at
    return finished is not None and timezone.now() - finished <= CHANGE_AFTER_FINISH


def answer_change(
    *, participation: Participation, instrument: Instrument, item: int, value: int | None
) -> AnswerChange | None:
    """Change the student's answer to the previous question (previous_step: one step back, no further). None
    when the answer is the one already given. Refused codes: "bad_answer", "not_previous", "refused",
    "completed" (finished longer ago than CHANGE_AFTER_FINISH)."""
    definition = instrument.parsed
    if item not in definition.numbers or (value is not None and value not in definition.values):
        raise Refused("bad_answer")
    if definition.informant != "self":
        raise Refused("bad_answer")
    with audit.atomic():
        # The response's row first, then the participation's: the scorer (score_batch, triage_urgent) locks in
        # that order, so a change to a submitted response being scored waits for it instead of deadlocking.
        response = (
            Response.objects.select_for_update(of=("self",))
            .filter(participation=participation.pk, instrument=instrument)
            .first()
        )
        locked = Participation.objects.select_for_update().get(pk=participation.pk)
        if locked.consent in (Consent.REFUSED, Consent.PENDING):
            raise Refused("refused")
        if locked.completed_at is not None and not may_change_after_finish(locked):
            raise Refused("completed")
        back = previous_step(locked)
        if response is None or back is None or (back.instrument.pk, back.item) != (instrument.pk, item):
            raise Refused("not_previous")  # a stale tab, or a question further back
        key = str(item)
        before = dict(response.answers)
        if before.get(key) == value:
            return None
        now = timezone.now()
        response.answers = {**before, key: value}
        was_open = response.status == ResponseStatus.IN_PROGRESS
        complete = all(str(n) in response.answers for n in _asked(definition, response.answers))
        if not complete:
            response.status = ResponseStatus.IN_PROGRESS  # a follow-up now asked (the ASQ's 5 after a new "yes")
        elif not was_open:
            response.status = ResponseStatus.SUBMITTED  # submitted already: scored again, with the latest answers
        response.save(update_fields=["answers", "status"])
        change = AnswerChange.objects.create(
            response=response, item=item, previous=before.get(key), value=value, changed_at=now,
            previous_critical=_hits_critical(definition, item, before.get(key)),
        )  # fmt: skip
        # Which question, never the answers: the audit log carries no clinical content.
        detail = {"instrument": instrument.code, "item": item, "change": change.pk}
        audit.append(audit.entries_for(Response, [response.pk], verb="change_answer", detail=detail))
        if _hits_critical(definition, item, value):
            _urgent(response.pk, now)
        elif change.previous_critical:
            _keep_acted_on(locked, response, before, item)
        if complete and was_open:
            _submit(response, now)  # the change made the last question asked a follow-up no longer asked
        elif complete:
            transaction.on_commit(_score_enqueue, robust=True)
        _complete_or_reopen(locked, now)
    return change


def _keep_acted_on(participation: Participation, response: Response, before: dict[str, Any], item: int) -> None:
    """A critical answer changed to a non-critical one. Its urgent triage may still be queued (urgent_since
    set): that task reads the answers as they are when it runs, so it would no longer see the critical one and
    nobody would hear. It is acted on here instead, in the change's transaction, under the same cause as the
    urgent triage (response:<id>) so its alert goes out once. Once triaged, its case stays as it is and only an
    open case's timeline notes the change: a case a counselor has closed is not reopened by a correction."""
    has_open_case = participation.student.crisis_cases.exclude(status=CaseStatus.CLOSED).exists()
    if response.urgent_since is None and not has_open_case:
        return
    definition = response.instrument.parsed
    acute = definition.method == "asq" and "5" in before and before["5"] in (1, None)
    tier = 3 if acute else 2  # as triage_urgent: only "thoughts of killing yourself right now" suggests 重大
    evidence = {"kind": "screening", "response": response.pk, "campaign": participation.campaign_id,
                "instrument": response.instrument.code, "version": response.instrument.version,
                "critical_items": [item], "tier": TIERS[tier], "partial": True,
                "answer_changed": {"item": item, "critical_before": True, "critical_now": False}}  # fmt: skip
    _raise(participation, tier, [evidence], cause=f"response:{response.pk}")


def _complete_or_reopen(participation: Participation, now: dt.datetime) -> None:
    """A change can finish the form (a follow-up no longer asked) or, from the done page, reopen it (a
    follow-up now asked): completed_at follows, so the student is asked what is left."""
    finished = next_step(participation) is None
    if finished and participation.completed_at is None:
        Participation.objects.filter(pk=participation.pk).update(completed_at=now)
        audit.append(audit.entries_for(Participation, [participation.pk], verb="complete"))
    elif not finished and participation.completed_at is not None:
        Participation.objects.filter(pk=participation.pk).update(completed_at=None)
        audit.append(audit.entries_for(Participation, [participation.pk], verb="reopen"))
