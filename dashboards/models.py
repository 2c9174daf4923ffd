"""Rollups the district dashboard reads: kept fresh by the workers, never computed at request time.

Counts of students are stored raw; suppression happens when they are shown (dashboards.suppression).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GROUPS = ("all", "left_behind", "migrant_child", "disability", "in_difficulty")


class SchoolRollup(models.Model):
    """One school's figures for one school year, across every app."""

    school = models.ForeignKey("portal.School", on_delete=models.CASCADE, related_name="+")
    school_year = models.ForeignKey("portal.SchoolYear", on_delete=models.CASCADE, related_name="+")
    refreshed_at = models.DateTimeField(default=timezone.now)
    students = models.PositiveIntegerField(default=0)
    # Crisis
    open_severe = models.PositiveIntegerField(default=0)
    open_major = models.PositiveIntegerField(default=0)
    overdue_follow_ups = models.PositiveIntegerField(default=0)
    # Cases awaiting their first assessment, by suggested tier; those past the first-contact deadline (not taken
    # on by the person on call); when the oldest of them was opened.
    awaiting_general = models.PositiveIntegerField(default=0)
    awaiting_severe = models.PositiveIntegerField(default=0)
    awaiting_major = models.PositiveIntegerField(default=0)
    awaiting_overdue = models.PositiveIntegerField(default=0)
    awaiting_since = models.DateTimeField(null=True)
    notices = models.PositiveIntegerField(default=0)
    notices_acknowledged = models.PositiveIntegerField(default=0)
    ack_hours_median = models.FloatField(null=True)
    incidents = models.PositiveIntegerField(default=0)
    drilled_this_term = models.BooleanField(default=False)
    # Counseling (the last four weeks)
    rooms_meet_standard = models.BooleanField(default=False)
    open_periods = models.PositiveIntegerField(default=0)
    bookings = models.PositiveIntegerField(default=0)
    no_shows = models.PositiveIntegerField(default=0)
    wait_days_median = models.FloatField(null=True)  # from booking to session
    # Staffing, training, curriculum
    full_time = models.PositiveIntegerField(default=0)
    part_time = models.PositiveIntegerField(default=0)
    person_times = models.PositiveIntegerField(default=0)
    classes = models.PositiveIntegerField(default=0)
    classes_meeting_standard = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("school figures")
        verbose_name_plural = _("school figures")
        constraints = [models.UniqueConstraint(fields=["school", "school_year"], name="rollup_school_year_once")]

    def __str__(self) -> str:
        return f"{self.school_id}/{self.school_year_id}"


class ScreeningCell(models.Model):
    """Screening figures of one school, grade and group (all students, or one focus group) in a school year."""

    school = models.ForeignKey("portal.School", on_delete=models.CASCADE, related_name="+")
    school_year = models.ForeignKey("portal.SchoolYear", on_delete=models.CASCADE, related_name="+")
    grade = models.PositiveSmallIntegerField()
    group = models.CharField(max_length=20)
    invited = models.PositiveIntegerField(default=0)
    consented = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    tier0 = models.PositiveIntegerField(default=0)
    tier1 = models.PositiveIntegerField(default=0)
    tier2 = models.PositiveIntegerField(default=0)
    tier3 = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("screening figures")
        verbose_name_plural = _("screening figures")
        constraints = [
            models.UniqueConstraint(fields=["school", "school_year", "grade", "group"], name="screening_cell_once")
        ]
        indexes = [models.Index(fields=["school_year", "group"], name="screening_cell_year_group")]

    def __str__(self) -> str:
        return f"{self.school_id}/{self.school_year_id}/{self.grade}/{self.group}"
