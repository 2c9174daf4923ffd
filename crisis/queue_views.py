"""The district sends responders from its pool to a school over capacity (crisis.capacity), and ends it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from crisis import capacity, selectors
from crisis.forms import QueueAssignForm
from crisis.models import QueueAssignment
from portal import access
from portal.models import School
from portal.views import AuthedRequest


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def queues(request: AuthedRequest) -> HttpResponse:
    district_ids = access.roles_of(request.user).district_ids
    access.require(bool(district_ids))
    schools = School.objects.filter(district_id__in=district_ids).order_by("name")
    initial = {"school": request.GET["school"]} if request.GET.get("school", "").isdigit() else {}
    form = QueueAssignForm(request.POST or None, initial=initial, schools=schools,
                           pool=selectors.responder_pool(district_ids))  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        capacity.queue_assign(school=data["school"], responders=list(data["responders"]), days=data["days"],
                              by=request.user)  # fmt: skip
        messages.success(request, _("Saved. The responders were told."))
        return redirect("crisis:queues")
    running = list(capacity.queues(district_ids))
    waiting = selectors.awaiting_by_school({a.school_id for a in running})
    return render(request, "crisis/queues.html", {
        "form": form, "assignments": [(a, waiting.get(a.school_id, 0)) for a in running],
    })  # fmt: skip


@login_required
@require_POST
def queue_end(request: AuthedRequest, pk: int) -> HttpResponse:
    district_ids = access.roles_of(request.user).district_ids
    assignment = access.get_or_404(QueueAssignment.objects.filter(school__district_id__in=district_ids), pk=pk)
    capacity.queue_end(assignment=assignment)
    messages.success(request, _("The assignment was ended."))
    return redirect("crisis:queues")
