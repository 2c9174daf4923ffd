"""Screening: instrument definitions as loaded from the repository (each version kept for its responses)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from portal.encryption import EncryptedTextField
from portal.models import AuditedQuerySet
from screening.definitions import Definition, parse


class Instrument(models.Model):
    """One version of one instrument's definition. Responses point at the version they were given with."""

    code = models.CharField(_("code"), max_length=20)
    version = models.CharField(_("version"), max_length=20)
    definition = models.JSONField(_("definition"))
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="instrument_version_unique")]
        ordering = ["code", "-loaded_at"]

    def __str__(self) -> str:
        return f"{self.code} {self.version}"

    @property
    def parsed(self) -> Definition:
        return parse(self.definition)

    @property
    def display_name(self) -> str:
        """The instrument's name in the active language."""
        names = self.definition.get("name", {})
        return str(names.get("en" if get_language() == "en" else "zh_hans") or self.code)

    @property
    def wording(self) -> str:
        """Where the zh-hans wording comes from: "published", "unvalidated" or "project" (screening.definitions)."""
        return str(self.definition.get("translation", "project"))

    @property
    def wording_validated(self) -> bool:
        return self.wording == "published"


class ConsentMode(models.TextChoices):
    OPT_IN = "opt_in", _("Guardians opt in")
    OPT_OUT = "opt_out", _("Guardians may opt out")


class ScreeningPolicy(models.Model):
    """A district's screening policy. Triage may only be tightened (lower cut-offs), never loosened."""

    district = models.OneToOneField("portal.District", on_delete=models.CASCADE, related_name="screening_policy")
    consent_mode = models.CharField(
        _("consent"), max_length=10, choices=ConsentMode.choices, default=ConsentMode.OPT_IN,
        help_text=_("Under-14s always need a guardian's consent (PIPL art. 31), whatever this says."),
    )  # fmt: skip
    guardian_on_critical = models.BooleanField(
        _("tell the guardian when an answer is critical"), default=False,
        help_text=_("Otherwise guardians are told once a counselor confirms tier 2 or 3."),
    )  # fmt: skip
    positive_at = models.JSONField(_("lower cut-offs"), default=dict, blank=True)  # code -> total cut-off

    class Meta:
        verbose_name = _("screening policy")
        verbose_name_plural = _("screening policies")

    def __str__(self) -> str:
        return f"{self.district} screening policy"

    def clean(self) -> None:
        from screening.definitions import shipped

        published = {code: d.positive_at for code, d in shipped().items() if d.positive_at is not None}
        for code, value in (self.positive_at or {}).items():
            if (
                code not in published
                or not isinstance(value, int)
                or isinstance(value, bool)
                or not (1 <= value <= published[code])
            ):
                raise ValidationError(
                    {
                        "positive_at": _("%(code)s: a cut-off must be a whole number from 1 to the published %(max)s.")
                        % {"code": code, "max": published.get(code, "—")}
                    }  # fmt: skip
                )


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", pgettext_lazy("campaign status", "Open")
    CLOSED = "closed", _("Closed")


