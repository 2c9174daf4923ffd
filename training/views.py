"""Pages of training and staffing: the district's programmes and sessions (its officials), enrolment and
hours (every school's staff), certificates and their public check, staffing and curriculum figures."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from portal import access
from portal.exports import xlsx_response
from portal.models import Classroom, District, School, Student
from portal.views import AuthedRequest
from training import certificates, selectors, services
from training.forms import EpisodeForm, LessonForm, ProgrammeForm, SessionForm, SheetForm
from training.models import (
    Certificate,
    Enrolment,
    ParentEpisode,
    ParentSignup,
    Programme,
    ProgrammeKind,
    TrainingSession,
)

REFUSALS = {
    "started": gettext_lazy("This session has already started."),
    "already": gettext_lazy("You are already enrolled in this session."),
    "not_active": gettext_lazy("This enrolment has already been cancelled."),
}


def _programmes(request: AuthedRequest):  # type: ignore[no-untyped-def]
    return Programme.objects.filter(district_id__in=access.roles_of(request.user).district_ids)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def home(request: AuthedRequest) -> HttpResponse:
    """Officials plan the year's programmes; every school's staff enrol and see their hours and certificates."""
    districts = access.training_districts(request.user)
    access.require(bool(districts))
    roles = access.roles_of(request.user)
    form = (
        ProgrammeForm(request.POST or None, initial={"year": timezone.localdate().year}) if roles.is_official else None
    )
    if request.method == "POST":
        district = access.official_district(request.user)
        if form is not None and form.is_valid():
            programme = form.save(commit=False)
            programme.district = district
            programme.save()
            messages.success(request, _("Saved."))
            return redirect("training:programme", pk=programme.pk)
    upcoming = list(
        TrainingSession.objects.filter(programme__district_id__in=districts, starts_at__gt=timezone.now())
        .select_related("programme")
        .order_by("starts_at")[:50]
    )
    mine = {e.session_id: e for e in Enrolment.objects.filter(user=request.user).exclude(status="cancelled")}
    for item in upcoming:
        item.my = mine.get(item.pk)  # type: ignore[attr-defined]
    year = timezone.localdate().year
    certs = Certificate.objects.filter(user=request.user).select_related("programme")
    return render(request, "training/home.html", {
        "form": form, "programmes": _programmes(request)[:100], "upcoming": upcoming, "mine": mine,
        "hours": selectors.hours_of(request.user.pk), "certificates": certs,
        "figures": [selectors.year_figures(d, year) for d in District.objects.filter(pk__in=roles.district_ids)],
    })  # fmt: skip


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def programme(request: AuthedRequest, pk: int) -> HttpResponse:
    item = access.get_or_404(_programmes(request), pk=pk)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ends = data["starts_at"] + dt.timedelta(minutes=data["minutes"])
        TrainingSession.objects.create(
            programme=item, starts_at=data["starts_at"], ends_at=ends, place=data["place"], online=data["online"],
            capacity=data["capacity"], hours=data["hours"],
        )  # fmt: skip
        messages.success(request, _("Saved."))
        return redirect("training:programme", pk=pk)
    return render(request, "training/programme.html", {
        "programme": item, "sessions": item.sessions.order_by("starts_at"), "form": form,
        "certificates": item.certificates.select_related("user"),
    })  # fmt: skip


@login_required
@require_POST
def certificates_issue(request: AuthedRequest, pk: int) -> HttpResponse:
    item = access.get_or_404(_programmes(request), pk=pk)
    issued = services.certificates_issue(programme=item)
    messages.success(request, ngettext("%(count)s certificate issued.", "%(count)s certificates issued.", issued)
                     % {"count": issued})  # fmt: skip
    return redirect("training:programme", pk=pk)


@login_required
@never_cache
@require_safe
def session(request: AuthedRequest, pk: int) -> HttpResponse:
    """The sign-in sheet: printed, or ticked on a tablet on the day."""
    item = access.get_or_404(TrainingSession.objects.filter(programme__in=_programmes(request)), pk=pk)
    return _session_page(request, item, SheetForm())


def _session_page(request: AuthedRequest, item: TrainingSession, form: SheetForm) -> HttpResponse:
    enrolments = item.enrolments.exclude(status="cancelled").select_related("user").order_by("status", "created_at")
    return render(request, "training/session.html", {"session": item, "enrolments": enrolments, "form": form})


@login_required
@require_POST
def attendance(request: AuthedRequest, pk: int) -> HttpResponse:
    enrolment = access.get_or_404(
        Enrolment.objects.filter(session__programme__in=_programmes(request)).select_related("session"), pk=pk
    )
    services.attendance_mark(enrolment=enrolment, attended=request.POST.get("attended") == "yes")
    return redirect("training:session", pk=enrolment.session_id)


@login_required
@require_POST
def enrol(request: AuthedRequest, pk: int) -> HttpResponse:
    item = access.get_or_404(
        TrainingSession.objects.filter(programme__district_id__in=access.training_districts(request.user)), pk=pk
    )
    try:
        enrolment = services.enrol(session=item, user=request.user)
    except services.Refused as refused:
        messages.error(request, REFUSALS[refused.code])
    else:
        messages.success(
            request,
            _("Enrolled.")
            if enrolment.status == "enrolled"
            else _("The session is full: you are on the waiting list."),
        )
    return redirect("training:home")


@login_required
@require_POST
def enrolment_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    enrolment = access.get_or_404(
        Enrolment.objects.filter(user=request.user).select_related("session__programme"), pk=pk
    )
    try:
        services.enrolment_cancel(enrolment=enrolment)
        messages.success(request, _("The enrolment is cancelled."))
    except services.Refused as refused:
        messages.error(request, REFUSALS[refused.code])
    return redirect("training:home")


@login_required
@require_safe
def certificate_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    mine = Certificate.objects.filter(user=request.user)
    district = Certificate.objects.filter(programme__in=_programmes(request))
    item = access.get_or_404((mine | district).select_related("user", "programme"), pk=pk)
    response = HttpResponse(certificates.pdf(item), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{item.code}.pdf"'
    return response


@never_cache
@require_safe
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: anyone holding a certificate's code sees its name, programme, hours and date; nothing else."""
    item = Certificate.objects.filter(code=code.upper().strip()).select_related("user", "programme").first()
    return render(request, "training/verify.html", {"certificate": item}, status=200 if item else 404)


