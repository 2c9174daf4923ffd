"""Pages of the core: home per role, students, roster import, language, health."""

from __future__ import annotations

import csv
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from portal import access, audit, labels, links, selectors, services
from portal.forms import RosterUploadForm, StudentSearchForm, TransferForm
from portal.home import render as render_worklist
from portal.home import render_student
from portal.models import InboxMessage, RosterImport, School, User
from portal.models.roster import ImportStatus
from portal.roster import TEMPLATE_HEADER, error_message


class AuthedRequest(HttpRequest):
    """A request that passed @login_required (django-stubs' recommended typing)."""

    user: User


@login_required
@require_safe
def home(request: AuthedRequest) -> HttpResponse:
    kind = access.home_kind(request.user)
    if kind == "responder":  # a crisis responder's work is the cases they are assigned to
        return redirect("crisis:assignments")
    roles = access.roles_of(request.user)
    if kind == "official" and not roles.is_parent and access.staffing_schools(request.user).exists():
        return redirect("dashboards:dashboard")  # an official's work is the district's figures
    context: dict[str, object] = {"kind": kind}
    if kind in ("official", "staff"):
        context["schools"] = selectors.schools_overview(request.user)
    if kind == "staff":
        context["worklist"] = render_worklist(request, request.user)
        context["imports"] = access.scope_roster_imports(RosterImport.objects.all(), request.user).select_related(
            "school"
        )[:5]
    if kind == "teacher":
        context["worklist"] = render_worklist(request, request.user)
        context["classes"] = selectors.classes_overview(request.user)
    if roles.is_parent:  # an official or a teacher can be a parent too (and lands here, with their children)
        context["children"] = selectors.children_of(request.user)
        if kind == "parent":
            context["worklist"] = render_worklist(request, request.user)
    return render(request, f"portal/home_{kind}.html", context)


def _may_list_students(request: AuthedRequest) -> bool:
    roles = access.roles_of(request.user)
    return roles.is_staff_member or roles.is_parent


@login_required
@never_cache
@require_safe
def student_list(request: AuthedRequest) -> HttpResponse:
    access.require(_may_list_students(request))
    form = StudentSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    students = selectors.students_for_list(request.user, q=filters.get("q") or "", grade=filters.get("grade"))
    page = Paginator(students, 50).get_page(request.GET.get("page"))
    kept = {key: value for key, value in request.GET.items() if key in ("q", "grade") and value}
    query = f"{urlencode(kept)}&" if kept else ""  # the pager keeps the search
    return render(request, "portal/student_list.html", {"form": form, "page": page, "query": query})


