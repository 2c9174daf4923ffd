"""Pages of screening: the student's form (no account, a code), the guardian's consent, the staff's campaigns."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from counseling.models import SessionRecord
from portal import access, audit
from portal.models import District, Role, Student, User
from portal.security import code_tries_exhausted, code_try_failed
from portal.selectors import school_staff
from portal.views import AuthedRequest
from screening import changes, selectors, services
from screening.forms import CampaignForm, CodeForm, PaperImportForm, PolicyForm
from screening.models import CampaignStatus, Participation, Response, ResponseStatus
from screening.paper import paper_error

SESSION_KEY = "screening_participation"

REFUSALS = {
    "unknown": gettext_lazy("This code is not known. Check it with your teacher and try again."),
    "not_open": gettext_lazy("This screening is not open at the moment."),
    "completed": gettext_lazy("This code has been used to finish the questionnaire. Thank you!"),
    "refused": gettext_lazy("Your family has chosen not to take part this time. You do not need to do anything."),
    "no_consent": gettext_lazy("We are still waiting for your family's consent. Please try again later."),
    "too_many": gettext_lazy("Too many tries. Please wait a few minutes, or ask your teacher for help."),
    "bad_link": gettext_lazy("This link is not valid. Please use the link in the school's message."),
    "closed": gettext_lazy("This screening has closed."),
    "started": gettext_lazy("The questionnaire has already been started, so the answer can no longer be changed."),
    "bad_answer": gettext_lazy("Please choose one of the answers."),
    "answered": gettext_lazy("This question was answered already."),
    "not_previous": gettext_lazy("Only the answer to the previous question can be changed."),
    "not_draft": gettext_lazy("This campaign has already been opened."),
    "unknown_instrument": gettext_lazy("This instrument is not loaded."),
    "incompatible": gettext_lazy(
        "The newest definition asks different items or answers: it cannot re-score forms given with the old one."
    ),
    "rescore_running": gettext_lazy("A re-scoring of this instrument is already running."),
}


@never_cache
@require_http_methods(["GET", "POST"])
def take(request: HttpRequest) -> HttpResponse:
    """A student types the code from their class's sheet (no account), on a school PC or a phone."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if code_tries_exhausted(request, "screening-code-fail", code=form.cleaned_data["code"]):
            form.add_error("code", REFUSALS["too_many"])
        else:
            try:
                participation = services.participation_for_code(form.cleaned_data["code"])
            except services.Refused as refused:
                if refused.code == "unknown":
                    code_try_failed(request, "screening-code-fail", code=form.cleaned_data["code"])
                form.add_error("code", REFUSALS[refused.code])
            else:
                request.session.cycle_key()  # a shared school PC: a fresh session per student
                request.session[SESSION_KEY] = participation.pk
                return redirect("screening:question")
    if request.method == "GET":
        request.session.pop(SESSION_KEY, None)  # back at the start: a finished form is no longer open to change
    return render(request, "screening/take.html", {"form": form})


def _participation(request: HttpRequest) -> Participation | None:
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    participation = (
        Participation.objects.select_related("campaign", "student__classroom", "student__school").filter(pk=pk).first()
    )
    if participation is None or participation.completed_at is not None:
        return participation
    try:  # the campaign may have closed, or consent been withdrawn, since the code was typed
        services.participation_for_code(participation.code)
    except services.Refused:
        request.session.pop(SESSION_KEY, None)
        return None
    return participation


@never_cache
@require_http_methods(["GET", "POST"])
def question(request: HttpRequest) -> HttpResponse:
    """One question per screen; every answer is saved as it is given, so the form resumes with the code."""
    participation = _participation(request)
    if participation is None:
        return redirect("screening:take")
    going_back = "back" in request.GET or request.POST.get("item", "").startswith("change:")
    if participation.completed_at is not None and not (going_back and changes.may_change_after_finish(participation)):
        return redirect("screening:done")
    if going_back:
        return _change(request, participation)
    return _ask(request, participation, "self", redirect_to="screening:question", done="screening:done")


def _change(request: HttpRequest, participation: Participation) -> HttpResponse:
    """The previous question again, its answer marked, to change it: one step back, no further."""
    step = services.previous_step(participation)
    key = f"change:{step.instrument.pk}:{step.item}" if step else ""
    if step is None or (request.method == "POST" and request.POST.get("item") != key):
        return redirect("screening:question")  # nothing to go back to, or a stale tab: the current question
    if request.method == "POST":
        try:
            changed = changes.answer_change(participation=participation, instrument=step.instrument, item=step.item,
                                            value=_value(request.POST.get("value", "")))  # fmt: skip
        except services.Refused as refused:
            messages.error(request, REFUSALS[refused.code])
        else:
            if changed:
                messages.success(request, _("Your answer has been changed."))
        return redirect("screening:question")
    return _question_page(request, participation, step, "self", key)


