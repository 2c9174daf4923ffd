"""Counseling: rooms and opening hours, bookable slots, bookings, session records, the confide mailbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from portal.encryption import EncryptedTextField
from portal.models import AuditedQuerySet

# The standard the district checks schools against (心理辅导室建设标准).
ROOM_MIN_M2 = 18
OPEN_PERIODS_PER_WEEK = 10


class Room(models.Model):
    school = models.ForeignKey("portal.School", on_delete=models.CASCADE, related_name="counseling_rooms")
    name = models.CharField(_("name"), max_length=50)
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=6, decimal_places=1)
    for_counseling = models.BooleanField(_("individual counseling"), default=True)
    for_assessment = models.BooleanField(_("assessment"), default=False)
    for_sandplay = models.BooleanField(_("sandplay"), default=False)
    for_groups = models.BooleanField(_("group sessions"), default=False)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("counseling room")
        verbose_name_plural = _("counseling rooms")
        ordering = ["school", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="room_name_unique_in_school"),
            models.CheckConstraint(condition=Q(area_m2__gt=0), name="room_area_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def meets_area(self) -> bool:
        return self.area_m2 >= ROOM_MIN_M2


class Period(models.Model):
    """A class period of the school's timetable, mapped to clock times (第1节 08:00-08:45)."""

    school = models.ForeignKey("portal.School", on_delete=models.CASCADE, related_name="periods")
    number = models.PositiveSmallIntegerField(_("period"))
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))

    class Meta:
        verbose_name = _("class period")
        verbose_name_plural = _("class periods")
        ordering = ["school", "number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="period_unique_in_school"),
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="period_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.starts:%H:%M}-{self.ends:%H:%M}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Opening(models.Model):
    """The weekly template: in this period of this weekday, this room is open with this counselor on duty."""

    school = models.ForeignKey("portal.School", on_delete=models.CASCADE, related_name="openings")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    period = models.ForeignKey(Period, verbose_name=_("period"), on_delete=models.CASCADE, related_name="openings")
    room = models.ForeignKey(Room, verbose_name=_("room"), on_delete=models.CASCADE, related_name="openings")
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("counselor on duty"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("opening")
        verbose_name_plural = _("openings")
        ordering = ["weekday", "period__number"]
        constraints = [
            models.UniqueConstraint(fields=["room", "weekday", "period"], name="opening_room_once"),
            models.UniqueConstraint(fields=["counselor", "weekday", "period"], name="opening_counselor_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.period}"


class Closure(models.Model):
    """An exception: the school (or one period) is closed on a date: a holiday, an exam, a meeting."""

    school = models.ForeignKey("portal.School", on_delete=models.CASCADE, related_name="counseling_closures")
    date = models.DateField(_("date"))
    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        help_text=_("Empty: the whole day."),
    )  # fmt: skip
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.period or ''}"


class SlotKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual session")
    GROUP = "group", _("Group session")


class Slot(models.Model):
    """A bookable time: one student (individual) or up to `capacity` (a group session with a topic)."""

    school = models.ForeignKey("portal.School", on_delete=models.CASCADE, related_name="slots")
    room = models.ForeignKey(Room, verbose_name=_("room"), on_delete=models.PROTECT, related_name="slots")
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("counselor"), on_delete=models.PROTECT, related_name="slots"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    kind = models.CharField(_("kind"), max_length=10, choices=SlotKind.choices, default=SlotKind.INDIVIDUAL)
    topic = models.CharField(_("topic"), max_length=100, blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=1)
    # Seats taken, kept by the booking service with a conditional UPDATE; the CHECK below is the last line.
    booked = models.PositiveSmallIntegerField(default=0)
    cancelled = models.BooleanField(_("cancelled"), default=False)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["starts_at", "room"]
        constraints = [
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="slot_never_overbooked"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"),
            models.CheckConstraint(condition=Q(kind="group") | Q(capacity=1), name="slot_individual_holds_one"),
            models.UniqueConstraint(fields=["room", "starts_at"], name="slot_room_once"),
        ]
        indexes = [models.Index(fields=["school", "starts_at"], name="slot_school_time")]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.starts_at):%Y-%m-%d %H:%M} {self.room}"

    @property
    def free(self) -> int:
        return self.capacity - self.booked


class Channel(models.TextChoices):
    PARENT = "parent", _("Parent, online")
    STUDENT = "student", _("Student, with a booking code")
    PHONE = "phone", _("Staff, by phone")
    IN_PERSON = "in_person", _("Staff, in person")


class ReasonCategory(models.TextChoices):
    MOOD = "mood", _("Mood or worries")
    STUDY = "study", _("Study and exams")
    FRIENDS = "friends", _("Friends and classmates")
    FAMILY = "family", _("Family")
    GROWTH = "growth", _("Growing up")
    OTHER = "other", _("Something else")


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    WAITING = "waiting", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")
    MOVED = "moved", _("Moved to another time")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("Did not come")


ACTIVE = ("booked", "waiting")


