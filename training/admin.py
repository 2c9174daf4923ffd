"""Platform operators: qualifications and teacher profiles (a page for schools comes with the roster import)."""

from django.contrib import admin

from training.models import Qualification, TeacherProfile

admin.site.register(Qualification)
admin.site.register(TeacherProfile)
