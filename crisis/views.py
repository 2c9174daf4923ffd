"""Pages of the crisis ledger: the high-risk list, the case page and its actions, a teacher's referral."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crisis import selectors, services, timers
from crisis.forms import (
    AssignForm,
    CloseForm,
    ConfirmTierForm,
    DrillForm,
    FollowUpForm,
    GuardianContactForm,
    IncidentForm,
    NoticeContactForm,
    OutcomeForm,
    OutsideReferralForm,
    PlanForm,
    ReferralForm,
    StatusForm,
)
from crisis.models import Case, CaseUserObjectPermission, EmergencyPlan, Incident, Status
from portal import access, audit
from portal.exports import xlsx_response
from portal.models import School
from portal.views import AuthedRequest


def _case(request: AuthedRequest, pk: int, *, manage: bool = True, assess: bool = False) -> Case:
    """The case, if the user may act on it. Assessing, notifying, referring and closing are the school's;
    an assigned district responder may read the case and log follow-ups (manage=False); a responder sent to the
    school's queue may also assess its cases awaiting assessment (assess=True)."""
    if assess:
        cases = selectors.cases_assessable(request.user)
    else:
        cases = selectors.cases_for(request.user) if manage else selectors.cases_readable(request.user)
    return access.get_or_404(cases, pk=pk)


@login_required
@never_cache
@require_safe
def ledger(request: AuthedRequest) -> HttpResponse:
    access.require(access.is_school_staff(request.user))
    pending = selectors.pending_list(request.user)
    return render(
        request,
        "crisis/ledger.html",
        {"rows": selectors.high_risk_list(request.user), "pending": pending, "tally": timers.tally(pending)},
    )


@login_required
@never_cache
@require_safe
def case_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, manage=False)
    timeline = selectors.case_timeline(case)
    audit.record_view(case, timeline_shown=len(timeline))
    manages = case.student.school_id in access.roles_of(request.user).staff_school_ids
    return render(
        request,
        "crisis/case.html",
        {
            "case": case,
            "timeline": timeline,
            "manages": manages,
            "outside_referrals": case.outside_referrals.all(),
            "refer_out_form": OutsideReferralForm(),
            "outcome_form": OutcomeForm(),
            "confirm_form": ConfirmTierForm(initial={"tier": case.tier}),
            "follow_up_form": FollowUpForm(),
            "status_form": StatusForm(initial={"status": case.status}),
            "close_form": CloseForm(),
            "incident_form": IncidentForm(),
            "contact_form": GuardianContactForm(initial={"reason": case.guardian_contact_blocked}),
            "notices": case.notices.select_related("guardian", "leader"),
            "closed": case.status == Status.CLOSED,
            "on_call": not manages and access.may_take_on(request.user, case.pk),
            "assesses": not manages and selectors.cases_assessable(request.user).filter(pk=case.pk).exists(),
        },
    )


def _act(
    request: AuthedRequest, pk: int, form_class, action, *, manage: bool = True, assess: bool = False
) -> HttpResponse:  # type: ignore[no-untyped-def]
    case = _case(request, pk, manage=manage, assess=assess)
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("crisis:case", pk=pk)
    try:
        action(case, form.cleaned_data)
    except services.AlreadyRecorded:
        messages.error(request, _("This was recorded already."))
    except services.CaseNotAssessed:
        messages.error(request, _("Assess the case (confirm its tier) first."))
    except services.CaseStateError:
        messages.error(request, _("This case is closed: it can no longer be changed."))
    except ValueError:
        messages.error(request, _("That date is before the referral was made."))
    else:
        messages.success(request, _("Saved."))
    return redirect("crisis:case", pk=pk)


@login_required
@require_POST
def case_confirm(request: AuthedRequest, pk: int) -> HttpResponse:
    def confirm(case: Case, data: dict) -> None:  # type: ignore[type-arg]
        services.case_confirm_tier(case=case, tier=data["tier"], by=request.user)

    return _act(request, pk, ConfirmTierForm, confirm, assess=True)


@login_required
@require_POST
def case_follow_up(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, FollowUpForm, lambda case, data: services.follow_up_log(case=case, by=request.user, **data),
        manage=False,
    )  # fmt: skip


@login_required
@require_POST
def case_status(request: AuthedRequest, pk: int) -> HttpResponse:
    def set_status(case: Case, data: dict) -> None:  # type: ignore[type-arg]
        services.case_set_status(case=case, status=data["status"], by=request.user)

    return _act(request, pk, StatusForm, set_status)