class Booking(models.Model):
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    student = models.ForeignKey("portal.Student", on_delete=models.CASCADE, related_name="counseling_bookings")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # nobody: the student, with their booking code
    channel = models.CharField(_("booked through"), max_length=10, choices=Channel.choices)
    contact = models.ForeignKey(
        "portal.Guardian", verbose_name=_("guardian to notify"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    reason = models.CharField(_("reason"), max_length=10, choices=ReasonCategory.choices, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.BOOKED)
    created_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(null=True, blank=True)
    moved_to = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reminded_day = models.DateTimeField(null=True, blank=True)
    reminded_hour = models.DateTimeField(null=True, blank=True)

    objects = AuditedQuerySet.as_manager()
    AUDIT_STUDENT = "student"

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["slot__starts_at", "created_at"]
        constraints = [
            # A student holds one place per slot (booked or waiting).
            models.UniqueConstraint(
                fields=["slot", "student"], condition=Q(status__in=ACTIVE), name="booking_once_per_slot"
            ),  # fmt: skip
        ]
        indexes = [
            models.Index(fields=["slot", "status", "created_at"], name="booking_slot_queue"),
            models.Index(fields=["status", "reminded_day"], name="booking_reminders"),
        ]

    def __str__(self) -> str:
        return f"booking #{self.pk}"


class BookingCode(models.Model):
    """A student's personal booking code, issued by the school: books without an account."""

    student = models.OneToOneField("portal.Student", on_delete=models.CASCADE, related_name="booking_code")
    code = EncryptedTextField(_("code"))
    code_digest = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("booking code")
        verbose_name_plural = _("booking codes")

    def __str__(self) -> str:
        return f"booking code of {self.student_id}"


class FeedToken(models.Model):
    """A counselor's private calendar feed. The URL carries a random token; only its SHA-256 is kept, so the
    table gives no working URL away. One per counselor: a new one replaces the old, which stops working."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_token")
    digest = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("calendar feed link")
        verbose_name_plural = _("calendar feed links")

    def __str__(self) -> str:
        return f"calendar feed of {self.user_id}"


class SchoolCounselingSettings(models.Model):
    school = models.OneToOneField("portal.School", on_delete=models.CASCADE, related_name="counseling_settings")
    change_cutoff_hours = models.PositiveSmallIntegerField(_("cancel or move up to (hours before)"), default=2)
    book_ahead_days = models.PositiveSmallIntegerField(_("book up to (days ahead)"), default=14)

    class Meta:
        verbose_name = _("counseling settings")
        verbose_name_plural = _("counseling settings")

    def __str__(self) -> str:
        return f"{self.school} counseling settings"


class Attendance(models.TextChoices):
    ATTENDED = "attended", _("Attended")
    LATE = "late", _("Came late")
    NO_SHOW = "no_show", _("Did not come")


class SessionType(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    GROUP = "group", _("Group")
    WITH_PARENT = "with_parent", _("With a parent")


class SessionRecord(models.Model):
    """What a counselor writes after a session. The summary is for the school's counselors; the private notes
    are the author's alone (and whom they share them with); anyone else reads them only by break-glass."""

    student = models.ForeignKey("portal.Student", on_delete=models.PROTECT, related_name="session_records")
    booking = models.OneToOneField(Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="record")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("held on"))
    attendance = models.CharField(_("attendance"), max_length=10, choices=Attendance.choices)
    session_type = models.CharField(_("type"), max_length=12, choices=SessionType.choices)
    summary = EncryptedTextField(_("shareable summary"), blank=True)
    private_notes = EncryptedTextField(_("private notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AuditedQuerySet.as_manager()
    AUDIT_STUDENT = "student"

    class Meta:
        verbose_name = _("session record")
        verbose_name_plural = _("session records")
        ordering = ["-held_on", "-id"]
        permissions = [("read_private_notes", "Can read the private notes")]

    def __str__(self) -> str:
        return f"session record #{self.pk}"


class SessionRecordUserObjectPermission(UserObjectPermissionBase):
    """The author shares one record's private notes with one colleague (django-guardian, direct FK)."""

    content_object = models.ForeignKey(SessionRecord, on_delete=models.CASCADE)


class MailboxStatus(models.TextChoices):
    NEW = "new", _("New")
    REPLIED = "replied", _("Replied")
    CLOSED = "closed", _("Closed")


class MailboxMessage(models.Model):
    """A message to the school's confide mailbox (知心信箱). Anonymous: no account, no IP, no device data."""

    school = models.ForeignKey("portal.School", on_delete=models.CASCADE, related_name="mailbox")
    body = EncryptedTextField(_("message"))
    reply_digest = models.CharField(max_length=64, unique=True)  # of the reply code the student keeps
    risk = models.BooleanField(_("risk words"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=MailboxStatus.choices, default=MailboxStatus.NEW)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    reply = EncryptedTextField(_("reply"), blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    # Set only when the student named themselves and the counselor recorded who it is.
    student = models.ForeignKey(
        "portal.Student", on_delete=models.SET_NULL, null=True, blank=True, related_name="mailbox_messages"
    )

    objects = AuditedQuerySet.as_manager()
    AUDIT_STUDENT = "student"

    class Meta:
        verbose_name = _("mailbox message")
        verbose_name_plural = _("mailbox messages")
        ordering = ["-risk", "-received_at"]
        indexes = [models.Index(fields=["school", "status", "-risk", "-received_at"], name="mailbox_inbox")]

    def __str__(self) -> str:
        return f"mailbox message #{self.pk}"


class RiskWords(models.Model):
    """The district's list of risk words for the mailbox (one per line, zh-hans and en)."""

    district = models.OneToOneField("portal.District", on_delete=models.CASCADE, related_name="risk_words")
    words = models.TextField(_("risk words"), help_text=_("One word or phrase per line."))

    class Meta:
        verbose_name = _("risk word list")
        verbose_name_plural = _("risk word lists")

    def __str__(self) -> str:
        return f"{self.district} risk words"


DEFAULT_RISK_WORDS = """自杀
想死
不想活
活着没意思
结束生命
轻生
跳楼
割腕
自残
伤害自己
遗书
打我
家暴
虐待
性侵
猥亵
suicide
kill myself
want to die
end my life
self-harm
hurt myself
cutting
abuse
hits me
"""