@login_required
@never_cache
@require_safe
def student_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    student = access.get_or_404(selectors.students_for_list(request.user), pk=pk)
    guardians = selectors.guardians_of(request.user, student)
    # One event for the page; the guardian contacts it shows are named by id in it.
    audit.record_view(student, guardians_shown=[g.pk for g in guardians])
    return render(
        request,
        "portal/student_detail.html",
        {
            "student": student,
            "guardians": guardians,
            "can_read_log": access.can_read_access_log(request.user, student),
            "can_transfer": access.can_transfer(request.user, student),
            "sections": render_student(request, request.user, student),
            "sees_focus_groups": access.sees_focus_groups(request.user, student),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def student_transfer(request: AuthedRequest, pk: int) -> HttpResponse:
    """The current school's leaders and counselors move a student to another school of the district."""
    student = access.get_or_404(selectors.students_for_list(request.user), pk=pk)
    access.require(access.can_transfer(request.user, student))
    form = TransferForm(request.POST or None, student=student)
    if request.method == "POST" and form.is_valid():
        try:
            services.student_transfer(student=student, by=request.user, **form.cleaned_data)
        except services.TransferRefused as refused:
            form.add_error("student_number" if refused.code == "number_taken" else None, TRANSFER_ERRORS[refused.code])
        else:
            school = form.cleaned_data["to_classroom"].school
            messages.success(
                request, _("%(name)s now belongs to %(school)s.") % {"name": student.name, "school": school}
            )
            return redirect("student_list")
    return render(request, "portal/student_transfer.html", {"student": student, "form": form})


TRANSFER_ERRORS = {
    "district": gettext_lazy("A student can only move to another school of the same district."),
    "number_taken": gettext_lazy("This student number is already used at the new school."),
}


@login_required
@never_cache
@require_safe
def student_access_log(request: AuthedRequest, pk: int) -> HttpResponse:
    student = access.get_or_404(selectors.students_for_list(request.user), pk=pk)
    access.require(access.can_read_access_log(request.user, student))
    page = Paginator(selectors.access_log(student), 50).get_page(request.GET.get("page"))
    names = labels.people(event.actor_id for event in page)  # the log keeps ids: people by name, one query
    for event in page:
        event.who = (  # type: ignore[attr-defined]
            labels.role(event.role) if event.actor_id is None
            else names.get(event.actor_id) or _("An account since removed")
        )  # fmt: skip
    return render(request, "portal/student_access_log.html", {"student": student, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def roster_import_new(request: AuthedRequest) -> HttpResponse:
    schools = School.objects.filter(id__in=access.roster_schools(request.user)).order_by("name")
    access.require(bool(schools))
    form = RosterUploadForm(request.POST or None, request.FILES or None, schools=schools)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        roster_import = services.roster_import_create(
            school=form.cleaned_data["school"],
            uploaded_by=request.user,
            filename=upload.name,
            content=upload.read(),
        )
        whole = [error_message(e) for e in roster_import.errors if not e["row"]]
        if not whole:
            return redirect("roster_import_detail", pk=roster_import.pk)
        # Refused as a whole (too many rows, not a sheet, empty): said beside the field, to choose another file.
        form.add_error("file", whole)
    return render(request, "portal/roster_import_new.html", {"form": form})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def roster_import_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    roster_import = access.get_or_404(
        access.scope_roster_imports(RosterImport.objects.select_related("school", "uploaded_by"), request.user), pk=pk
    )
    if request.method == "POST":
        try:
            services.roster_import_request_apply(roster_import=roster_import)
        except services.ImportNotApplicable:
            messages.error(request, _("This import cannot be applied: it was refused or has already been applied."))
        else:
            messages.success(request, _("The class list is being applied. This page shows when it is done."))
        return redirect("roster_import_detail", pk=pk)
    errors = [{**e, "message": error_message(e)} for e in roster_import.errors]
    return render(
        request,
        "portal/roster_import_detail.html",
        {"import": roster_import, "errors": errors, "statuses": ImportStatus},
    )


@login_required
@require_GET
def roster_template(request: AuthedRequest) -> HttpResponse:
    access.require(bool(access.roster_schools(request.user)))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="roster-template.csv"'
    response.write("\ufeff")  # BOM: Excel on Windows opens UTF-8 CSV correctly only with it.
    writer = csv.writer(response)
    writer.writerow(TEMPLATE_HEADER)
    writer.writerow(
        [
            "4",
            "1班",
            "20260001",
            "张小明",
            "男",
            "2016-09-01",
            "否",
            "否",
            "否",
            "否",
            "张伟",
            "父亲",
            "13800000000",
            "",
            "中文",
            "短信",
            "是",
        ]
    )
    return response


@login_required
@never_cache
@require_safe
def inbox(request: AuthedRequest) -> HttpResponse:
    messages_ = access.scope_inbox(InboxMessage.objects.all(), request.user).defer("body")
    page = Paginator(messages_, 30).get_page(request.GET.get("page"))
    return render(request, "inbox/list.html", {"page": page})


@login_required
@never_cache
@require_safe
def inbox_message(request: AuthedRequest, pk: int) -> HttpResponse:
    message = access.get_or_404(access.scope_inbox(InboxMessage.objects.all(), request.user), pk=pk)
    services.inbox_message_read(message=message, reader=request.user)
    return render(request, "inbox/message.html", {"message": message})


@login_required
@require_POST
def inbox_open(request: AuthedRequest, pk: int) -> HttpResponse:
    """The message's page in one click from the inbox list, the message marked read on the way."""
    message = access.get_or_404(access.scope_inbox(InboxMessage.objects.defer("body"), request.user), pk=pk)
    services.inbox_message_read(message=message, reader=request.user)
    if not links.is_page(message.link):
        return redirect("inbox_message", pk=message.pk)
    return HttpResponseRedirect(message.link)


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            services.user_language_set(user=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure(),  # over HTTPS (production) like every other cookie of ours
        )
    return response


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, Redis and worker state for the load balancer and the on-call person."""
    from portal.health import check_all

    checks = check_all()
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "down", "checks": checks},
        status=200 if healthy else 503,
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The alert chain's figures for Prometheus (portal.metrics): operators or the scraper's token."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from portal.metrics import REGISTRY

    if not access.may_read_metrics(request.user, request.headers.get("Authorization", "")):
        if request.user.is_authenticated:
            raise Http404
        refused = HttpResponse(status=401)
        refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refused
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