def _value(raw: str) -> int | None:
    return None if raw == "skip" else int(raw) if raw.isascii() and raw.isdecimal() else -1


@never_cache
@require_http_methods(["GET", "POST"])
def parent_form(request: HttpRequest, token: str) -> HttpResponse:
    """The guardian's own questionnaire about their child (parent-report instruments), from their link."""
    try:
        participation = services.participation_for_parent_token(token)
    except services.Refused as refused:
        return render(request, "screening/consent_refused.html", {"reason": REFUSALS[refused.code]}, status=410)
    return _ask(request, participation, "parent", redirect_to=("screening:parent_form", token), done=None)


def _ask(request: HttpRequest, participation: Participation, informant: str, *, redirect_to, done) -> HttpResponse:  # type: ignore[no-untyped-def]
    step = services.next_step(participation, informant)
    target = redirect(*redirect_to) if isinstance(redirect_to, tuple) else redirect(redirect_to)
    if step is None:
        if done:
            return redirect(done)
        return render(request, "screening/parent_done.html",
                      {"participation": participation, "hotline": settings.HELP_HOTLINE})  # fmt: skip
    if request.method == "POST":
        if request.POST.get("item") != f"{step.instrument.pk}:{step.item}":
            # A double tap or a stale tab answered a question no longer on screen: show the current one.
            return target
        value = _value(request.POST.get("value", ""))
        try:
            services.answer_save(participation=participation, instrument=step.instrument, item=step.item,
                                 value=value, informant=informant)  # fmt: skip
        except services.Refused as refused:
            messages.error(request, REFUSALS[refused.code])
        return target
    return _question_page(request, participation, step, informant, f"{step.instrument.pk}:{step.item}")


def _question_page(
    request: HttpRequest, participation: Participation, step: services.Step, informant: str, key: str
) -> HttpResponse:
    zh = (get_language() or "").startswith("zh")
    definition = step.definition
    item = definition.items[step.item - 1]
    options = [(o.value, o.zh_hans if zh else o.en) for o in definition.options]
    changing = key.startswith("change:")
    earlier = next((label for value, label in options if value == step.answer), _("I'd rather not answer"))
    return render(request, "screening/question.html", {
        "step": step, "text": item.zh_hans if zh else item.en,
        "instructions": definition.instructions["zh_hans" if zh else "en"], "options": options,
        "percent": round(100 * step.done / step.total) if step.total else 0,
        "about": participation.student.name if informant == "parent" else "",
        "item_key": key, "changing": changing,
        "earlier": earlier if changing else "",
        # The student's own form only: a guardian's answers are not kept in a change history.
        "can_go_back": informant == "self" and not changing and step.done > 0,
    })  # fmt: skip


@never_cache
@require_safe
def done(request: HttpRequest) -> HttpResponse:
    """The last page, always: where to get help. Never a score."""
    participation = (
        Participation.objects.select_related("student__school").filter(pk=request.session.get(SESSION_KEY)).first()
    )
    school = participation.student.school if participation else None
    counselors = (
        school_staff(school.pk, Role.COUNSELOR).order_by("last_name", "first_name") if school else User.objects.none()
    )
    may_change = bool(participation and changes.may_change_after_finish(participation))
    if participation and participation.completed_at and not may_change:
        request.session.pop(SESSION_KEY, None)  # the next student on this PC starts clean
    hotline = settings.HELP_HOTLINE
    return render(request, "screening/done.html", {
        "school": school, "counselors": counselors, "hotline": format_html('<a href="tel:{0}">{0}</a>', hotline),
        "finished": bool(participation and participation.completed_at), "may_change": may_change,
    })  # fmt: skip


@never_cache
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, token: str) -> HttpResponse:
    """The guardian's answer to the consent request, from the link in their message (no login)."""
    try:
        participation = services.participation_for_consent_token(token)
        if request.method == "POST":
            participation = services.consent_answer(token=token, granted=request.POST.get("answer") == "yes")
            messages.success(request, _("Thank you. Your answer has been recorded."))
            return redirect("screening:consent", token=token)
    except services.Refused as refused:
        return render(request, "screening/consent_refused.html", {"reason": REFUSALS[refused.code]}, status=410)
    batteries = services.battery_for(participation)
    return render(request, "screening/consent.html", {
        "participation": participation, "instruments": [i.parsed.name for i in batteries],
        "zh": (get_language() or "").startswith("zh"),
    })  # fmt: skip


