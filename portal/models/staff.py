"""Users and the roles they hold through memberships."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models.org import District, School


class User(AbstractUser):
    language = models.CharField(_("preferred language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    # Staff's work phone: guardians are asked to call it (crisis notices), so it is never a private number.
    phone = models.CharField(_("work phone"), max_length=30, blank=True)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def set_password(self, raw_password: str | None) -> None:
        # Noticed by portal.security after save: a new password revokes the account's API tokens.
        super().set_password(raw_password)
        self._password_changed = True


class Role(models.TextChoices):
    OFFICIAL = "official", _("District official")
    LEADER = "leader", _("School leader")
    COUNSELOR = "counselor", _("Counselor")
    TEACHER = "teacher", _("Class teacher")
    # District crisis-response team and expert pool (专家库): no school; case access only through a
    # time-limited grant on an incident they are assigned to (crisis.CaseUserObjectPermission).
    RESPONDER = "responder", _("Crisis responder")


class Employment(models.TextChoices):
    FULL_TIME = "full_time", _("Full-time")
    PART_TIME = "part_time", _("Part-time")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(active=True)


class Membership(models.Model):
    """A role a user holds at one school, or (officials) in one district."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships")
    district = models.ForeignKey(District, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships")
    employment = models.CharField(_("employment"), max_length=20, choices=Employment.choices, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            # Officials and responders belong to a district; everyone else to exactly one school.
            models.CheckConstraint(
                condition=(Q(role__in=["official", "responder"], district__isnull=False, school__isnull=True))
                | (~Q(role__in=["official", "responder"]) & Q(district__isnull=True, school__isnull=False)),
                name="membership_scope_matches_role",
            ),
            models.CheckConstraint(
                condition=Q(role="counselor") | Q(employment=""), name="membership_employment_only_counselors"
            ),
            models.UniqueConstraint(
                fields=["user", "role", "school"], condition=Q(school__isnull=False), name="membership_unique_school"
            ),
            models.UniqueConstraint(
                fields=["user", "role", "district"],
                condition=Q(district__isnull=False),
                name="membership_unique_district",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} {self.school or self.district}"


class EnrolmentCode(models.Model):
    """A one-time code an operator issues so a staff member can enrol their first authenticator.

    Without it a stolen password alone could enrol the thief's phone on an account that has none yet.
    Only a hash is stored; the code is shown to the operator once (and e-mailed when an address is known).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_code")
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enrolment code")
        verbose_name_plural = _("enrolment codes")

    def __str__(self) -> str:
        return f"enrolment code for {self.user_id}"
