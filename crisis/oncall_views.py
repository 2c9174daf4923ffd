"""Pages of the after-hours duty roster (kept by the district's officials) and the on-call "taken on"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from crisis import oncall, selectors
from crisis.forms import DutyShiftForm
from crisis.models import DutyShift
from portal import access, audit
from portal.views import AuthedRequest


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def roster(request: AuthedRequest) -> HttpResponse:
    district_ids = access.roles_of(request.user).district_ids
    access.require(bool(district_ids))
    pool = selectors.responder_pool(district_ids)
    form = DutyShiftForm(request.POST or None, pool=pool)
    if request.method == "POST" and form.is_valid():
        responder = form.cleaned_data["responder"]
        shift = DutyShift.objects.create(
            district_id=responder.membership.district_id, responder=responder, created_by=request.user,
            starts_at=form.cleaned_data["starts_at"], ends_at=form.cleaned_data["ends_at"],
        )  # fmt: skip
        audit.append(audit.entries_for(DutyShift, [shift.pk], verb="create"))
        messages.success(request, _("Saved."))
        return redirect("crisis:on_call")
    return render(request, "crisis/on_call.html", {"shifts": oncall.roster(district_ids), "form": form})


@login_required
@require_POST
def roster_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    district_ids = access.roles_of(request.user).district_ids
    shift = access.get_or_404(DutyShift.objects.filter(district_id__in=district_ids), pk=pk)
    audit.append(audit.entries_for(DutyShift, [shift.pk], verb="delete"))
    shift.delete()
    messages.success(request, _("The shift was removed."))
    return redirect("crisis:on_call")


@login_required
@require_POST
def take_on(request: AuthedRequest, pk: int) -> HttpResponse:
    """The person on call says they have taken the case on (they read it through their on-call access)."""
    case = access.get_or_404(selectors.cases_readable(request.user), pk=pk)
    access.require(access.may_take_on(request.user, case.pk))
    try:
        oncall.take_on(case=case, by=request.user)
    except oncall.AlreadyTakenOn:
        messages.error(request, _("Someone on call has taken this case on already."))
    else:
        messages.success(request, _("Saved. The school's counselor will assess the case on the next school day."))
    return redirect("crisis:case", pk=pk)