# --- staff ------------------------------------------------------------------------------------------------


@login_required
@never_cache
@require_safe
def campaigns(request: AuthedRequest) -> HttpResponse:
    roles = access.roles_of(request.user)
    access.require(roles.is_official or bool(roles.staff_school_ids))
    districts = District.objects.filter(pk__in=roles.district_ids)
    return render(request, "screening/campaigns.html", {
        "campaigns": selectors.campaigns_listed(request.user), "can_create": districts.exists(),
    })  # fmt: skip


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def policy(request: AuthedRequest) -> HttpResponse:
    """The district's screening policy: consent mode, telling guardians of critical answers, lower cut-offs."""
    district = access.official_district(request.user)
    current = services.policy_for(district.pk)
    definitions = {code: i.parsed for code, i in services.latest_instruments().items()}
    form = PolicyForm(request.POST or None, instance=current, definitions=definitions)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit.append([audit.Entry("screeningpolicy.update", "screening.screeningpolicy", form.instance.pk,
                                  detail={"consent_mode": form.instance.consent_mode,
                                          "guardian_on_critical": form.instance.guardian_on_critical,
                                          "positive_at": form.instance.positive_at})])  # fmt: skip
        messages.success(request, _("Saved."))
        return redirect("screening:policy")
    return render(request, "screening/policy.html", {
        "form": form, "district": district, "instruments": sorted(definitions.values(), key=lambda d: d.code),
    })  # fmt: skip


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def campaign_new(request: AuthedRequest) -> HttpResponse:
    district = access.official_district(request.user)
    instruments = services.latest_instruments()
    form = CampaignForm(request.POST or None, district=district, instruments=instruments)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        campaign = services.campaign_create(
            district=district, school_year=data["school_year"], name=data["name"], schools=data["schools"],
            grade_from=data["grade_from"], grade_to=data["grade_to"], opens_on=data["opens_on"],
            closes_on=data["closes_on"], by=request.user,
            batteries=[services.BatteryPlan(1, 6, tuple(data["battery_primary"])),
                       services.BatteryPlan(7, 12, tuple(data["battery_secondary"]))],
        )  # fmt: skip
        messages.success(request, _("Campaign saved as a draft. Open it when the schools are ready."))
        return redirect("screening:campaign", pk=campaign.pk)
    return render(request, "screening/campaign_new.html", {"form": form})


@login_required
@never_cache
@require_safe
def campaign(request: AuthedRequest, pk: int) -> HttpResponse:
    item = access.get_or_404(selectors.campaigns_for(request.user), pk=pk)
    is_official = access.can_run_campaigns(request.user, item.district_id)
    # Forms the scorer set aside: named for the students' own school, counted by reason for the district.
    unscoreable = [] if is_official else list(selectors.unscoreable(item, request.user)[:200])
    if unscoreable:
        audit.record_read(Response, [r.pk for r in unscoreable], detail={"via": "campaign_unscoreable"})
    return render(request, "screening/campaign.html", {
        "campaign": item, "rows": selectors.progress(item, request.user), "is_official": is_official,
        "classrooms": [] if is_official else selectors.classrooms_for(item, request.user),
        "batteries": item.batteries.select_related("instrument"),
        "latest": services.latest_instruments() if is_official else {},
        "jobs": item.rescore_jobs.select_related("to_instrument")[:10] if is_official else [],
        "unscoreable": unscoreable, "unscoreable_counts": selectors.unscoreable_counts(item) if is_official else [],
    })  # fmt: skip


@login_required
@require_POST
def campaign_open(request: AuthedRequest, pk: int) -> HttpResponse:
    item = access.get_or_404(selectors.campaigns_for(request.user), pk=pk)
    access.require(access.can_run_campaigns(request.user, item.district_id))
    if item.status != CampaignStatus.DRAFT:
        messages.error(request, REFUSALS["not_draft"])
    else:
        from screening.tasks import campaign_open as open_task

        open_task.delay(item.pk, request.user.pk)
        messages.success(request, _("The campaign is opening: codes are being made and guardians asked."))
    return redirect("screening:campaign", pk=pk)


