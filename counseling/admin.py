"""Platform operators: rooms, timetables and rules per school (schools keep them on their setup page too)."""

from django.contrib import admin

from counseling.models import Closure, Opening, Period, RiskWords, Room, SchoolCounselingSettings


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "school", "area_m2", "active"]
    list_filter = ["active", "school__district"]


admin.site.register(Period)
admin.site.register(Opening)
admin.site.register(Closure)
admin.site.register(SchoolCounselingSettings)
admin.site.register(RiskWords)