class Campaign(models.Model):
    """A screening round (开学心理普查): instruments per grade band, schools, grades and a window."""

    district = models.ForeignKey("portal.District", on_delete=models.PROTECT, related_name="campaigns")
    school_year = models.ForeignKey("portal.SchoolYear", on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(_("name"), max_length=100)
    schools = models.ManyToManyField("portal.School", verbose_name=_("schools"), related_name="campaigns")
    grade_from = models.PositiveSmallIntegerField(_("from grade"), default=4)
    grade_to = models.PositiveSmallIntegerField(_("to grade"), default=12)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    # The district's consent mode when the campaign opened (services.campaign_open), kept for the whole campaign:
    # guardians were asked (opt-in) or told they may refuse (opt-out) under it, and a policy changed later cannot
    # turn a notice into a consent, nor a consent request into a notice. Blank while a draft.
    consent_mode = models.CharField(_("consent"), max_length=10, choices=ConsentMode.choices, blank=True)
    created_by = models.ForeignKey("portal.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("screening campaign")
        verbose_name_plural = _("screening campaigns")
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_on__gte=models.F("opens_on")), name="campaign_window"),
            models.CheckConstraint(
                condition=models.Q(grade_from__gte=1, grade_to__lte=12, grade_to__gte=models.F("grade_from")),
                name="campaign_grades",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Battery(models.Model):
    """The instruments given to one grade band of a campaign, in order."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="batteries")
    grade_from = models.PositiveSmallIntegerField(_("from grade"))
    grade_to = models.PositiveSmallIntegerField(_("to grade"))
    instrument = models.ForeignKey(Instrument, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("battery instrument")
        verbose_name_plural = _("battery instruments")
        ordering = ["grade_from", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "grade_from", "instrument"], name="battery_instrument_once"),
            models.CheckConstraint(condition=models.Q(grade_to__gte=models.F("grade_from")), name="battery_grades"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} grades {self.grade_from}-{self.grade_to}: {self.instrument}"


class Consent(models.TextChoices):
    PENDING = "pending", _("Waiting for the guardian")
    GRANTED = "granted", _("Consented")
    REFUSED = "refused", _("Refused")
    NOT_NEEDED = "not_needed", _("Not needed (opt-out)")


class Participation(models.Model):
    """One student in one campaign: their code, the guardian's consent, and how far they got."""

    # No index of its own: participation_once_per_campaign (campaign, student) serves lookups by campaign.
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participations", db_index=False)
    student = models.ForeignKey("portal.Student", on_delete=models.CASCADE, related_name="screenings")
    # The code is printed on the class's sheet: kept encrypted; looked up by its keyed digest (unique through
    # Meta.constraints, without the LIKE index a unique=True CharField gets).
    code = EncryptedTextField(_("code"))
    code_digest = models.CharField(max_length=64)
    consent = models.CharField(_("consent"), max_length=12, choices=Consent.choices, default=Consent.PENDING)
    consent_at = models.DateTimeField(_("consent answered at"), null=True, blank=True)
    consent_by = models.ForeignKey(
        "portal.Guardian", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    # The code's first use on a kiosk (POST /api/v1/screening/sessions/): where the server's clock for the kiosk's
    # answering time starts. Opening a code is not starting: consent can still be withdrawn.
    opened_at = models.DateTimeField(_("code first opened at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    suggested_tier = models.PositiveSmallIntegerField(_("suggested tier"), null=True, blank=True)  # 0-3 once scored
    flagged = models.BooleanField(_("flagged for review"), default=False)

    objects = AuditedQuerySet.as_manager()
    AUDIT_STUDENT = "student"

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "student"], name="participation_once_per_campaign"),
            models.UniqueConstraint(fields=["code_digest"], name="participation_code_unique"),
            models.CheckConstraint(
                condition=~models.Q(consent="refused") | models.Q(started_at__isnull=True),
                name="participation_refused_never_started",
            ),
        ]

    def __str__(self) -> str:
        return f"participation #{self.pk}"


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    SCORED = "scored", _("Scored")
    # A submitted response the scorer could not score (Response.score_error says why): set aside for a person to
    # look at, so that the rest of the batch is scored. A critical answer on it is still acted on (triage_urgent).
    UNSCOREABLE = "unscoreable", _("Could not be scored")


# Why a response could not be scored (Response.score_error["code"]), in the words a counselor reads.
SCORE_ERRORS = {
    "bad_answer": _(
        "An answer is not one the questionnaire offers. Talk with the student, and ask the support team to correct "
        "the stored answer."
    ),
    "unknown_item": _(
        "The form holds a question the questionnaire does not have. Ask the support team to correct the stored form."
    ),
    "definition": _("The questionnaire's definition could not be read. Ask the support team to check it."),
    "policy": _(
        "The district's cut-off for this questionnaire is not one the questionnaire allows. Ask the district to "
        "correct its screening policy."
    ),
    "unexpected": _("Scoring failed for a reason nobody foresaw. Tell the support team."),
}


class ReviewFlag(models.TextChoices):
    """Answer-validity checks (services.review_flags): a counselor looks closer; they never hide a result."""

    IDENTICAL = "identical_answers", _("Same answer to every question")
    TOO_FAST = "too_fast", _("Answered faster than the questions can be read")


class ResponseSource(models.TextChoices):
    WEB = "web", _("On screen")
    PAPER = "paper", _("Paper form, imported")
    GUARDIAN = "guardian", _("Guardian, on screen")


class Response(models.Model):
    """The answers to one instrument (the version it was given with), and its score once a worker has it."""

    # No index of its own: response_once_per_instrument (participation, instrument) serves it.
    participation = models.ForeignKey(Participation, on_delete=models.CASCADE, related_name="responses", db_index=False)
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    source = models.CharField(_("source"), max_length=10, choices=ResponseSource.choices, default=ResponseSource.WEB)
    answers = models.JSONField(_("answers"), default=dict)  # item number (str) -> value or null
    status = models.CharField(
        _("status"), max_length=12, choices=ResponseStatus.choices, default=ResponseStatus.IN_PROGRESS
    )
    # When the server saw the student begin this instrument (its first answer on the form; on a kiosk the code's
    # opening or the previous instrument's submission). Null: not measured (a kiosk that did not open the code
    # first), so no too-fast flag can be set. Never the client's clock.
    started_at = models.DateTimeField(default=timezone.now, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    # The result (screening.scoring.Result), kept column by column for the lists and the dashboards.
    valid = models.BooleanField(null=True)
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    band = models.CharField(max_length=30, blank=True)
    positive = models.BooleanField(null=True)
    critical = models.BooleanField(null=True)
    outcome = models.CharField(max_length=30, blank=True)  # the ASQ's result
    subscales = models.JSONField(default=dict, blank=True)
    suggested_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    # The definition version whose rules produced the result: the one given with, or a fix re-scored with.
    scored_with = models.ForeignKey(Instrument, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    review_flags = models.JSONField(default=list, blank=True)  # answer-validity checks: never hide a critical answer
    # A critical answer waiting for its urgent triage since then: set with the answer, cleared by the triage, so
    # a task lost between commit and the broker is queued again by the sweeper (services.urgent_sweep).
    urgent_since = models.DateTimeField(null=True, blank=True)
    # Why the scorer could not score it (status "unscoreable"): {"code": a SCORE_ERRORS key, "item": n or None}.
    # A database default too, for bulk loads (COPY) that leave the column out.
    score_error = models.JSONField(default=dict, db_default=models.Value({}, models.JSONField()), blank=True)

    objects = AuditedQuerySet.as_manager()
    AUDIT_STUDENT = "participation__student"

    class Meta:
        verbose_name = _("screening response")
        verbose_name_plural = _("screening responses")
        constraints = [
            models.UniqueConstraint(fields=["participation", "instrument"], name="response_once_per_instrument"),
            models.CheckConstraint(
                condition=~models.Q(status="scored") | models.Q(scored_at__isnull=False, suggested_tier__isnull=False),
                name="response_scored_has_result",
            ),
        ]
        indexes = [
            # The scoring workers' queue: submitted, not yet scored.
            models.Index(fields=["status"], name="response_to_score", condition=models.Q(status="submitted")),
            # The urgent sweeper, every half minute: only the few critical answers still waiting.
            models.Index(
                fields=["urgent_since"], name="response_urgent", condition=models.Q(urgent_since__isnull=False)
            ),  # fmt: skip
            # The campaign page's "could not be scored" list: only the few rows set aside.
            models.Index(
                fields=["participation"], name="response_unscoreable", condition=models.Q(status="unscoreable")
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"response #{self.pk}"

    @property
    def score_error_text(self) -> str:
        """Why it could not be scored, in words (never the code)."""
        error = self.score_error or {}
        message = str(SCORE_ERRORS.get(error.get("code", ""), SCORE_ERRORS["unexpected"]))
        if error.get("item"):
            return _("Question %(item)s: %(message)s") % {"item": error["item"], "message": message}
        return message


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RescoreJob(models.Model):
    """Re-scoring a campaign's responses to one instrument with a fixed definition: a bulk job with progress."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="rescore_jobs")
    code = models.CharField(_("instrument"), max_length=20)
    to_instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    created_by = models.ForeignKey("portal.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("re-scoring job")
        verbose_name_plural = _("re-scoring jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(done__lte=models.F("total")), name="rescore_done_le_total"),
            # One job at a time per campaign and instrument: two would race over the same rows.
            models.UniqueConstraint(
                fields=["campaign", "code"],
                condition=models.Q(status__in=["queued", "running"]),
                name="rescore_one_running",
            ),
        ]

    def __str__(self) -> str:
        return f"rescore {self.code} #{self.pk}"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


class AnswerChange(models.Model):
    """An answer the student changed by going back one question (screening.changes.answer_change). The earlier
    answer is kept here; Response.answers holds the latest, the one scored. A critical earlier answer stays
    acted on: its urgent triage, alert and case are never withdrawn by the change."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answer_changes")
    item = models.PositiveSmallIntegerField(_("question"))
    previous = models.SmallIntegerField(_("earlier answer"), null=True, blank=True)  # None: skipped
    value = models.SmallIntegerField(_("new answer"), null=True, blank=True)  # None: skipped
    previous_critical = models.BooleanField(_("earlier answer was critical"), default=False)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    objects = AuditedQuerySet.as_manager()
    AUDIT_STUDENT = "response__participation__student"

    class Meta:
        verbose_name = _("changed answer")
        verbose_name_plural = _("changed answers")
        ordering = ["changed_at", "id"]
        constraints = [
            # A change that changes nothing is not recorded (NULL = skipped: NULL vs a value passes, as it should).
            models.CheckConstraint(condition=~models.Q(previous=models.F("value")), name="answer_change_differs"),
        ]

    def __str__(self) -> str:
        return f"answer change #{self.pk}"
