"""Platform operators keep the district's crisis team and expert pool (officials assign them to incidents), and
the district's crisis policies (first-contact times, follow-up intervals)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crisis.models import FirstContactPolicy, FollowUpPolicy, Responder
from portal.models import Membership, Role


class ResponderForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Responder
        fields = ["membership", "kind", "organisation", "speciality"]

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        # Add the person's district membership with the responder role on their user page first.
        self.fields["membership"].queryset = Membership.objects.filter(role=Role.RESPONDER).select_related(
            "user", "district"
        )
        self.fields["membership"].help_text = _("The person's responder membership in a district.")


@admin.register(Responder)
class ResponderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ResponderForm
    list_display = ["__str__", "kind", "organisation", "speciality"]
    list_filter = ["kind", "membership__district"]
    search_fields = ["membership__user__username", "membership__user__last_name", "organisation"]


@admin.register(FirstContactPolicy)
class FirstContactPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["district", "tier", "within", "unit"]
    list_filter = ["district"]


@admin.register(FollowUpPolicy)
class FollowUpPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["district", "tier", "every_days"]
    list_filter = ["district"]
