"""Reads about copies of a child's record (PIPL art. 45): who sees which request, what the copy holds, and the
15-day deadline in words. Every list starts from portal.access.scope_copy_requests.

What a copy holds: the child's school facts, every screening result (instrument, total and result in words, the
tier it suggested), each crisis case's shareable parts (opened, tier, status, closing, the dates and kinds of
contact, referrals to a hospital or centre and their outcome) and the counseling bookings. Never: private or
follow-up notes, the student's answers or the words of a referral, mailbox messages, anyone else's name or
contacts. A guardian's copy leaves out every crisis case while the child's open case bars contact with the family,
and holds the bookings the guardian sees on their own pages (portal.access.scope_bookings): both asked of the rule's
owners each time a copy is prepared, shown or downloaded, never re-implemented here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from counseling.models import Booking, BookingStatus, Channel
from crisis import alerts
from crisis.models import BlockReason, Case, CloseReason, ContactType, FollowUp, ReferralOutcome, ReferralPlace, Status
from portal import access, labels
from portal.access import AnyUser
from portal.models import Student
from portal.models.people import Gender
from privacy.models import COPY_OPEN, CopyRequest, CopyStatus, Requester
from screening import selectors as screening

# --- who sees which request ---------------------------------------------------------------------------------------


def copy_requests_for(user: AnyUser, *, as_staff: bool = False) -> QuerySet[CopyRequest]:
    return access.scope_copy_requests(CopyRequest.objects.all(), user, as_staff=as_staff).select_related(
        "student__school", "student__classroom", "asked_by", "prepared_by", "decided_by"
    )


def open_copy_requests(user: AnyUser) -> list[CopyRequest]:
    """The open requests of the user's schools, soonest deadline first (the copy_open_due index)."""
    return list(copy_requests_for(user, as_staff=True).filter(status__in=COPY_OPEN).order_by("due_on", "pk"))


def copies_of(user: AnyUser, student: Student) -> list[CopyRequest]:
    """One child's requests as this user sees them on the child's page, newest first."""
    return list(copy_requests_for(user).filter(student=student).order_by("-asked_at", "-pk"))


def students_of_my_schools(user: AnyUser) -> QuerySet[Student]:
    """Whose own request a user may record: the students of the schools where they are a leader or counselor."""
    return access.scope_clinical(Student.objects.select_related("school"), user, student_path="")


def is_own_child(user: AnyUser, student: Student) -> bool:
    return student.guardian_links.filter(guardian__user_id=user.pk or 0).exists()


# --- the safeguarding rule, asked of crisis -----------------------------------------------------------------------


def cases_withheld(copy: CopyRequest) -> str:
    """Why a copy leaves out the crisis cases ("" when it does not): a guardian's request while the child's open case
    says the family is not to be contacted (crisis.alerts decides). A student's own request is not held back."""
    if copy.requester != Requester.GUARDIAN:
        return ""
    return alerts.family_contact_refusal(copy.student_id)


def _bookings(copy: CopyRequest, ids: list[int] | None = None) -> QuerySet[Booking]:
    """The child's bookings a copy may hold: for a guardian, those they see on their own pages now."""
    bookings: QuerySet[Booking] = Booking.objects.filter(student_id=copy.student_id)
    if ids is not None:
        bookings = bookings.filter(pk__in=ids)
    if copy.requester == Requester.GUARDIAN:
        bookings = access.scope_bookings(bookings, copy.asked_by, as_parent=True)
    return bookings


# --- the copy as prepared: codes, numbers and dates ---------------------------------------------------------------


def copy_contents(copy: CopyRequest) -> dict[str, Any]:
    """What the copy holds, read now: stored with the request when the counselor prepares it."""
    student = Student.objects.select_related("school", "classroom").get(pk=copy.student_id)
    return {
        "student": {
            "name": student.name, "student_number": student.student_number, "school": student.school.name,
            "classroom": str(student.classroom), "birth_date": student.birth_date.isoformat(),
            "gender": student.gender,
        },
        "screenings": [_screening(r) for r in screening.student_file(student)],
        "cases": [] if cases_withheld(copy) else [_case(c) for c in _cases(student)],
        "bookings": [_booking(b) for b in _bookings(copy).select_related("slot").order_by("slot__starts_at")],
    }  # fmt: skip


