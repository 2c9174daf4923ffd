"""Training and staffing: mental-health teachers' qualifications, training programmes and sessions with
attendance and hours, certificates, and the curriculum logged per class."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import AuditedQuerySet


class QualificationKind(models.TextChoices):
    COUNSELOR_2 = "counselor_2", _("National psychological counselor, level 2")
    COUNSELOR_3 = "counselor_3", _("National psychological counselor, level 3")
    MH_TEACHER = "mh_teacher", _("Mental-health teacher certificate")
    DEGREE = "degree", _("Degree in psychology")
    OTHER = "other", _("Other")


class Qualification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("teacher"), on_delete=models.CASCADE, related_name="qualifications"
    )
    kind = models.CharField(_("qualification"), max_length=20, choices=QualificationKind.choices)
    certificate_no = models.CharField(_("certificate number"), max_length=50, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="qualification_once_per_kind")]

    def __str__(self) -> str:
        return str(self.get_kind_display())


class TeacherProfile(models.Model):
    """What the district's roster keeps about a mental-health teacher beyond their role at a school."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("teacher"), on_delete=models.CASCADE, related_name="teacher_profile"
    )
    subject = models.CharField(_("subject background"), max_length=50, blank=True)
    mh_since = models.DateField(_("mental-health teacher since"), null=True, blank=True)

    class Meta:
        verbose_name = _("teacher profile")
        verbose_name_plural = _("teacher profiles")

    def __str__(self) -> str:
        return str(self.user)


class ProgrammeKind(models.TextChoices):
    THEORY = "theory", _("Theory")
    SKILLS = "skills", _("Skills")
    PRACTICE = "practice", _("Observed practice")
    SUPERVISION = "supervision", _("Case supervision")
    PRINCIPALS = "principals", _("General training: principals")
    LEADERS = "leaders", _("General training: leaders")
    CLASS_TEACHERS = "class_teachers", _("General training: class teachers")
    WELLBEING = "wellbeing", _("Teacher wellbeing (salons, groups)")


class Technique(models.TextChoices):
    SANDPLAY = "sandplay", _("Sandplay")
    OH_CARDS = "oh_cards", _("OH cards")
    ART = "art", _("Art therapy")
    GROUP = "group", _("Group counseling")
    CBT = "cbt", _("Cognitive behavioural techniques")
    CRISIS = "crisis", _("Crisis intervention")


class Programme(models.Model):
    district = models.ForeignKey("portal.District", on_delete=models.PROTECT, related_name="programmes")
    title = models.CharField(_("title"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=ProgrammeKind.choices)
    techniques = models.JSONField(_("techniques"), default=list, blank=True)
    provider = models.CharField(_("provider"), max_length=150, blank=True)
    year = models.PositiveSmallIntegerField(_("year"))

    class Meta:
        verbose_name = _("training programme")
        verbose_name_plural = _("training programmes")
        ordering = ["-year", "title"]

    def __str__(self) -> str:
        return self.title


class TrainingSession(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=150, blank=True)
    online = models.BooleanField(_("online"), default=False)
    capacity = models.PositiveSmallIntegerField(_("places"))
    hours = models.DecimalField(_("hours credited"), max_digits=4, decimal_places=1)
    enrolled = models.PositiveSmallIntegerField(default=0)  # kept by the service; the CHECK is the last line

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(enrolled__lte=F("capacity")), name="training_never_overfull"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="training_ends_after_start"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="training_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.programme} {timezone.localtime(self.starts_at):%Y-%m-%d}"


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    WAITING = "waiting", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")
    ABSENT = "absent", _("Absent")


class Enrolment(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="enrolments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    status = models.CharField(_("status"), max_length=10, choices=EnrolmentStatus.choices)
    created_at = models.DateTimeField(default=timezone.now)
    # Hours are credited once, when attendance is taken; a second mark changes nothing.
    hours_credited = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    credited_at = models.DateTimeField(null=True, blank=True)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"], condition=~Q(status="cancelled"), name="enrolment_once_per_session"
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(hours_credited__isnull=True) | Q(status="attended"),
                name="enrolment_hours_only_when_attended",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"enrolment #{self.pk}"


class Certificate(models.Model):
    """A completed programme. The public verification page shows only name, programme, hours and date."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="certificates")
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    issued_on = models.DateField(_("issued on"), default=timezone.localdate)
    code = models.CharField(_("verification code"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [models.UniqueConstraint(fields=["user", "programme"], name="certificate_once")]

    def __str__(self) -> str:
        return self.code


class LessonKind(models.TextChoices):
    LESSON = "lesson", _("Mental-health lesson")
    CLASS_MEETING = "class_meeting", _("Themed class meeting")


class LessonLog(models.Model):
    """A mental-health lesson or themed class meeting held in one class (at least one lesson every two
    weeks, one class meeting per term)."""

    classroom = models.ForeignKey("portal.Classroom", on_delete=models.CASCADE, related_name="lessons")
    held_on = models.DateField(_("held on"))
    kind = models.CharField(_("kind"), max_length=15, choices=LessonKind.choices)
    topic = models.CharField(_("topic"), max_length=150)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("teacher"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["-held_on"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "held_on", "kind"], name="lesson_once_a_day_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.classroom} {self.held_on} {self.kind}"


class ParentEpisode(models.Model):
    """A parent class (空中家长课堂 or community education): an episode to watch, or a live session to sign
    up for."""

    district = models.ForeignKey("portal.District", on_delete=models.PROTECT, related_name="parent_episodes")
    title = models.CharField(_("title"), max_length=150)
    topic = models.CharField(_("topic"), max_length=100, blank=True)
    airs_on = models.DateField(_("date"))
    link = models.URLField(_("link"), blank=True)
    video = models.FileField(_("video file"), upload_to="parent-classes/%Y/", blank=True)
    live = models.BooleanField(_("live session (sign-up)"), default=False)
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)
    views_imported = models.PositiveIntegerField(_("views counted elsewhere"), default=0)
    views_counted = models.PositiveIntegerField(default=0)  # opened through the portal

    class Meta:
        verbose_name = _("parent class")
        verbose_name_plural = _("parent classes")
        ordering = ["-airs_on"]
        constraints = [
            models.CheckConstraint(condition=~Q(link="") | ~Q(video="") | Q(live=True), name="episode_has_content"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def views(self) -> int:
        return self.views_imported + self.views_counted


class ParentSignup(models.Model):
    episode = models.ForeignKey(ParentEpisode, on_delete=models.CASCADE, related_name="signups")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="parent_signups")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("parent class sign-up")
        verbose_name_plural = _("parent class sign-ups")
        constraints = [models.UniqueConstraint(fields=["episode", "user"], name="parent_signup_once")]

    def __str__(self) -> str:
        return f"sign-up #{self.pk}"
