"""The crisis ledger (心理危机台帐): one case per episode of concern about one student."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import UserObjectPermissionBase

from portal.encryption import EncryptedTextField
from portal.models import AuditedQuerySet, District, School, Student


class Tier(models.IntegerChoices):
    GENERAL = 1, _("General (tier 1)")
    SEVERE = 2, _("Severe (tier 2)")
    MAJOR = 3, _("Major (tier 3)")


class Source(models.TextChoices):
    SCREENING = "screening", _("Screening")
    TEACHER = "teacher", _("Class-teacher referral")
    PEER = "peer", _("Peer supporter, through a teacher")
    MAILBOX = "mailbox", _("Confide mailbox")
    SELF = "self", _("The student")
    PARENT = "parent", _("Parent")
    HOSPITAL = "hospital", _("Hospital")
    SESSION = "session", _("Counseling session")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    PENDING = "pending", _("Pending assessment")
    OPEN = "open", pgettext_lazy("case status", "Open")
    MONITORING = "monitoring", _("Monitoring")
    REFERRED = "referred", _("Referred")
    CLOSED = "closed", _("Closed")


class CloseReason(models.TextChoices):
    RESOLVED = "resolved", _("Concern resolved")
    NO_CONCERN = "no_concern", _("Assessed: no concern")
    LEFT_SCHOOL = "left_school", _("Left the district's schools")
    TRANSFERRED_CARE = "transferred_care", _("Care taken over by a hospital or centre")
    OTHER = "other", _("Other")


class BlockReason(models.TextChoices):
    RISK_AT_HOME = "risk_at_home", _("The risk may be at home")
    STUDENT_ASKED = "student_asked", _("The student asked, and the counselor agreed")
    GUARDIAN_UNREACHABLE = "unreachable", _("No guardian can be reached")
    OTHER = "other", _("Other safeguarding reason")


class Case(models.Model):
    # The case follows the student: its school is always the student's current one (no copy to go stale).
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="crisis_cases")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="crisis_cases",
    )  # fmt: skip
    # What screening (or a referral) suggests, with its evidence, kept apart from what a counselor confirms.
    suggested_tier = models.PositiveSmallIntegerField(_("suggested tier"), choices=Tier.choices)
    evidence = models.JSONField(_("evidence"), default=list, blank=True)
    confirmed_tier = models.PositiveSmallIntegerField(_("confirmed tier"), choices=Tier.choices, null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("reason for closing"), max_length=20, choices=CloseReason.choices, blank=True)
    # Safeguarding (the risk may be at home): alerts go to the school leader, never to guardians.
    guardian_contact_blocked = models.CharField(
        _("do not contact guardians automatically"), max_length=20, choices=BlockReason.choices, blank=True
    )
    # The first-contact timer (crisis.timers): a pending case is to be assessed by `assess_by`; past it the
    # school's leaders are told (step 1), past `escalate_at` (twice the time) the district's crisis team (step 2).
    assess_by = models.DateTimeField(_("assess by"), null=True, blank=True)
    escalate_at = models.DateTimeField(_("district told at"), null=True, blank=True)
    assess_escalation = models.PositiveSmallIntegerField(_("first-contact escalation step"), default=0)
    # After hours (crisis.oncall): the district's person on call took the case on; that stops the timer.
    on_call_ack_at = models.DateTimeField(_("taken on by the person on call at"), null=True, blank=True)
    on_call_ack_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = AuditedQuerySet.as_manager()
    AUDIT_STUDENT = "student"  # portal.audit: whose record this is

    class Meta:
        verbose_name = _("crisis case")
        verbose_name_plural = _("crisis cases")
        constraints = [
            # At most one open case per student: concurrent raises end in one case (crisis.services.case_raise).
            models.UniqueConstraint(
                fields=["student"], condition=~Q(status="closed"), name="one_open_case_per_student"
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) & ~Q(close_reason="")
                | ~Q(status="closed") & Q(closed_at__isnull=True, close_reason=""),
                name="case_closed_with_time_and_reason",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_tier__isnull=True) | Q(confirmed_by__isnull=False, confirmed_at__isnull=False),
                name="case_confirmation_has_who_and_when",
            ),
        ]
        indexes = [
            # The high-risk list: a school's open cases by tier.
            models.Index(fields=["status", "confirmed_tier"], name="case_status_tier"),
            # The first-contact sweep and the awaiting list: pending cases by deadline.
            models.Index(fields=["assess_by"], condition=Q(status="pending"), name="case_pending_deadline"),
        ]

    def __str__(self) -> str:
        return f"case #{self.pk}"

    @property
    def tier(self) -> int:
        """The tier that counts: the confirmed one, else the suggestion."""
        return self.confirmed_tier or self.suggested_tier

    @property
    def review_flags(self) -> list[str]:
        """The answer-validity flags of the screening results on this case (screening.models.ReviewFlag), for the
        counselor's triage: shown beside the suggested tier, never lowering it."""
        flags = (f for item in self.evidence for result in item.get("screening", []) for f in result.get("flags", []))
        return list(dict.fromkeys(flags))