@login_required
@require_POST
def case_close(request: AuthedRequest, pk: int) -> HttpResponse:
    def close(case: Case, data: dict) -> None:  # type: ignore[type-arg]
        services.case_close(case=case, reason=data["reason"], by=request.user)

    return _act(request, pk, CloseForm, close)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def refer(request: AuthedRequest) -> HttpResponse:
    """A class teacher refers a student of their class; they see that it arrived, never the case."""
    access.require(access.roles_of(request.user).is_staff_member)
    students = (
        access.referral_students(request.user)
        .select_related("classroom")
        .order_by("classroom__grade", "classroom__name", "name")
    )
    form = ReferralForm(request.POST or None, students=students)
    if request.method == "POST" and form.is_valid():
        services.referral_create(
            student=form.cleaned_data["student"],
            referred_by=request.user,
            concern=form.cleaned_data["concern"],
            via_peer_supporter=form.cleaned_data["via_peer_supporter"],
        )
        messages.success(
            request, _("Thank you. The school's counselors have received your referral and will follow it up.")
        )
        return redirect("crisis:refer")
    return render(request, "crisis/refer.html", {"form": form})


@login_required
@require_POST
def case_guardian_contact(request: AuthedRequest, pk: int) -> HttpResponse:
    """Turn "do not contact guardians automatically" on (with a reason) or off."""

    def block(case: Case, data: dict) -> None:  # type: ignore[type-arg]
        services.case_block_guardian_contact(case=case, reason=data["reason"], by=request.user)

    return _act(request, pk, GuardianContactForm, block)


@login_required
@require_POST
def notice_contact(request: AuthedRequest, pk: int, notice_pk: int) -> HttpResponse:
    """Record a phone call or meeting with the family (it acknowledges the notice)."""
    case = _case(request, pk)
    notice = access.get_or_404(case.notices.all(), pk=notice_pk)
    form = NoticeContactForm(request.POST)
    if form.is_valid():
        try:
            services.notice_record_contact(notice=notice, by=request.user, **form.cleaned_data)
        except services.CaseStateError:
            messages.error(request, _("This notice was acknowledged already."))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Choose how you reached the family and write the outcome."))
    return redirect("crisis:case", pk=pk)


@never_cache
@require_http_methods(["GET", "POST"])
def acknowledge(request: HttpRequest, token: str) -> HttpResponse:
    """The guardian's link: no login; valid once, until it expires. Shows no clinical detail."""
    try:
        notice = services.notice_for_token(token)
        if request.method == "POST":
            notice = services.notice_acknowledge(token=token)
            return render(request, "crisis/acknowledged.html", {"notice": notice})
    except services.AckRefused as refused:
        return render(request, "crisis/ack_refused.html", {
            "reason": refused.reason, "notice": refused.notice, "hotline": settings.HELP_HOTLINE,
            "counselor": refused.notice.case.owner if refused.notice else None,
        }, status=410)  # fmt: skip
    counselor = notice.case.owner
    return render(request, "crisis/acknowledge.html", {"notice": notice, "counselor": counselor})


@login_required
@never_cache
@require_safe
def incidents(request: AuthedRequest) -> HttpResponse:
    """Incidents and major cases reported to the district (officials), or by the school (its staff)."""
    access.require(access.sees_district_reports(request.user))
    rows = list(selectors.incidents_for(request.user)[:200])
    audit.record_read(Incident, [row.pk for row in rows], detail={"via": "list"})
    district_ids = access.roles_of(request.user).district_ids
    pool = selectors.responder_pool(district_ids)
    return render(request, "crisis/incidents.html", {
        "incidents": rows, "district_ids": district_ids,
        "assign_form": AssignForm(pool=pool) if district_ids else None,
    })  # fmt: skip


@login_required
@require_POST
def case_refer_out(request: AuthedRequest, pk: int) -> HttpResponse:
    """Refer the case to a hospital or mental-health centre (an assessed case only)."""

    def refer_out(case: Case, data: dict) -> None:  # type: ignore[type-arg]
        services.outside_referral_create(case=case, by=request.user, **data)

    return _act(request, pk, OutsideReferralForm, refer_out)


@login_required
@require_POST
def referral_outcome(request: AuthedRequest, pk: int, referral_pk: int) -> HttpResponse:
    # Another case's referral is "not found" whatever the form holds, as for notices (notice_contact).
    access.get_or_404(_case(request, pk).outside_referrals.all(), pk=referral_pk)

    def record(case: Case, data: dict) -> None:  # type: ignore[type-arg]
        referral = access.get_or_404(case.outside_referrals.all(), pk=referral_pk)
        services.outside_referral_outcome(referral=referral, by=request.user, **data)

    return _act(request, pk, OutcomeForm, record)