@login_required
@never_cache
@require_safe
def staffing(request: AuthedRequest) -> HttpResponse:
    schools = access.staffing_schools(request.user)
    access.require(schools.exists())
    report = selectors.staffing(schools)
    if request.GET.get("format") == "xlsx":
        return _staffing_xlsx(report)
    return render(request, "training/staffing.html", {"report": report, "form": SheetForm()})


def _staffing_xlsx(report: selectors.Staffing) -> HttpResponse:
    rows = [[row.school.name, row.full_time, row.part_time, _("yes") if row.lacks_full_time else ""]
            for row in report.rows]  # fmt: skip
    total = pgettext("sum of a column", "Total")
    rows.append([total, report.full_time, report.total - report.full_time, len(report.schools_without_full_time)])
    header = [_("School"), _("Full-time"), _("Part-time"), _("Without a full-time teacher")]
    return xlsx_response("staffing.xlsx", _("Staffing"), header, rows)


def _curriculum_xlsx(rows: list[selectors.ClassCurriculum]) -> HttpResponse:
    header = [_("School"), _("Class"), _("Lessons"), _("Lessons due"), _("Class meetings"), _("Meets the standard")]
    return xlsx_response("curriculum.xlsx", _("Curriculum"), header, (
        [r.classroom.school.name, str(r.classroom), r.lessons, r.lessons_due, r.meetings, _("yes") if r.meets else ""]
        for r in rows
    ))  # fmt: skip


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def curriculum(request: AuthedRequest) -> HttpResponse:
    """Lessons per class against the standard; a school logs a week's lessons for a whole grade in one form."""
    schools = access.staffing_schools(request.user)
    access.require(schools.exists())
    own = School.objects.filter(pk__in=access.roles_of(request.user).staff_school_ids).order_by("name").first()
    form = LessonForm(request.POST or None) if own else None
    if request.method == "POST":
        if own is None:
            raise Http404
        if form is not None and form.is_valid():
            made = services.lessons_log_grade(school=own, by=request.user, **form.cleaned_data)
            messages.success(request, ngettext("%(count)s class logged.", "%(count)s classes logged.", made)
                             % {"count": made})  # fmt: skip
            return redirect("training:curriculum")
    school = schools.order_by("name").first()
    term = selectors.current_term(school.district_id) if school else None
    rows = selectors.curriculum(Classroom.objects.filter(school__in=schools), term) if term else []
    if request.GET.get("format") == "xlsx":
        return _curriculum_xlsx(rows)
    return render(request, "training/curriculum.html", {"form": form, "rows": rows, "term": term})


# --- imports -----------------------------------------------------------------------------------------------


@login_required
@require_POST
def attendance_import(request: AuthedRequest, pk: int) -> HttpResponse:
    item = access.get_or_404(TrainingSession.objects.filter(programme__in=_programmes(request)), pk=pk)
    form = SheetForm(request.POST, request.FILES)
    if form.is_valid():
        result = services.attendance_import(session=item, content=form.cleaned_data["file"].read())
        if not result.errors:
            messages.success(request, ngettext("%(count)s attendance credited.", "%(count)s attendances credited.",
                                               result.applied) % {"count": result.applied})  # fmt: skip
            return redirect("training:session", pk=pk)
        form.add_error("file", result.errors[:100])  # nothing applied: every problem beside the file
    return _session_page(request, item, form)