@login_required
@require_POST
def rescore(request: AuthedRequest, pk: int) -> HttpResponse:
    """An official re-scores the campaign's responses to one instrument with its newest definition."""
    item = access.get_or_404(selectors.campaigns_for(request.user), pk=pk)
    access.require(access.can_run_campaigns(request.user, item.district_id))
    try:
        services.rescore_start(campaign=item, code=request.POST.get("code", ""), by=request.user)
    except services.Refused as refused:
        messages.error(request, REFUSALS[refused.code])
    else:
        messages.success(request, _("Re-scoring has started; its progress is shown below."))
    return redirect("screening:campaign", pk=pk)


@login_required
@require_POST
def remind(request: AuthedRequest, pk: int) -> HttpResponse:
    """Remind the class teachers of this school's lagging classes now (also done daily by the workers)."""
    item = access.get_or_404(selectors.campaigns_for(request.user), pk=pk)
    schools = access.roles_of(request.user).staff_school_ids
    access.require(bool(schools))
    sent = services.remind_lagging(campaign=item, school_ids=schools)
    messages.success(request, ngettext("%(count)d class teacher reminded.", "%(count)d class teachers reminded.",
                                       sent) % {"count": sent})  # fmt: skip
    return redirect("screening:campaign", pk=pk)


@login_required
@never_cache
@require_safe
def codes(request: AuthedRequest, pk: int, classroom_pk: int) -> HttpResponse:
    """A class's printable sheet of codes. Codes are keys to children's forms: each print is audited."""
    item = access.get_or_404(selectors.campaigns_for(request.user), pk=pk)
    classroom = access.get_or_404(selectors.classrooms_for(item, request.user), pk=classroom_pk)
    rows = list(selectors.code_sheet(item, classroom))
    audit.record_read(Participation, [r.pk for r in rows], verb="print_code")
    return render(request, "screening/codes.html", {"campaign": item, "classroom": classroom, "rows": rows})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def paper_import(request: AuthedRequest, pk: int) -> HttpResponse:
    """Paper forms typed into a sheet: checked row by row, stored all or nothing, scored like the web form."""
    item = access.get_or_404(selectors.campaigns_for(request.user), pk=pk)
    schools = access.roles_of(request.user).staff_school_ids
    access.require(bool(schools) and item.status == CampaignStatus.OPEN)
    form = PaperImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = services.paper_import(campaign=item, school_ids=schools, content=upload.read())
        if not result.errors:
            messages.success(request, ngettext("%(count)d form stored; it is being scored.",
                                               "%(count)d forms stored; they are being scored.",
                                               result.stored) % {"count": result.stored})  # fmt: skip
            return redirect("screening:campaign", pk=pk)
        # What is wrong with the file as a whole (its size, its kind, its header) beside the field; the rest by row.
        whole = [paper_error(e) for e in result.errors if not e["row"]]
        if whole:
            form.add_error("file", whole)
        errors = [
            _("Row %(row)s: %(message)s") % {"row": e["row"], "message": paper_error(e)}
            for e in result.errors[:200]
            if e["row"]
        ]
    return render(request, "screening/paper_import.html", {"campaign": item, "form": form, "errors": errors})


@login_required
@never_cache
@require_safe
def student_file(request: AuthedRequest, pk: int) -> HttpResponse:
    """The student's psychological file (心理档案): screenings over the years, next to their cases."""
    student = access.get_or_404(access.scope_clinical(Student.objects.all(), request.user, student_path=""), pk=pk)
    responses = list(selectors.student_file(student))
    # The trend: each result against the same instrument's previous one (the list is newest first).
    zh = (get_language() or "").startswith("zh")
    for response in responses:
        response.change = None  # type: ignore[attr-defined]
        response.changed_answers = selectors.changed_answers(response, zh=zh)  # type: ignore[attr-defined]
    previous: dict[str, int | None] = {}
    for response in reversed(responses):
        if response.status == ResponseStatus.UNSCOREABLE:
            continue  # no result: the trend goes from the result before it to the one after
        before = previous.get(response.instrument.code)
        if before is not None and response.total is not None:
            response.change = response.total - before  # type: ignore[attr-defined]
        previous[response.instrument.code] = response.total
    records = selectors.session_records(student, request.user)
    audit.record_view(student, screening_results_shown=len(responses))
    if records:  # summaries (and the notes this reader may read) are shown: the record's own read, too
        audit.record_read(SessionRecord, [r.record.pk for r in records], detail={
            "via": "student_file", "private_notes_shown": [r.record.pk for r in records if r.notes is not None],
        })  # fmt: skip
    cases = student.crisis_cases.order_by("-opened_at")
    return render(request, "screening/student_file.html", {
        "student": student, "responses": responses, "cases": cases, "records": records,
    })  # fmt: skip