class ContactType(models.TextChoices):
    TALK = "talk", _("Talk with the student")
    PHONE = "phone", _("Phone call")
    GUARDIAN = "guardian", _("Meeting with guardians")
    HOME_VISIT = "home_visit", _("Home visit")
    TEACHER = "teacher", _("Talk with the class teacher")
    OTHER = "other", _("Other")


class FollowUp(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follow_ups")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    contact_type = models.CharField(_("contact"), max_length=20, choices=ContactType.choices)
    # Clinical free text: encrypted at rest, never in the audit log.
    summary = EncryptedTextField(_("summary"))
    next_step = EncryptedTextField(_("next step"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AuditedQuerySet.as_manager()
    AUDIT_STUDENT = "case__student"

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["case", "-date"], name="followup_case_date")]  # a case's last contact

    def __str__(self) -> str:
        return f"follow-up #{self.pk}"


class Referral(models.Model):
    """A class teacher's (or, through them, a peer supporter's) concern about a student."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    via_peer_supporter = models.BooleanField(_("raised by a peer supporter"), default=False)
    concern = EncryptedTextField(_("concern"))
    created_at = models.DateTimeField(_("referred at"), default=timezone.now)

    AUDIT_STUDENT = "case__student"

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self) -> str:
        return f"referral #{self.pk}"


class FollowUpPolicy(models.Model):
    """How often a case of each tier is followed up, per district (the default below applies otherwise)."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="follow_up_policies")
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices)
    every_days = models.PositiveSmallIntegerField(_("every (days)"))

    class Meta:
        verbose_name = _("follow-up policy")
        verbose_name_plural = _("follow-up policies")
        constraints = [
            models.UniqueConstraint(fields=["district", "tier"], name="followup_policy_unique"),
            models.CheckConstraint(condition=Q(every_days__gte=1), name="followup_policy_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.district}: tier {self.tier} every {self.every_days} days"


# The portal's policy until a district sets its own: tier 3 every 2 days, tier 2 weekly, tier 1 monthly.
DEFAULT_FOLLOW_UP_DAYS: dict[int, int] = {Tier.GENERAL: 30, Tier.SEVERE: 7, Tier.MAJOR: 2}


class TimeUnit(models.TextChoices):
    HOURS = "hours", _("clock hours, day and night")
    SCHOOL_DAYS = "school_days", _("school days")


class FirstContactPolicy(models.Model):
    """Within how long a new case of each suggested tier must be assessed (a counselor confirms or changes the
    tier), per district; the default below applies otherwise."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="first_contact_policies")
    tier = models.PositiveSmallIntegerField(_("suggested tier"), choices=Tier.choices)
    within = models.PositiveSmallIntegerField(_("within"))
    unit = models.CharField(_("unit"), max_length=12, choices=TimeUnit.choices)

    class Meta:
        verbose_name = _("first-contact policy")
        verbose_name_plural = _("first-contact policies")
        constraints = [
            models.UniqueConstraint(fields=["district", "tier"], name="first_contact_policy_unique"),
            models.CheckConstraint(condition=Q(within__gte=1), name="first_contact_policy_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.district}: tier {self.tier} within {self.within} {self.unit}"


# Until a district sets its own: 重大 within 1 clock hour, 严重 within 1 school day, 一般 within 5 school days.
DEFAULT_FIRST_CONTACT: dict[int, tuple[int, str]] = {
    Tier.MAJOR: (1, TimeUnit.HOURS),
    Tier.SEVERE: (1, TimeUnit.SCHOOL_DAYS),
    Tier.GENERAL: (5, TimeUnit.SCHOOL_DAYS),
}


class NoticeVia(models.TextChoices):
    LINK = "link", _("The link in the message")
    PHONE = "phone", _("Phone call")
    MEETING = "meeting", _("Meeting")


class GuardianNotice(models.Model):
    """One "please contact the school" message about a case (监护人知情机制), and whether it was acknowledged.

    It goes to the primary guardian, or to the school leader when guardian contact is blocked or nobody is
    on record. The message carries no clinical detail.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    guardian = models.ForeignKey("portal.Guardian", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("link valid until"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_via = models.CharField(_("acknowledged through"), max_length=10, choices=NoticeVia.choices, blank=True)
    # Unacknowledged: 0 = first channel sent, 1 = second channel tried, 2 = school leader alerted.
    escalation = models.PositiveSmallIntegerField(_("escalation step"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    outcome = EncryptedTextField(_("outcome"), blank=True)  # what a phone call or meeting with the family came to

    AUDIT_STUDENT = "case__student"

    class Meta:
        verbose_name = _("guardian notice")
        verbose_name_plural = _("guardian notices")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(guardian__isnull=False) | Q(leader__isnull=False), name="notice_has_recipient"
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_via="")
                | Q(acknowledged_at__isnull=False) & ~Q(acknowledged_via=""),
                name="notice_ack_has_time_and_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"notice #{self.pk}"


class IncidentKind(models.TextChoices):
    MAJOR_CASE = "major_case", _("Major (tier 3) case confirmed")
    INCIDENT = "incident", _("Incident reported by the school")


class Incident(models.Model):
    """What reaches the district: every tier-3 case, and any incident a school reports.

    District officials see the student's name only through these.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="incidents")
    kind = models.CharField(_("kind"), max_length=20, choices=IncidentKind.choices)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    what_happened = EncryptedTextField(_("what happened"), blank=True)
    actions_taken = EncryptedTextField(_("actions taken"), blank=True)
    outside_help = EncryptedTextField(_("outside help"), blank=True)

    AUDIT_STUDENT = "case__student"

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-reported_at", "-id"]
        constraints = [
            # A tier-3 case reaches the district once, however often it is confirmed.
            models.UniqueConstraint(fields=["case"], condition=Q(kind="major_case"), name="incident_major_case_once"),
        ]

    def __str__(self) -> str:
        return f"incident #{self.pk}"


class EmergencyPlan(models.Model):
    """A school's emergency plan (应急预案): each new version is a new row; the newest one counts."""

    school = models.ForeignKey("portal.School", on_delete=models.CASCADE, related_name="emergency_plans")
    version = models.CharField(_("version"), max_length=20)
    adopted_on = models.DateField(_("adopted on"))
    document = models.FileField(_("document"), upload_to="emergency-plans/%Y/")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")
        ordering = ["-adopted_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["school", "version"], name="emergency_plan_version_unique")]

    def __str__(self) -> str:
        return f"{self.school} {self.version}"


class Drill(models.Model):
    """A crisis drill (定期演练) a school held."""

    school = models.ForeignKey("portal.School", on_delete=models.CASCADE, related_name="drills")
    held_on = models.DateField(_("held on"))
    scenario = models.CharField(_("scenario"), max_length=200)
    participants = models.PositiveIntegerField(_("participants"))
    lessons = models.TextField(_("lessons learned"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["school", "-held_on"], name="drill_school_date")]  # drills this term

    def __str__(self) -> str:
        return f"{self.school} {self.held_on}"


class ResponderKind(models.TextChoices):
    TEAM = "team", _("Crisis-response team")
    EXPERT = "expert", _("Expert pool")


class Responder(models.Model):
    """A member of the district's crisis-response team or expert pool (专家库).

    The account side is a district Membership with the responder role (it carries "active" and makes the
    second factor mandatory); this row says who they are. They see a case only through an assignment.
    """

    membership = models.OneToOneField("portal.Membership", on_delete=models.CASCADE, related_name="responder")
    kind = models.CharField(_("kind"), max_length=10, choices=ResponderKind.choices)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    speciality = models.CharField(_("speciality"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("crisis responder")
        verbose_name_plural = _("crisis responders")

    def __str__(self) -> str:
        from portal.labels import person  # by full name, as everywhere (portal.labels loads crisis's words lazily)

        return person(self.membership.user)


class DutyShift(models.Model):
    """The district's after-hours duty roster (值班表): who of its crisis team or expert pool is on call, when."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="duty_shifts")
    responder = models.ForeignKey(Responder, verbose_name=_("on call"), on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["district", "ends_at"], name="duty_shift_district_end")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="duty_shift_ends_later")
        ]

    def __str__(self) -> str:
        return f"{self.responder} {self.starts_at:%Y-%m-%d %H:%M}"


class QueueAssignment(models.Model):
    """A district responder sent to help a school over capacity (crisis.capacity): while it lasts they may read
    and assess (confirm the tier of) the school's cases awaiting assessment, and read those they assessed."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    responder = models.ForeignKey(Responder, on_delete=models.CASCADE, related_name="queues")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    expires_at = models.DateTimeField(_("access until"))

    class Meta:
        verbose_name = _("queue assignment")
        verbose_name_plural = _("queue assignments")
        indexes = [models.Index(fields=["school", "expires_at"], name="queue_assignment_school")]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("assigned_at")), name="queue_ends_later")
        ]

    def __str__(self) -> str:
        return f"{self.responder} → {self.school_id}"


class CaseUserObjectPermission(UserObjectPermissionBase):
    """A responder's time-limited access to one case (django-guardian, direct foreign key).

    portal.access.scope_cases honours a grant only until expires_at; the beat task deletes expired rows so
    that nothing else reading guardian's tables ever sees them.
    """

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="grants")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    expires_at = models.DateTimeField(_("access until"))

    AUDIT_STUDENT = "content_object__student"

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("case access grant")
        verbose_name_plural = _("case access grants")
        indexes = [models.Index(fields=["expires_at"], name="case_grant_expiry")]  # the expiry sweep
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("granted_at")), name="case_grant_ends_later")
        ]


class ReferralPlace(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital (psychiatry)")
    CENTRE = "centre", _("Mental-health centre")
    OTHER = "other", _("Other service")


class ReferralOutcome(models.TextChoices):
    PENDING = "pending", _("Waiting for the outcome")
    ASSESSED_NO_TREATMENT = "assessed", _("Assessed, no treatment needed")
    OUTPATIENT = "outpatient", _("Outpatient treatment")
    ADMITTED = "admitted", _("Admitted")
    DECLINED = "declined", _("Family declined")
    NOT_ATTENDED = "not_attended", _("Did not attend")


class OutsideReferral(models.Model):
    """A referral of the case to a mental-health centre or hospital (转介), and what came of it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="outside_referrals")
    place_kind = models.CharField(_("referred to"), max_length=10, choices=ReferralPlace.choices)
    organisation = models.CharField(_("organisation"), max_length=200)
    referred_on = models.DateField(_("referred on"))
    reason = EncryptedTextField(_("reason"), blank=True)
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=ReferralOutcome.choices, default=ReferralOutcome.PENDING
    )
    outcome_on = models.DateField(_("outcome on"), null=True, blank=True)
    outcome_note = EncryptedTextField(_("outcome note"), blank=True)

    objects = AuditedQuerySet.as_manager()
    AUDIT_STUDENT = "case__student"

    class Meta:
        verbose_name = _("outside referral")
        verbose_name_plural = _("outside referrals")
        ordering = ["-referred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="pending", outcome_on__isnull=True)
                | ~Q(outcome="pending") & Q(outcome_on__isnull=False),
                name="outside_referral_outcome_dated",
            ),
            models.CheckConstraint(
                condition=Q(outcome_on__isnull=True) | Q(outcome_on__gte=models.F("referred_on")),
                name="outside_referral_outcome_after",
            ),
        ]

    def __str__(self) -> str:
        return f"outside referral #{self.pk}"
