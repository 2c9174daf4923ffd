"""Districts, schools, the school calendar and classes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SchoolKind(models.TextChoices):
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior secondary school")
    SENIOR = "senior", _("Senior secondary school")
    NINE_YEAR = "nine_year", _("Nine-year school")
    TWELVE_YEAR = "twelve_year", _("Twelve-year school")


# The grades each kind of school teaches (Chinese system: primary 1-6, junior 7-9, senior 10-12).
GRADES_BY_KIND: dict[str, range] = {
    SchoolKind.PRIMARY: range(1, 7),
    SchoolKind.JUNIOR: range(7, 10),
    SchoolKind.SENIOR: range(10, 13),
    SchoolKind.NINE_YEAR: range(1, 10),
    SchoolKind.TWELVE_YEAR: range(1, 13),
}


class School(models.Model):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="schools")
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=30)
    kind = models.CharField(_("kind"), max_length=20, choices=SchoolKind.choices)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="school_code_unique_in_district"),
            models.UniqueConstraint(fields=["district", "name"], name="school_name_unique_in_district"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def grades(self) -> range:
        return GRADES_BY_KIND[self.kind]


class SchoolYear(models.Model):
    """A school year is city-wide: the bureau sets the calendar for every school."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="school_years")
    name = models.CharField(_("name"), max_length=20, help_text=_("For example 2026-2027"))
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))

    class Meta:
        verbose_name = _("school year")
        verbose_name_plural = _("school years")
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="school_year_name_unique"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="school_year_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name


class Term(models.Model):
    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="terms")
    number = models.PositiveSmallIntegerField(_("term"), choices=[(1, _("First term")), (2, _("Second term"))])
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    teaching_weeks = models.PositiveSmallIntegerField(_("teaching weeks"))

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(fields=["school_year", "number"], name="term_number_unique"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="term_ends_after_start"),
            models.CheckConstraint(
                condition=Q(teaching_weeks__gte=1, teaching_weeks__lte=30), name="term_teaching_weeks_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school_year} {self.get_number_display()}"


class Classroom(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="classrooms")
    grade = models.PositiveSmallIntegerField(_("grade"))
    name = models.CharField(_("class"), max_length=30)
    class_teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("class teacher"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="classrooms_taught",
    )

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["grade", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "grade", "name"], name="classroom_unique_in_school"),
            models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=12), name="classroom_grade_1_to_12"),
        ]

    def __str__(self) -> str:
        return _("Grade %(grade)s, %(name)s") % {"grade": self.grade, "name": self.name}
