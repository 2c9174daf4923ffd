"""Retention: how long each kind of record is kept, and the nightly erasure of what is due.

PIPL art. 19: 保存期限应当为实现处理目的所必要的最短时间; art. 47: once the period ends or the purpose is met, the
handler deletes the personal information of its own accord. A student's screening answers, crisis cases and
counseling records serve the school while the student is at one of the district's schools; they are kept for the
district's period after the student leaves or graduates, then erased with everything that hangs on them. Mailbox
messages go a period after they arrive, the audit log's oldest events a (longer) period after they were written.

What is erased is named in the audit log by id, never by content: one event per record erased (its id and the
student's), and one per district and night with the counts, cascaded rows included.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from counseling.models import Booking, BookingCode, MailboxMessage, SessionRecord
from crisis.models import Case, Incident
from portal import audit
from portal import sql as portal_sql
from portal.models import District, Student, User
from portal.models.people import StudentStatus
from privacy import sql
from privacy.models import BOUNDS, RECORD_FIELDS, Departure, RetentionPolicy
from screening.models import Participation

ERRORS = {
    "bounds": _("Choose from %(least)s to %(most)s months."),
    "audit_short": _("Keep the audit log longer than the records it describes: more than %(months)s months."),
}


class PolicyRefused(ValueError):
    """Periods out of bounds; `problems` maps each field to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the month's last day when it has no such day: 31 May less 3 is 28 Feb)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def policy_for(district_id: int) -> RetentionPolicy:
    """The district's periods: its own, or the defaults (an unsaved policy)."""
    return RetentionPolicy.objects.filter(district_id=district_id).first() or RetentionPolicy(district_id=district_id)


def problems(periods: dict[str, Any]) -> dict[str, str]:
    """What is wrong with a set of periods, by field (empty: nothing). The database's constraints say the same."""
    found = {}
    for field, (least, _default, most) in BOUNDS.items():
        value = periods.get(field)
        if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= most:
            found[field] = str(ERRORS["bounds"]) % {"least": least, "most": most}
    if "audit_months" not in found:
        longest = max((periods[f] for f in RECORD_FIELDS if f not in found), default=0)
        if periods["audit_months"] <= longest:
            found["audit_months"] = str(ERRORS["audit_short"]) % {"months": longest}
    return found


def policy_set(*, district: District, by: User, periods: dict[str, int]) -> RetentionPolicy:
    """An official sets the district's periods, each within its bounds."""
    periods = {field: periods[field] for field in BOUNDS}
    if found := problems(periods):
        raise PolicyRefused(found)
    with audit.atomic():
        policy, _created = RetentionPolicy.objects.select_for_update().get_or_create(district=district)
        before = policy.periods()
        for field, value in periods.items():
            setattr(policy, field, value)
        policy.save()
        audit.append(audit.entries_for(RetentionPolicy, [policy.pk], verb="update",
                                       detail={"from": before, "to": periods}))  # fmt: skip
    return policy


def audit_months_in_force() -> int:
    """The audit log is one chain for the whole city: it keeps its events as long as any district asks."""
    default = BOUNDS["audit_months"][1]
    own = dict(RetentionPolicy.objects.values_list("district_id", "audit_months"))
    districts_on_default = District.objects.exclude(pk__in=own).exists()
    return max([*own.values(), *([default] if districts_on_default or not own else [])])


def departures_note(*, today: dt.date) -> int:
    """Start the clock of students seen gone for the first time; stop it for those back. Returns how many left."""
    with audit.atomic():
        back = list(Departure.objects.filter(student__status=StudentStatus.ACTIVE).values_list("pk", flat=True))
        Departure.objects.filter(pk__in=back).delete()
        gone = list(
            Student.objects.exclude(status=StudentStatus.ACTIVE)
            .filter(departure__isnull=True)
            .values_list("pk", flat=True)
        )
        # ignore_conflicts: a second run at the same moment must not fail on the rows the first one wrote.
        Departure.objects.bulk_create([Departure(student_id=pk, noticed_on=today) for pk in gone],
                                      ignore_conflicts=True)  # fmt: skip
        # Rows are keyed by the student's id: the events name the students, by id only.
        audit.append([
            audit.Entry(f"departure.{verb}", "privacy.departure", "list", detail={"rows": len(ids), "ids": ids})
            for verb, ids in (("create", gone), ("delete", back)) if ids
        ])  # fmt: skip
    return len(gone)


