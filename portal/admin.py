"""Django admin for platform operators (superusers) only: districts, schools, calendars, staff."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from guardian.admin import GuardedModelAdmin

from portal.models import Classroom, District, Membership, School, SchoolYear, Student, Term, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["school", "district"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (None, {"fields": ("language",)}))


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


@admin.register(Student)
class StudentAdmin(GuardedModelAdmin):
    list_display = ["student_number", "name", "school", "classroom", "status"]
    list_filter = ["status", "school"]
    search_fields = ["student_number", "name"]
    list_select_related = ["school", "classroom"]
