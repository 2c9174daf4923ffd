"""Pages of a copy of a child's record (PIPL art. 45): a parent asks, the school's staff record a student's own
request, counselors prepare, leaders decide, the family downloads. Decisions on who may are portal.access's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal import access, audit
from portal import selectors as portal_selectors
from portal.views import AuthedRequest
from privacy import copies, pdf, selectors
from privacy.copy_forms import RefuseForm
from privacy.models import COPY_DAYS, CopyRequest, CopyStatus


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def ask(request: AuthedRequest, student_pk: int) -> HttpResponse:
    """A parent asks for a copy of their child's record: what it holds and when it comes, then one button."""
    child = access.get_or_404(portal_selectors.children_of(request.user), pk=student_pk)
    if request.method == "POST":
        try:
            copies.copy_ask(student=child, parent=request.user)
        except copies.CopyRefused as refused:
            messages.error(request, copies.MESSAGES[refused.code])
        else:
            answer = ngettext(
                "Your request is with the school. It answers within %(days)s day.",
                "Your request is with the school. It answers within %(days)s days.",
                COPY_DAYS,
            )
            messages.success(request, answer % {"days": COPY_DAYS})
        return redirect("student_detail", pk=child.pk)
    return render(request, "privacy/copy_ask.html", {"student": child, "days": COPY_DAYS})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def record_for_student(request: AuthedRequest, student_pk: int) -> HttpResponse:
    """A leader or counselor records the request a student of 14 or older made in person."""
    student = access.get_or_404(selectors.students_of_my_schools(request.user), pk=student_pk)
    if request.method == "POST":
        try:
            copy = copies.copy_record_for_student(student=student, by=request.user)
        except copies.CopyRefused as refused:
            messages.error(request, copies.MESSAGES[refused.code])
            return redirect("student_detail", pk=student.pk)
        return redirect("privacy:request", pk=copy.pk)
    return render(request, "privacy/copy_record.html", {"student": student, "days": COPY_DAYS})


@login_required
@never_cache
@require_safe
def requests(request: AuthedRequest) -> HttpResponse:
    """The open requests of the user's schools: those awaiting a leader's decision, then those to prepare."""
    access.require(access.is_school_staff(request.user))
    rows = [(copy, selectors.deadline(copy)) for copy in selectors.open_copy_requests(request.user)]
    audit.record_read(CopyRequest, [copy.pk for copy, _deadline in rows])
    tables = [
        (_("Awaiting the leader's decision"), [row for row in rows if row[0].status != CopyStatus.REQUESTED],
         _("No request awaits a decision.")),
        (_("To be prepared by a counselor"), [row for row in rows if row[0].status == CopyStatus.REQUESTED],
         _("No request is waiting to be prepared.")),
    ]  # fmt: skip
    return render(request, "privacy/copy_requests.html", {"tables": tables, "days": COPY_DAYS})


def _staff_copy(request: AuthedRequest, pk: int) -> CopyRequest:
    return access.get_or_404(selectors.copy_requests_for(request.user, as_staff=True), pk=pk)


@login_required
@never_cache
@require_safe
def request_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, _staff_copy(request, pk), RefuseForm())


def _detail(request: AuthedRequest, copy: CopyRequest, form: RefuseForm) -> HttpResponse:
    """One request: where it stands, its deadline, the copy as the family will get it (as prepared, or as it would be
    prepared now), and the next step for this reader."""
    school = copy.student.school_id
    audit.record_view(copy)
    contents = copy.contents if copy.prepared_at else selectors.copy_contents(copy)
    return render(request, "privacy/copy_request.html", {
        "copy": copy, "deadline": selectors.deadline(copy), "shown": selectors.shown(copy, contents),
        "may_prepare": access.may_prepare_copy(request.user, school),
        "may_decide": access.may_decide_copy(request.user, school), "form": form,
    })  # fmt: skip


def _decide(request: AuthedRequest, pk: int, step: str) -> HttpResponse:
    copy = _staff_copy(request, pk)
    school = copy.student.school_id
    access.require(access.may_prepare_copy(request.user, school) if step == "prepare"
                   else access.may_decide_copy(request.user, school))  # fmt: skip
    try:
        if step == "prepare":
            copies.copy_prepare(copy=copy, by=request.user)
            messages.success(request, _("The copy is prepared. The school's leader approves it next."))
        elif step == "release":
            copies.copy_release(copy=copy, by=request.user)
            messages.success(request, _("The request goes ahead. The counselor prepares the copy, without the cases."))
        elif step == "approve":
            copies.copy_approve(copy=copy, by=request.user)
            messages.success(request, _("Approved. The copy can be downloaded now."))
        else:
            form = RefuseForm(request.POST)
            if not form.is_valid():
                return _detail(request, copy, form)
            copies.copy_refuse(copy=copy, by=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("Refused. The family sees your reason."))
    except copies.CopyRefused as refused:
        messages.error(request, copies.MESSAGES[refused.code])
    return redirect("privacy:request", pk=pk)


@login_required
@require_POST
def prepare(request: AuthedRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "prepare")


@login_required
@require_POST
def release(request: AuthedRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "release")


@login_required
@require_POST
def approve(request: AuthedRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "approve")


@login_required
@require_POST
def refuse(request: AuthedRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "refuse")


@login_required
@never_cache
@require_safe
def download(request: AuthedRequest, pk: int) -> HttpResponse:
    """The approved copy as a PDF: the parent who asked for it, or the school's staff (a student's own copy is handed
    over in person). The safeguarding rule is asked again as it is drawn (selectors.shown)."""
    copy = access.get_or_404(selectors.copy_requests_for(request.user).filter(status=CopyStatus.APPROVED), pk=pk)
    body = pdf.pdf(selectors.shown(copy))
    copies.copy_downloaded(copy=copy)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="record-copy-{copy.pk}.pdf"'
    return response