def _erase(queryset: models.QuerySet[Any]) -> Counter[str]:
    """Delete the rows (their dependants go by cascade, encrypted fields with their rows) and name each by id.

    A plain QuerySet, not the model's AuditedQuerySet: the events are written here, the same way for every model,
    the rows' students read before they go."""
    model = queryset.model
    ids = list(queryset.values_list("pk", flat=True))
    if not ids:
        return Counter()
    audit.append(audit.entries_for(model, ids, verb="delete"))
    _total, counts = models.QuerySet(model).filter(pk__in=ids).delete()
    return Counter({label: n for label, n in counts.items() if n})


def _erase_district(district_id: int, today: dt.date) -> Counter[str]:
    policy = policy_for(district_id)

    def gone(months: int) -> models.QuerySet[Student, dict[str, Any]]:
        """The district's students first seen gone more than `months` ago (kept through that day, erased after)."""
        return (
            Student.objects.filter(
                school__district_id=district_id, departure__noticed_on__lt=months_before(today, months)
            )
            .exclude(status=StudentStatus.ACTIVE)
            .values("pk")
        )

    erased: Counter[str] = Counter()
    # One district at a time, its row locked: a second run waits for the first, then finds nothing left to do.
    with audit.atomic(), audit.context(retention=True):
        list(District.objects.select_for_update(no_key=True).filter(pk=district_id).values_list("pk"))
        erased += _erase(Participation.objects.filter(student__in=gone(policy.screening_months)))
        cases = gone(policy.case_months)
        # Incidents protect their case: they go first, the district's copy of the case going with it.
        erased += _erase(Incident.objects.filter(case__student__in=cases))
        erased += _erase(Case.objects.filter(student__in=cases))
        counseled = gone(policy.session_months)
        erased += _erase(SessionRecord.objects.filter(student__in=counseled))
        erased += _erase(Booking.objects.filter(student__in=counseled))
        erased += _erase(BookingCode.objects.filter(student__in=counseled))
        arrived_before = _day_start(months_before(today, policy.mailbox_months))
        erased += _erase(MailboxMessage.objects.filter(school__district_id=district_id, received_at__lt=arrived_before))
        if erased:
            detail = {"erased": dict(sorted(erased.items())), "periods": policy.periods()}
            audit.append([audit.Entry("retentionpolicy.erase", "portal.district", district_id, detail=detail)])
    return erased


def audit_trim(*, before: dt.datetime) -> int:
    """Erase the audit events written before `before`; return how many went. The trim event goes in first, still
    linked to the newest event: it names the last event to go, its hash and how many went so far, and verify()
    starts from that hash (portal.audit.chain_start). The chain lock comes before the table's, in the order every
    writer takes them."""
    with transaction.atomic():
        portal_sql.audit_chain_lock()
        erased_before, _ = audit.chain_start()
        through = sql.audit_trim_plan(before)
        if through is None:
            return 0
        count, last_id, last_hash = through
        detail = {"through": last_id, "through_hash": last_hash, "erased": count,
                  "erased_total": erased_before + count, "before": before.isoformat()}  # fmt: skip
        audit.append([audit.Entry(audit.TRIMMED, "portal.auditevent", last_id, detail=detail)])
        return sql.audit_trim(last_id)


def erase_due(*, today: dt.date | None = None) -> dict[str, int]:
    """Erase everything whose period has ended; return the counts by model ("crisis.Case": 3). Running it again
    the same day erases nothing."""
    today = today or timezone.localdate()
    noticed = departures_note(today=today)
    erased: Counter[str] = Counter()
    for district_id in District.objects.order_by("pk").values_list("pk", flat=True):
        erased += _erase_district(district_id, today)
    trimmed = audit_trim(before=_day_start(months_before(today, audit_months_in_force())))
    return {"departures_noticed": noticed, **dict(sorted(erased.items())), "portal.AuditEvent": trimmed}