def _day(value: dt.datetime | None) -> str:
    return timezone.localdate(value).isoformat() if value else ""


def _screening(response: Any) -> dict[str, Any]:
    campaign = response.participation.campaign
    return {
        "year": campaign.school_year.name, "campaign": campaign.name,
        "instrument": response.instrument.definition.get("name", {}), "version": response.instrument.version,
        "on": _day(response.submitted_at), "total": response.total, "band": response.band,
        "outcome": response.outcome, "positive": response.positive, "valid": response.valid,
        "tier": response.suggested_tier,
    }  # fmt: skip


def _cases(student: Student) -> QuerySet[Case]:
    contacts = FollowUp.objects.only("case_id", "date", "contact_type").order_by("date", "pk")
    return (
        Case.objects.filter(student=student)
        .prefetch_related(Prefetch("follow_ups", queryset=contacts), "outside_referrals")
        .order_by("opened_at")
    )


def _case(case: Case) -> dict[str, Any]:
    return {
        "opened_on": _day(case.opened_at), "status": case.status, "tier": case.tier,
        "confirmed": case.confirmed_tier is not None, "closed_on": _day(case.closed_at),
        "close_reason": case.close_reason,
        "contacts": [[f.date.isoformat(), f.contact_type] for f in case.follow_ups.all()],
        "referrals": [
            {"place": r.place_kind, "organisation": r.organisation, "on": r.referred_on.isoformat(),
             "outcome": r.outcome, "outcome_on": r.outcome_on.isoformat() if r.outcome_on else ""}
            for r in sorted(case.outside_referrals.all(), key=lambda r: (r.referred_on, r.pk))
        ],
    }  # fmt: skip


def _booking(booking: Booking) -> dict[str, Any]:
    starts = timezone.localtime(booking.slot.starts_at)
    return {"id": booking.pk, "at": starts.strftime("%Y-%m-%d %H:%M"), "status": booking.status,
            "channel": booking.channel}  # fmt: skip


# --- the copy in words: the staff's preview and the family's PDF show the same tables ------------------------------


@dataclass
class Table:
    heading: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    empty: str = ""


@dataclass
class Copy:
    title: str
    facts: list[tuple[str, str]]
    tables: list[Table]
    notes: list[str]
    withheld: str  # for the staff's preview only: why the cases are left out, in words ("" when they are not)


