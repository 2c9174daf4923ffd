"""Platform operators see the districts' retention periods; officials set them on their page (privacy:retention),
where the bounds are checked and the change is audited."""

from django.contrib import admin

from privacy.models import Departure, RetentionPolicy


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["district", "screening_months", "case_months", "session_months", "mailbox_months", "audit_months"]
    readonly_fields = ["district", "screening_months", "case_months", "session_months", "mailbox_months",
                       "audit_months", "updated_at"]  # fmt: skip

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(Departure)
class DepartureAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["student_id", "noticed_on"]
    readonly_fields = ["student", "noticed_on"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
