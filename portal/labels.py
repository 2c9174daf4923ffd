"""Words for codes, in one place: instruments, score bands, ASQ outcomes, validity flags, tiers, roles, people and
audit events, in the active language (UX rule 3: words, never codes; a person by their full name, never the
account's username).

Words another app already defines stay there and are read from it when asked (the crisis ledger's tiers,
screening's validity flags, each model's verbose name): portal imports no app when it loads, and no word is
written twice. The crisis_words template filters (tier_words, flag_words) say the same through the same
choices. Templates reach these through the `words` library (portal/templatetags/words.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from portal.models import Role

# Score bands of the sum-scored instruments (screening/instruments/*.toml [scoring] bands). PHQ-9: Kroenke,
# Spitzer, Williams 2001; GAD-7: Spitzer et al. 2006. The same names mean the same words on every instrument.
BANDS = {
    "minimal": _("Minimal"),
    "mild": _("Mild"),
    "moderate": _("Moderate"),
    "moderately_severe": _("Moderately severe"),
    "severe": _("Severe"),
}

# The ASQ's result (screening.scoring._score_asq; NIMH ASQ toolkit: "non-acute positive" needs a brief safety
# assessment before the student leaves, "acute positive" an immediate one).
OUTCOMES = {
    "negative": _("Negative screen"),
    "non_acute_positive": _("Positive screen, not acute"),
    "acute_positive": _("Positive screen, acute: keep the student safe now"),
}

# Who acted, as the audit log recorded it (portal.audit.role_label): the roles of portal.models.Role, and these.
OTHER_ROLES = {
    "parent": _("Parent"),
    "anonymous": _("Not signed in (a code or a link)"),
    "system": _("The system (a scheduled task)"),
    "platform_admin": _("Platform operator"),
    "none": _("No role"),
}

# Audit verbs (the part after the dot of AuditEvent.action), each a sentence about the record: %(thing)s is the
# model's verbose name ("session record", "crisis case"). A verb not listed still reads as a sentence (ACTED).
VERBS = {
    "view": _("opened the %(thing)s"),
    "create": _("created the %(thing)s"),
    "update": _("changed the %(thing)s"),
    "bulk_update": _("changed the %(thing)s"),
    "delete": _("deleted the %(thing)s"),
    "transfer": _("moved the %(thing)s to another school"),
    "export": _("exported the %(thing)s"),
    "print_code": _("printed the class's screening codes"),
    "print_booking_code": _("printed the class's booking codes"),
    "submit": _("submitted the %(thing)s"),
    "complete": _("finished the %(thing)s"),
    "import": _("typed in the %(thing)s from a paper form"),
    "open": _("started the %(thing)s"),
    "close": _("closed the %(thing)s"),
    "confirm_tier": _("confirmed the tier of the %(thing)s"),
    "acknowledge": _("recorded that the %(thing)s was acknowledged"),
    "send": _("sent the %(thing)s"),
    "escalate": _("escalated the %(thing)s: it was not acknowledged in time"),
    "withhold": _("held back the %(thing)s"),
    "grant": _("gave a crisis responder access to the case"),
    "revoke": _("ended a crisis responder's access to the case"),
    "expire": _("ended a crisis responder's access to the case when it expired"),
    "guardian_contact_block": _("recorded why the guardian is not to be contacted"),
    "first_contact_overdue": _("raised the alarm: the first contact is overdue"),
    "on_call_take_on": _("took the case on while on call"),
    "share_notes": _("shared the private notes of the %(thing)s with a colleague"),
    "break_glass": _("read the private notes of the %(thing)s in an emergency (break glass)"),
    "refused": _("was refused access"),
    # privacy.CopyRequest: a copy of the student's record (PIPL art. 45)
    "ask": _("asked for a copy of the student's record"),
    "prepare": _("prepared the copy of the student's record"),
    "release": _("let the request for a copy go ahead despite the safeguarding flag"),
    "approve": _("approved the copy of the student's record"),
    "refuse": _("refused the request for a copy of the student's record"),
    "download": _("downloaded the copy of the student's record"),
}
ACTED = _("recorded an action on the %(thing)s")
LISTED = _("saw this student in a list of %(things)s")
# The student row itself reads as their record; other models by their verbose name.
THINGS = {"portal.student": (_("student's record"), _("students"))}
A_RECORD = (_("record"), _("records"))
CJK = re.compile(r"[\u3400-\u9fff]")


def band(code: str) -> str:
    return str(BANDS.get(code, _("Other result")))


def outcome(code: str) -> str:
    return str(OUTCOMES.get(code, _("Other result")))


def flag(code: str) -> str:
    """An answer-validity flag of a screening result (screening.models.ReviewFlag)."""
    from screening.models import ReviewFlag  # imported when asked: portal loads without screening

    try:
        return str(ReviewFlag(code).label)
    except ValueError:
        return str(_("Answers to check"))


def tier(value: Any) -> str:
    """A tier in the ledger's words (crisis.models.Tier: 严重（二级）), never a bare digit."""
    from crisis.models import Tier  # imported when asked: portal loads without crisis

    try:
        return str(Tier(int(value)).label)
    except (TypeError, ValueError):
        return str(_("No tier suggested")) if value in (None, "", 0, "0") else str(_("Unknown tier"))