def _word(choices: Any, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return "—"


def _result(s: dict[str, Any]) -> str:
    if s["band"]:
        words = labels.band(s["band"])
    elif s["outcome"]:
        words = labels.outcome(s["outcome"])
    elif s["positive"] is not None:
        words = _("Above the cut-off") if s["positive"] else _("Below the cut-off")
    else:
        words = "—"
    return f"{words} ({_('not valid')})" if s["valid"] is False else words


def shown(copy: CopyRequest, contents: dict[str, Any] | None = None) -> Copy:
    """The copy as its reader sees it, in the active language. The safeguarding rule and the guardian's view of the
    bookings are asked again now: a flag set after the copy was prepared still keeps the cases out."""
    data = copy.contents if contents is None else contents
    person = data.get("student", {})
    withheld = cases_withheld(copy)
    zh = (get_language() or "").startswith("zh")
    screenings = Table(
        _("Screening results"),
        [_("School year"), _("Screening"), _("Questionnaire"), _("Completed on"), _("Total"), _("Result"),
         _("Suggested tier")],
        [[s["year"], s["campaign"], str(s["instrument"].get("zh_hans" if zh else "en") or s["instrument"].get("en")
          or _("Unnamed questionnaire")), s["on"] or "—", "—" if s["total"] is None else str(s["total"]),
          _result(s), labels.tier(s["tier"])] for s in data.get("screenings", [])],
        _("No screening yet."),
    )  # fmt: skip
    tables = [screenings]
    cases = [] if withheld else data.get("cases", [])
    if cases:  # no table at all when there is none to show: an empty one would tell a withheld case from none
        tables.append(Table(
            _("Records of concern"),
            [_("Opened on"), _("Tier"), _("Status"), _("Closed"), _("Contacts"), _("Referred to")],
            [[c["opened_on"], labels.tier(c["tier"]) + ("" if c["confirmed"] else f" ({_('suggested')})"),
              _word(Status, c["status"]),
              f"{c['closed_on']} · {_word(CloseReason, c['close_reason'])}" if c["closed_on"] else "—",
              "; ".join(f"{on} {_word(ContactType, kind)}" for on, kind in c["contacts"]) or "—",
              "; ".join(f"{r['on']} {_word(ReferralPlace, r['place'])} {r['organisation']}: "
                        f"{_word(ReferralOutcome, r['outcome'])}" for r in c["referrals"]) or "—"]
             for c in cases],
        ))  # fmt: skip
    bookings = data.get("bookings", [])
    if copy.requester == Requester.GUARDIAN and bookings:
        still = set(_bookings(copy, [b["id"] for b in bookings]).values_list("pk", flat=True))
        bookings = [b for b in bookings if b["id"] in still]
    tables.append(Table(
        _("Counseling bookings"), [_("Time"), _("Booked through"), _("Status")],
        [[b["at"], _word(Channel, b["channel"]), _word(BookingStatus, b["status"])] for b in bookings],
        _("No booking."),
    ))  # fmt: skip
    facts = [
        (_("Name"), person.get("name", "")), (_("Student number"), person.get("student_number", "")),
        (_("School"), person.get("school", "")), (_("Class"), person.get("classroom", "")),
        (_("Gender"), _word(Gender, person.get("gender", ""))), (_("Birth date"), person.get("birth_date", "")),
    ]  # fmt: skip
    if copy.prepared_at:
        facts.append((_("Prepared on"), _day(copy.prepared_at)))
    if copy.status == CopyStatus.APPROVED and copy.decided_at:
        facts.append((_("Approved on"), _day(copy.decided_at)))
    return Copy(
        title=_("Copy of the personal information the school holds about %(name)s") % {"name": person.get("name")},
        facts=facts, tables=tables, withheld=_word(BlockReason, withheld) if withheld else "",
        notes=[
            _("This copy is made under article 45 of the Personal Information Protection Law."),
            _("It never holds counselors' notes, the student's own answers or words, messages to the school's "
              "mailbox, or anyone else's personal information."),
            _("Where the law allows, the school leaves out records whose release could put the child at risk."),
        ],
    )  # fmt: skip


# --- the 15-day deadline and the status, in words ----------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    text: str
    overdue: bool


def deadline(copy: CopyRequest, today: dt.date | None = None) -> Deadline | None:
    """How the request stands against its deadline (None once it is answered)."""
    if not copy.is_open:
        return None
    today = today or timezone.localdate()
    days = (copy.due_on - today).days
    date = copy.due_on.isoformat()
    if days < 0:
        late = ngettext(
            "Overdue by %(days)s day (it was due %(date)s)", "Overdue by %(days)s days (it was due %(date)s)", -days
        )
        return Deadline(late % {"days": -days, "date": date}, True)
    if days == 0:
        return Deadline(_("Due today (%(date)s)") % {"date": date}, False)
    text = ngettext("Due in %(days)s day (by %(date)s)", "Due in %(days)s days (by %(date)s)", days)
    return Deadline(text % {"days": days, "date": date}, False)


def family_status(copy: CopyRequest) -> str:
    """The status a parent reads. A request held for safeguarding reads like any other being prepared: telling the
    family it is held would tell them of the flag."""
    if copy.status in (CopyStatus.HELD, CopyStatus.REQUESTED):
        return _("Received: the school is preparing the copy")
    if copy.status == CopyStatus.PREPARED:
        return _("Prepared: the school's leader is checking it")
    if copy.status == CopyStatus.APPROVED:
        return _("Ready to download")
    return _("Refused")
