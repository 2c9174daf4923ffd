"""Students and their guardians."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from portal.models.audit import AuditedQuerySet
from portal.models.org import Classroom, School

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet

    from portal.models.staff import User


class Gender(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class StudentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    TRANSFERRED = "transferred", _("Transferred")
    GRADUATED = "graduated", _("Graduated")


class StudentQuerySet(AuditedQuerySet):
    def visible_to(self, user: User | AnonymousUser) -> QuerySet[Student]:
        from portal import access

        return access.scope_students(self, user)


class Student(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="students")
    classroom = models.ForeignKey(Classroom, verbose_name=_("class"), on_delete=models.PROTECT, related_name="students")
    student_number = models.CharField(_("student number"), max_length=30)
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    status = models.CharField(_("status"), max_length=20, choices=StudentStatus.choices, default=StudentStatus.ACTIVE)
    # The brief's focus groups (重点关注群体); the dashboards break figures down by them.
    left_behind = models.BooleanField(_("left-behind child"), default=False)
    migrant_child = models.BooleanField(_("child of migrant workers"), default=False)
    disability = models.BooleanField(_("with a disability"), default=False)
    in_difficulty = models.BooleanField(_("in difficulty"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StudentQuerySet.as_manager()

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["classroom__grade", "classroom__name", "student_number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "student_number"], name="student_number_unique_in_school"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.student_number})"


class Relation(models.TextChoices):
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    GRANDPARENT = "grandparent", _("Grandparent")
    OTHER = "other", _("Other guardian")


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    INBOX = "inbox", _("Portal inbox")


class Guardian(models.Model):
    """A guardian's contact record, owned by one school.

    A parent with children at two schools has one record at each, both linked to
    the same login, so one school's roster import can never overwrite the contact
    details another school relies on.
    """

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="guardians")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="guardian_records",
    )
    name = models.CharField(_("name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=20, choices=Relation.choices)
    mobile = models.CharField(_("mobile"), max_length=20)
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("preferred language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    channel = models.CharField(_("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.SMS)
    students: models.ManyToManyField[Student, StudentGuardian] = models.ManyToManyField(
        Student, through="StudentGuardian", related_name="guardians"
    )

    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        ordering = ["name"]
        constraints = [
            # The mobile number identifies a guardian within a school: re-imports update, never duplicate.
            models.UniqueConstraint(fields=["school", "mobile"], name="guardian_mobile_unique_in_school"),
            models.CheckConstraint(
                condition=~Q(channel="email") | ~Q(email=""), name="guardian_email_channel_needs_email"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StudentGuardian(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="guardian_links")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="student_links")
    is_primary = models.BooleanField(_("primary contact"), default=False)

    objects = AuditedQuerySet.as_manager()
    AUDIT_STUDENT = "student"  # portal.audit: whose record this is

    class Meta:
        verbose_name = _("guardian of student")
        verbose_name_plural = _("guardians of students")
        constraints = [
            models.UniqueConstraint(fields=["student", "guardian"], name="student_guardian_unique"),
            # Alerts go to exactly one primary contact; two would make "who was told" ambiguous.
            models.UniqueConstraint(
                fields=["student"], condition=Q(is_primary=True), name="student_one_primary_guardian"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian_id} -> {self.student_id}"


class StudentUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign-key grants on one student (django-guardian), e.g. a district expert."""

    content_object = models.ForeignKey(Student, on_delete=models.CASCADE)
