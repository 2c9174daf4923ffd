"""Django admin for platform operators (superusers) only: districts, schools, calendars, staff."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext as _

from portal import second_factor
from portal.models import Classroom, District, Membership, School, SchoolYear, Term, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["school", "district"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (None, {"fields": ("language",)}))
    actions = ["issue_enrolment_code"]

    @admin.action(description=_("Issue a second-factor enrolment code"))
    def issue_enrolment_code(self, request, queryset):  # type: ignore[no-untyped-def]
        # Shown once to the operator, who hands it to the person (it is not stored, only its hash).
        for user in queryset:
            code = second_factor.enrolment_code_issue(user=user)
            self.message_user(
                request,
                _("Enrolment code for %(user)s: %(code)s (valid %(hours)s hours, once).")
                % {"user": user.get_username(), "code": code, "hours": settings.ENROLMENT_CODE_HOURS},
                messages.WARNING,
            )


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    search_fields = ["name", "code"]


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "district"]
    list_filter = ["kind", "district"]
    search_fields = ["name", "code"]


class TermInline(admin.TabularInline):
    model = Term
    extra = 0


@admin.register(SchoolYear)
class SchoolYearAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "start", "end"]
    inlines = [TermInline]


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ["school", "grade", "name", "class_teacher"]
    list_filter = ["school"]
    autocomplete_fields = ["class_teacher"]


# Students and guardians are deliberately not in the admin: they are read and changed through the
# school's pages, where access rules and the audit log apply.