@login_required
@require_POST
def roster_import(request: AuthedRequest) -> HttpResponse:
    schools = access.staffing_schools(request.user)
    access.require(schools.exists())
    form = SheetForm(request.POST, request.FILES)
    if form.is_valid():
        result = services.roster_import(schools=schools, content=form.cleaned_data["file"].read())
        if not result.errors:
            messages.success(request, ngettext("%(count)s teacher updated.", "%(count)s teachers updated.",
                                               result.applied) % {"count": result.applied})  # fmt: skip
            return redirect("training:staffing")
        form.add_error("file", result.errors[:100])  # nothing applied: every problem beside the file
    return render(request, "training/staffing.html", {"report": selectors.staffing(schools), "form": form})


# --- parent classes ----------------------------------------------------------------------------------------


def _episode_districts(request: AuthedRequest) -> frozenset[int]:
    """Parents see their children's districts' parent classes; staff and officials their own."""
    districts = set(access.training_districts(request.user))
    if access.roles_of(request.user).is_parent:
        children = access.scope_students(Student.objects.all(), request.user)
        districts |= set(children.values_list("school__district_id", flat=True))
    return frozenset(districts)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def parent_classes(request: AuthedRequest) -> HttpResponse:
    districts = _episode_districts(request)
    access.require(bool(districts))
    is_official = access.roles_of(request.user).is_official
    form = EpisodeForm(request.POST or None, request.FILES or None) if is_official else None
    if request.method == "POST":
        district = access.official_district(request.user)
        if form is not None and form.is_valid():
            episode = form.save(commit=False)
            episode.district = district
            episode.save()
            messages.success(request, _("Saved."))
            return redirect("training:parent_classes")
    episodes = ParentEpisode.objects.filter(district_id__in=districts).annotate(signed_up=Count("signups"))
    mine = set(ParentSignup.objects.filter(user=request.user).values_list("episode_id", flat=True))
    per_year = (
        ParentEpisode.objects.filter(district_id__in=access.roles_of(request.user).district_ids)
        .values("airs_on__year")
        .annotate(episodes=Count("id"), total_views=Sum(F("views_imported") + F("views_counted")))
        .order_by("-airs_on__year")
    )
    return render(request, "training/parent_classes.html", {
        "episodes": episodes[:100], "mine": mine, "form": form, "per_year": per_year if is_official else [],
    })  # fmt: skip


@login_required
@require_POST
def parent_signup(request: AuthedRequest, pk: int) -> HttpResponse:
    episode = access.get_or_404(
        ParentEpisode.objects.filter(district_id__in=_episode_districts(request), live=True), pk=pk
    )
    if services.parent_signup(episode=episode, user=request.user):
        messages.success(request, _("You are signed up."))
    else:
        messages.error(request, _("You are signed up already, or the session is full."))
    return redirect("training:parent_classes")


@login_required
@require_GET
def parent_watch(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Count a view, then go to the episode (its link, or the video file)."""
    episode = access.get_or_404(ParentEpisode.objects.filter(district_id__in=_episode_districts(request)), pk=pk)
    services.episode_viewed(episode=episode)
    if episode.video:
        try:
            return FileResponse(episode.video.open("rb"))
        except FileNotFoundError as exc:
            raise Http404 from exc
    if not episode.link:
        raise Http404
    return HttpResponseRedirect(episode.link)


@login_required
@require_POST
def episode_views(request: AuthedRequest, pk: int) -> HttpResponse:
    """Officials record views counted elsewhere (the broadcaster's, a video platform's)."""
    episode = access.get_or_404(
        ParentEpisode.objects.filter(district_id__in=access.roles_of(request.user).district_ids), pk=pk
    )
    if services.episode_views_import(episode=episode, raw=request.POST.get("views", "")):
        messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Write the number of views as a whole number."))
    return redirect("training:parent_classes")


@login_required
@never_cache
@require_safe
def hours(request: AuthedRequest) -> HttpResponse:
    """Officials: each teacher's credited hours this year (or ?year=) by kind of training; XLSX too."""
    district = access.official_district(request.user)
    raw = request.GET.get("year", "")
    year = int(raw) if raw.isascii() and raw.isdecimal() and 2000 <= int(raw) <= 2100 else timezone.localdate().year
    report = selectors.hours_report(district, year)
    kinds = ProgrammeKind.choices
    if request.GET.get("format") == "xlsx":
        header = [_("Name"), _("School"), *[label for _value, label in kinds], pgettext("sum of a column", "Total")]
        return xlsx_response(f"training-hours-{year}.xlsx", _("Training hours"), header, (
            [row.name, row.school, *[float(row.by_kind.get(k, 0)) for k, _label in kinds], float(row.total)]
            for row in report
        ))  # fmt: skip
    rows = [(row, [row.by_kind.get(k, "") for k, _label in kinds]) for row in report]
    return render(request, "training/hours.html", {"rows": rows, "kinds": kinds, "year": year,
                                                   "figures": selectors.year_figures(district, year)})  # fmt: skip