def instrument(obj: Any, *, version: bool = False) -> str:
    """An instrument (a screening.Instrument row or its parsed Definition) by the name its definition gives it:
    "患者健康问卷（PHQ-9）", or "患者健康问卷（PHQ-9） (2.0.0)" with its version; never its code."""
    names = obj.definition.get("name", {}) if isinstance(getattr(obj, "definition", None), dict) else obj.name
    zh = (get_language() or "").startswith("zh")
    name = str(names.get("zh_hans" if zh else "en") or names.get("en") or _("Unnamed questionnaire"))
    return f"{name} ({obj.version})" if version else name


def role(codes: str) -> str:
    """One role or the audit log's comma-separated roles, in words."""
    known = dict(Role.choices) | OTHER_ROLES
    return " · ".join(str(known.get(code.strip(), _("Other role"))) for code in codes.split(",") if code.strip())


def person(user: Any) -> str:
    """A person by their full name, never the account's username. A Chinese name is written family name first
    and without a space (王芳), in either language; any other name as given ("Zhi Ban")."""
    if user is None:
        return str(_("Nobody"))
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    name = f"{last}{first}" if CJK.search(first + last) else f"{first} {last}".strip()
    return name or gettext("Account no. %(id)s (no name on record)") % {"id": user.pk}


def people(user_ids: Iterable[int | None]) -> dict[int, str]:
    """Full names of many people in one query (the audit log keeps ids, not people)."""
    ids = {i for i in user_ids if i is not None}
    users = apps.get_model("portal", "User").objects.filter(pk__in=ids).only("first_name", "last_name")
    return {u.pk: person(u) for u in users}


def _thing(object_type: str) -> tuple[str, str]:
    if object_type in THINGS:
        one, many = THINGS[object_type]
        return str(one), str(many)
    try:
        meta = apps.get_model(object_type)._meta
    except (LookupError, ValueError):
        return str(A_RECORD[0]), str(A_RECORD[1])
    return str(meta.verbose_name), str(meta.verbose_name_plural)


def audit_event(event: Any) -> str:
    """What an audit event (portal.AuditEvent) recorded, as a sentence: "王芳 opened the session record", "李明 saw
    this student in a list of bookings". The subject is event.who (a full name, set by the page that lists the
    events: see people()), or the role the event recorded when it has no person (a task, a code)."""
    verb = event.action.rpartition(".")[2]
    one, many = _thing(event.object_type)
    if event.object_id == "list":
        what = str(LISTED) % {"things": many}
    else:
        what = str(VERBS.get(verb, ACTED)) % {"thing": one}
    if verb == "confirm_tier" and isinstance(event.detail, dict) and "tier" in event.detail:
        what = f"{what}: {tier(event.detail['tier'])}"
    who = getattr(event, "who", None) or role(event.role)
    return gettext("%(who)s %(what)s.") % {"who": who, "what": what}