@login_required
@require_POST
def incident_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    """An official assigns members of the district's crisis team or expert pool to a reported incident."""
    incident = access.get_or_404(selectors.incidents_for(request.user), pk=pk)
    district_id = incident.case.student.school.district_id
    access.require(access.is_official_of(request.user, district_id))
    form = AssignForm(request.POST, pool=selectors.responder_pool(frozenset({district_id})))
    if form.is_valid():
        count = services.incident_assign(incident=incident, responders=list(form.cleaned_data["responders"]),
                                         days=form.cleaned_data["days"], by=request.user)  # fmt: skip
        messages.success(request, ngettext("%(count)d responder assigned.", "%(count)d responders assigned.",
                                           count) % {"count": count})  # fmt: skip
    else:
        messages.error(request, _("Choose at least one responder and a number of days from 1 to %(max)d.")
                       % {"max": settings.CRISIS_GRANT_MAX_DAYS})  # fmt: skip
    return redirect("crisis:incidents")


@login_required
@require_POST
def grant_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    """End a responder's access to a case before it expires."""
    roles = access.roles_of(request.user)
    grant = access.get_or_404(
        CaseUserObjectPermission.objects.filter(content_object__student__school__district_id__in=roles.district_ids),
        pk=pk,
    )
    services.grant_revoke(grant=grant, by=request.user)
    messages.success(request, _("Access ended."))
    return redirect("crisis:incidents")


@login_required
@never_cache
@require_safe
def assignments(request: AuthedRequest) -> HttpResponse:
    """A district responder's cases, while their access lasts."""
    access.require(bool(access.roles_of(request.user).responder_district_ids))
    return render(request, "crisis/assignments.html", {
        "grants": selectors.assignments_for(request.user), "queues": selectors.queues_for(request.user),
    })  # fmt: skip


@login_required
@require_POST
def case_incident(request: AuthedRequest, pk: int) -> HttpResponse:
    def report(case: Case, data: dict) -> None:  # type: ignore[type-arg]
        services.incident_report(case=case, by=request.user, **data)

    return _act(request, pk, IncidentForm, report)


def _own_school(request: AuthedRequest) -> School:
    schools = access.roles_of(request.user).staff_school_ids
    access.require(bool(schools))
    return School.objects.filter(pk__in=schools).order_by("name").first()  # type: ignore[return-value]


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def preparedness(request: AuthedRequest) -> HttpResponse:
    """Emergency plans and drills: a school keeps its own; the district sees who has not drilled this term."""
    access.require(access.sees_district_reports(request.user))
    is_staff = access.is_school_staff(request.user)
    plan_form = PlanForm(request.POST or None, request.FILES or None) if "version" in request.POST else PlanForm()
    drill_form = DrillForm(request.POST or None) if "scenario" in request.POST else DrillForm()
    if request.method == "POST":
        school = _own_school(request)
        if "version" in request.POST and plan_form.is_valid():
            services.plan_upload(school=school, by=request.user, **plan_form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("crisis:preparedness")
        if "scenario" in request.POST and drill_form.is_valid():
            services.drill_record(school=school, by=request.user, **drill_form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("crisis:preparedness")
    return render(
        request,
        "crisis/preparedness.html",
        {"rows": selectors.preparedness(request.user), "is_staff": is_staff, "plan_form": plan_form,
         "drill_form": drill_form},
    )  # fmt: skip


@login_required
@require_safe
def plan_download(request: AuthedRequest, pk: int) -> FileResponse:
    access.require(access.sees_district_reports(request.user))
    visible = access.scope_schools(School.objects.all(), request.user).values("pk")
    plan = access.get_or_404(EmergencyPlan.objects.filter(school__in=visible), pk=pk)
    return FileResponse(plan.document.open("rb"), as_attachment=True, filename=plan.document.name.rsplit("/", 1)[-1])


@login_required
@never_cache
@require_safe
def ledger_export(request: AuthedRequest) -> HttpResponse:
    """The school's own ledger as XLSX: open cases with tier, status, owner and follow-up dates (no notes)."""
    access.require(access.is_school_staff(request.user))
    cases = list(selectors.cases_for(request.user).exclude(status=Status.CLOSED).order_by("student__classroom__grade"))
    due = {row.case.pk: row for row in selectors.high_risk_list(request.user)}
    audit.record_read(Case, [case.pk for case in cases], verb="export", detail={"format": "xlsx"})
    header = [_("School"), _("Class"), _("Student number"), _("Student"), _("Tier"), _("Status"), _("Source"),
              _("Owner"), _("Opened at"), _("Last contact"), _("Next follow-up")]  # fmt: skip
    rows = []
    for case in cases:
        row = due.get(case.pk)
        tier = case.get_confirmed_tier_display() if case.confirmed_tier else case.get_suggested_tier_display()
        rows.append([
            case.student.school.name, str(case.student.classroom), case.student.student_number, case.student.name,
            str(tier), str(case.get_status_display()), str(case.get_source_display()),
            (case.owner.get_full_name() or case.owner.username) if case.owner else "",
            timezone.localtime(case.opened_at).date(), row.last_contact if row else None, row.next_due if row else None,
        ])  # fmt: skip
    return xlsx_response("crisis-register.xlsx", _("Crisis register"), header, rows)
