"""The district's retention page: its officials see and set how long each kind of record is kept."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal import access
from portal.views import AuthedRequest
from privacy import retention
from privacy.forms import RetentionForm


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def retention_policy(request: AuthedRequest) -> HttpResponse:
    district = access.official_district(request.user)
    policy = retention.policy_for(district.pk)
    form = RetentionForm(request.POST or None, initial=policy.periods())
    if request.method == "POST" and form.is_valid():
        retention.policy_set(district=district, by=request.user, periods=form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("privacy:retention")
    return render(request, "privacy/retention.html", {
        "form": form, "district": district, "audit_months": retention.audit_months_in_force(),
    })  # fmt: skip
