"""Platform operators: instrument versions (read-only), districts' policies, campaigns and re-scoring jobs."""

from django.contrib import admin

from screening.models import Campaign, Instrument, RescoreJob, ScreeningPolicy


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "version", "loaded_at"]
    readonly_fields = ["code", "version", "definition", "loaded_at"]  # `manage.py instruments load` adds versions

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(ScreeningPolicy)
class ScreeningPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["district", "consent_mode", "guardian_on_critical"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "district", "opens_on", "closes_on", "status"]
    list_filter = ["status", "district"]
    readonly_fields = ["created_by", "created_at"]


@admin.register(RescoreJob)
class RescoreJobAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["campaign", "code", "status", "done", "total", "created_at"]
    readonly_fields = [f.name for f in RescoreJob._meta.fields]
