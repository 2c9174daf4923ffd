"""The crisis ledger's API under /api/v1/: the same reads, rules and services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import django_filters
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from crisis import selectors, services
from crisis.forms import CloseForm, ConfirmTierForm, FollowUpForm, OutsideReferralForm, ReferralForm, StatusForm
from crisis.models import (
    BlockReason,
    Case,
    CloseReason,
    FollowUp,
    GuardianNotice,
    Incident,
    NoticeVia,
    OutsideReferral,
    Status,
)
from portal import access, audit
from portal.api import AuditedReadMixin, form_data, form_schema
from portal.api_permissions import SignedIn
from portal.models import User


class CaseSerializer(serializers.ModelSerializer[Case]):
    student_name = serializers.CharField(source="student.name")
    student_number = serializers.CharField(source="student.student_number")
    school = serializers.IntegerField(source="student.school_id")
    class_name = serializers.CharField(source="student.classroom.__str__")
    tier = serializers.IntegerField()
    # Read-only model fields lose blank=True in DRF, and the schema's enum would then forbid the "" of an open
    # case: declared here with their blank.
    close_reason = serializers.ChoiceField(choices=CloseReason.choices, allow_blank=True, read_only=True)
    guardian_contact_blocked = serializers.ChoiceField(choices=BlockReason.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Case
        fields = [
            "id", "student", "student_name", "student_number", "school", "class_name", "source", "status", "tier",
            "suggested_tier", "confirmed_tier", "confirmed_by", "confirmed_at", "owner", "opened_at", "closed_at",
            "close_reason", "guardian_contact_blocked",
        ]  # fmt: skip
        read_only_fields = fields


class FollowUpSerializer(serializers.ModelSerializer[FollowUp]):
    class Meta:
        model = FollowUp
        fields = ["id", "date", "contact_type", "summary", "next_step", "author", "created_at"]
        read_only_fields = fields


class NoticeSerializer(serializers.ModelSerializer[GuardianNotice]):
    to = serializers.SerializerMethodField()
    # "" until the notice is acknowledged (see CaseSerializer.close_reason).
    acknowledged_via = serializers.ChoiceField(choices=NoticeVia.choices, allow_blank=True, read_only=True)

    class Meta:
        model = GuardianNotice
        fields = ["id", "to", "tier", "sent_at", "expires_at", "acknowledged_at", "acknowledged_via", "escalation"]
        read_only_fields = fields

    def get_to(self, notice: GuardianNotice) -> str:
        return "guardian" if notice.guardian_id else "leader"


class OutsideReferralSerializer(serializers.ModelSerializer[OutsideReferral]):
    class Meta:
        model = OutsideReferral
        fields = ["id", "place_kind", "organisation", "referred_on", "reason", "outcome", "outcome_on", "outcome_note"]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    follow_ups = FollowUpSerializer(many=True, read_only=True)
    notices = NoticeSerializer(many=True, read_only=True)
    outside_referrals = OutsideReferralSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "evidence", "follow_ups", "notices", "outside_referrals"]
        read_only_fields = fields


_LIST_COLUMNS = (
    "id", "student", "student__name", "student__student_number", "student__school_id", "student__classroom__grade",
    "student__classroom__name", "source", "status", "suggested_tier", "confirmed_tier", "confirmed_by",
    "confirmed_at", "owner", "opened_at", "closed_at", "close_reason", "guardian_contact_blocked",
)  # fmt: skip


def _case_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CaseSerializer's rows from .values(): times as DRF writes them (ISO 8601 in the current time zone, "Z"
    for UTC), the class name as Classroom.__str__ does. The zone and the translation are looked up once."""
    zone = timezone.get_current_timezone()
    class_name = _("Grade %(grade)s, %(name)s")

    def time(value: dt.datetime | None) -> str | None:
        if value is None:
            return None
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return [
        {
            "id": row["id"], "student": row["student"], "student_name": row["student__name"],
            "student_number": row["student__student_number"], "school": row["student__school_id"],
            "class_name": class_name % {"grade": row["student__classroom__grade"],
                                        "name": row["student__classroom__name"]},
            "source": row["source"], "status": row["status"],
            "tier": row["confirmed_tier"] or row["suggested_tier"], "suggested_tier": row["suggested_tier"],
            "confirmed_tier": row["confirmed_tier"], "confirmed_by": row["confirmed_by"],
            "confirmed_at": time(row["confirmed_at"]), "owner": row["owner"], "opened_at": time(row["opened_at"]),
            "closed_at": time(row["closed_at"]), "close_reason": row["close_reason"],
            "guardian_contact_blocked": row["guardian_contact_blocked"],
        }
        for row in rows
    ]  # fmt: skip


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    confirmed_tier = django_filters.NumberFilter()
    school = django_filters.NumberFilter(field_name="student__school_id")
    open = django_filters.BooleanFilter(method="filter_open", label="Not closed")

    def filter_open(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        return queryset.exclude(status=Status.CLOSED) if value else queryset.filter(status=Status.CLOSED)


class LedgerPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000  # a school's whole register in one call


class CaseViewSet(AuditedReadMixin, viewsets.ReadOnlyModelViewSet[Case]):
    """A school's crisis register. Counselors and leaders of the student's school act on a case; a district
    responder assigned to it may read it and add follow-ups while the grant lasts."""

    permission_classes = [SignedIn]
    filterset_class = CaseFilter
    pagination_class = LedgerPagination
    ordering_fields = ["opened_at", "confirmed_tier", "suggested_tier"]

    def get_queryset(self) -> QuerySet[Case]:
        cases = selectors.cases_readable(self.request.user).order_by("-opened_at", "-id")
        if self.action == "retrieve":
            return cases.prefetch_related("follow_ups", "notices", "outside_referrals")
        return cases

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Case]]:
        return CaseDetailSerializer if self.action == "retrieve" else CaseSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The register is read in pages of up to 1,000 rows: built from .values(), not model instances and
        a ModelSerializer, so that it costs about what the rows cost. Same fields, same JSON, as
        CaseSerializer (a test compares the two)."""
        queryset = self.filter_queryset(self.get_queryset())
        paginator = cast(LedgerPagination, self.paginator)  # not the mixin's: it audits model rows, here dicts
        rows = paginator.paginate_queryset(queryset.values(*_LIST_COLUMNS), request, view=self) or []
        audit.record_read(
            Case, [row["id"] for row in rows], detail={"via": "list"},
            subjects=[(row["id"], row["student"], row["student__school_id"]) for row in rows],
        )  # fmt: skip
        return self.get_paginated_response(_case_rows(rows))

    def _managed(self, pk: str | None) -> Case:
        """Assessing, referring and closing are the school's: a responder gets 404 like anyone else."""
        return access.get_or_404(selectors.cases_for(self.request.user), pk=pk)

    def _done(self, case: Case, code: int = status.HTTP_200_OK) -> Response:
        case = selectors.cases_readable(self.request.user).get(pk=case.pk)
        return Response(CaseSerializer(case).data, status=code)

    def _refused(self, exc: services.CaseStateError) -> Response:
        messages = {
            services.AlreadyRecorded: _("This was recorded already."),
            services.CaseNotAssessed: _("Assess the case (confirm its tier) first."),
        }
        detail = messages.get(type(exc), _("This case is closed: it can no longer be changed."))
        return Response({"detail": detail}, status=status.HTTP_409_CONFLICT)

    @extend_schema(request=form_schema(ConfirmTierForm, "ConfirmTier"), responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        case = self._managed(pk)
        data = form_data(ConfirmTierForm(request.data))
        try:
            services.case_confirm_tier(case=case, tier=data["tier"], by=cast(User, request.user))
        except services.CaseStateError as exc:
            return self._refused(exc)
        return self._done(case)

    @extend_schema(request=form_schema(StatusForm, "CaseStatus"), responses=CaseSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        case = self._managed(pk)
        data = form_data(StatusForm(request.data))
        try:
            services.case_set_status(case=case, status=data["status"], by=cast(User, request.user))
        except services.CaseStateError as exc:
            return self._refused(exc)
        return self._done(case)

    @extend_schema(request=form_schema(CloseForm, "CaseClose"), responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        case = self._managed(pk)
        data = form_data(CloseForm(request.data))
        try:
            services.case_close(case=case, reason=data["reason"], by=cast(User, request.user))
        except services.CaseStateError as exc:
            return self._refused(exc)
        return self._done(case)

    @extend_schema(request=form_schema(FollowUpForm, "FollowUpIn"), responses={201: FollowUpSerializer})
    @action(detail=True, methods=["post"], url_path="follow-ups")
    def follow_ups(self, request: Request, pk: str | None = None) -> Response:
        case = access.get_or_404(selectors.cases_readable(request.user), pk=pk)
        data = form_data(FollowUpForm(request.data))
        try:
            follow_up = services.follow_up_log(case=case, by=cast(User, request.user), **data)
        except services.CaseStateError as exc:
            return self._refused(exc)
        return Response(FollowUpSerializer(follow_up).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=form_schema(OutsideReferralForm, "OutsideReferralIn"),
                   responses={201: OutsideReferralSerializer})  # fmt: skip
    @action(detail=True, methods=["post"], url_path="refer-out")
    def refer_out(self, request: Request, pk: str | None = None) -> Response:
        case = self._managed(pk)
        data = form_data(OutsideReferralForm(request.data))
        try:
            referral = services.outside_referral_create(case=case, by=cast(User, request.user), **data)
        except services.CaseStateError as exc:
            return self._refused(exc)
        return Response(OutsideReferralSerializer(referral).data, status=status.HTTP_201_CREATED)


class ReceivedSerializer(serializers.Serializer[Any]):
    received = serializers.BooleanField()


class ReferralViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet[Any]):
    """A class teacher refers a student of their class. The answer says it arrived, nothing about a case."""

    permission_classes = [SignedIn]
    # No serializer to describe: DRF's OPTIONS answer would fail (a 500); the OpenAPI schema documents it.
    metadata_class = None

    @extend_schema(request=form_schema(ReferralForm, "ReferralIn"),
                   responses={201: ReceivedSerializer})  # fmt: skip
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not access.roles_of(request.user).is_staff_member:
            raise Http404
        data = form_data(ReferralForm(request.data, students=access.referral_students(request.user)))
        services.referral_create(
            student=data["student"], referred_by=cast(User, request.user), concern=data["concern"],
            via_peer_supporter=data["via_peer_supporter"],
        )  # fmt: skip
        return Response({"received": True}, status=status.HTTP_201_CREATED)


class IncidentSerializer(serializers.ModelSerializer[Incident]):
    school = serializers.IntegerField(source="case.student.school_id")
    student_name = serializers.CharField(source="case.student.name")

    class Meta:
        model = Incident
        fields = ["id", "case", "kind", "school", "student_name", "reported_at", "what_happened", "actions_taken",
                  "outside_help"]  # fmt: skip
        read_only_fields = fields


class IncidentViewSet(AuditedReadMixin, viewsets.ReadOnlyModelViewSet[Incident]):
    """What schools reported to the district (officials of the district; the reporting school's staff)."""

    permission_classes = [SignedIn]
    serializer_class = IncidentSerializer

    def get_queryset(self) -> QuerySet[Incident]:
        if not access.sees_district_reports(self.request.user):
            return Incident.objects.none()
        return selectors.incidents_for(self.request.user).order_by("-reported_at", "-id")
