"""REST API of the core domain under /api/v1/. Every queryset comes from portal.access."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import access, audit, selectors, services
from portal.api_permissions import SignedIn
from portal.models import Classroom, Guardian, Membership, RosterImport, School, Student, User
from portal.models.people import Channel, StudentStatus
from portal.roster import error_message


class SchoolSerializer(serializers.ModelSerializer[School]):
    class Meta:
        model = School
        fields = ["id", "name", "code", "kind", "district"]


class ClassroomSerializer(serializers.ModelSerializer[Classroom]):
    class Meta:
        model = Classroom
        fields = ["id", "school", "grade", "name", "class_teacher"]


_FOCUS_HELP = "A focus group: shown to the school's counselors and leaders only (null for anyone else)."


class StudentSerializer(serializers.ModelSerializer[Student]):
    grade = serializers.IntegerField(source="classroom.grade", read_only=True)
    class_name = serializers.CharField(source="classroom.name", read_only=True)
    # Null, not absent, for those who may not know: the schema promises every key of a row.
    left_behind = serializers.BooleanField(read_only=True, allow_null=True, help_text=_FOCUS_HELP)
    migrant_child = serializers.BooleanField(read_only=True, allow_null=True, help_text=_FOCUS_HELP)
    disability = serializers.BooleanField(read_only=True, allow_null=True, help_text=_FOCUS_HELP)
    in_difficulty = serializers.BooleanField(read_only=True, allow_null=True, help_text=_FOCUS_HELP)

    class Meta:
        model = Student
        fields = [
            "id",
            "school",
            "classroom",
            "grade",
            "class_name",
            "student_number",
            "name",
            "gender",
            "birth_date",
            "status",
            "left_behind",
            "migrant_child",
            "disability",
            "in_difficulty",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Student) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not access.sees_focus_groups(request.user, instance):
            data.update(dict.fromkeys(access.FOCUS_GROUPS))
        return data


class GuardianSerializer(serializers.ModelSerializer[Guardian]):
    # Often unknown: "" is not an address, so the schema cannot promise format "email".
    email = serializers.CharField(read_only=True, help_text="An e-mail address, or empty.")

    class Meta:
        model = Guardian
        fields = ["id", "school", "name", "relation", "mobile", "email", "language", "channel"]
        read_only_fields = fields


class RoleSerializer(serializers.Serializer[Any]):
    role = serializers.CharField()
    school = serializers.IntegerField(allow_null=True)
    district = serializers.IntegerField(allow_null=True)


class MeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    language = serializers.CharField()
    home = serializers.CharField()
    roles = RoleSerializer(many=True)


class RowErrorSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text="Spreadsheet row (the header is row 1); 0 for the whole file.")
    column = serializers.CharField()
    message = serializers.CharField()


class RosterImportSerializer(serializers.ModelSerializer[RosterImport]):
    # Not named "errors": that is the serializer's own validation-error attribute.
    row_errors = serializers.SerializerMethodField()

    class Meta:
        model = RosterImport
        fields = ["id", "school", "filename", "status", "row_count", "row_errors", "plan", "created_at", "applied_at"]
        read_only_fields = fields

    @extend_schema_field(RowErrorSerializer(many=True))
    def get_row_errors(self, obj: RosterImport) -> list[dict[str, Any]]:
        return [{"row": e["row"], "column": e["column"], "message": error_message(e)} for e in obj.errors]


class RosterUploadSerializer(serializers.Serializer[Any]):
    school = serializers.PrimaryKeyRelatedField(queryset=School.objects.none())
    file = serializers.FileField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")  # None while the OpenAPI schema is generated.
        if request is not None:
            # Only schools the caller may import into are valid choices: others read as "does not exist".
            schools = School.objects.filter(id__in=access.roster_schools(request.user))
            self.fields["school"].queryset = schools  # type: ignore[attr-defined]


class MeView(APIView):
    permission_classes = [SignedIn]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        roles = [
            {"role": role, "school": school, "district": district}
            for role, school, district in Membership.objects.active()
            .filter(user=user)
            .values_list("role", "school_id", "district_id")
        ]
        if access.roles_of(user).is_parent:
            roles.append({"role": "parent", "school": None, "district": None})
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
            "language": user.language,
            "home": access.home_kind(user),
            "roles": roles,
        }
        return Response(MeSerializer(data).data)


class AuditedReadMixin:
    """Every API read of sensitive rows writes one audit event: a list names the rows it returned."""

    def get_object(self):  # type: ignore[no-untyped-def]
        obj = super().get_object()  # type: ignore[misc]
        audit.record_view(obj)
        return obj

    def paginate_queryset(self, queryset):  # type: ignore[no-untyped-def]
        page = super().paginate_queryset(queryset)  # type: ignore[misc]
        if page:
            audit.record_read(queryset.model, [obj.pk for obj in page], detail={"via": "list"})
        return page


# Filters on plain ids, not model choices: a model-choice filter answers 400 for an id that does not exist
# and 200 for one that is not yours, which would tell an outsider which ids exist.
class ClassroomFilter(django_filters.FilterSet):
    school = django_filters.NumberFilter(field_name="school_id")
    grade = django_filters.NumberFilter(field_name="grade")


class StudentFilter(django_filters.FilterSet):
    school = django_filters.NumberFilter(field_name="school_id")
    classroom = django_filters.NumberFilter(field_name="classroom_id")
    grade = django_filters.NumberFilter(field_name="classroom__grade")
    status = django_filters.ChoiceFilter(choices=StudentStatus.choices)


class GuardianFilter(django_filters.FilterSet):
    school = django_filters.NumberFilter(field_name="school_id")
    channel = django_filters.ChoiceFilter(choices=Channel.choices)


class SchoolViewSet(viewsets.ReadOnlyModelViewSet[School]):
    permission_classes = [SignedIn]
    serializer_class = SchoolSerializer
    filterset_fields = ["kind"]
    search_fields = ["name", "code"]

    def get_queryset(self) -> QuerySet[School]:
        return access.scope_schools(School.objects.order_by("name"), self.request.user)


class ClassroomViewSet(viewsets.ReadOnlyModelViewSet[Classroom]):
    permission_classes = [SignedIn]
    serializer_class = ClassroomSerializer
    filterset_class = ClassroomFilter

    def get_queryset(self) -> QuerySet[Classroom]:
        return access.scope_classrooms(Classroom.objects.order_by("school_id", "grade", "name"), self.request.user)


class StudentViewSet(AuditedReadMixin, viewsets.ReadOnlyModelViewSet[Student]):
    permission_classes = [SignedIn]
    serializer_class = StudentSerializer
    filterset_class = StudentFilter
    search_fields = ["name", "^student_number"]
    ordering_fields = ["student_number", "name"]

    def get_queryset(self) -> QuerySet[Student]:
        return selectors.students_for_list(self.request.user)


class GuardianViewSet(AuditedReadMixin, viewsets.ReadOnlyModelViewSet[Guardian]):
    permission_classes = [SignedIn]
    serializer_class = GuardianSerializer
    filterset_class = GuardianFilter

    def get_queryset(self) -> QuerySet[Guardian]:
        return access.scope_guardians(Guardian.objects.order_by("name", "pk"), self.request.user)


class RosterImportViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet[RosterImport]
):
    """Upload a class list (dry run: nothing changes), read its preview, then apply it."""

    permission_classes = [SignedIn]
    serializer_class = RosterImportSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[RosterImport]:
        return access.scope_roster_imports(RosterImport.objects.all(), self.request.user)

    @extend_schema(request=RosterUploadSerializer, responses=RosterImportSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not access.roster_schools(request.user):
            raise Http404
        upload = RosterUploadSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        roster_import = services.roster_import_create(
            school=upload.validated_data["school"],
            uploaded_by=cast(User, request.user),
            filename=file.name,
            content=file.read(),
        )
        return Response(RosterImportSerializer(roster_import).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: RosterImportSerializer})
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str | None = None) -> Response:
        roster_import = self.get_object()
        try:
            services.roster_import_request_apply(roster_import=roster_import)
        except services.ImportNotApplicable:
            return Response(
                {"detail": _("This import cannot be applied: it was refused or has already been applied.")},
                status=status.HTTP_409_CONFLICT,
            )
        roster_import.refresh_from_db()  # Eager mode (demo) has applied it already.
        return Response(RosterImportSerializer(roster_import).data, status=status.HTTP_202_ACCEPTED)


# The API validates writes with the same Django forms as the pages: one set of rules and translated messages.
# The first match wins: ModelChoiceField before ChoiceField, its parent class (its choices are a queryset that is
# empty while the schema is generated, an enum nothing satisfies).
_FORM_TO_SERIALIZER: dict[type, type] = {
    forms.ModelChoiceField: serializers.IntegerField,
    forms.TypedChoiceField: serializers.ChoiceField,
    forms.ChoiceField: serializers.ChoiceField,
    forms.DateField: serializers.DateField,
    forms.IntegerField: serializers.IntegerField,
    forms.BooleanField: serializers.BooleanField,
    forms.CharField: serializers.CharField,
}


def form_schema(form_class: type[forms.Form], name: str) -> type[serializers.Serializer[Any]]:
    """A serializer that only documents a form's fields in the OpenAPI schema."""
    fields: dict[str, serializers.Field[Any, Any, Any, Any]] = {}
    for field_name, field in form_class.base_fields.items():
        kind = next(s for f, s in _FORM_TO_SERIALIZER.items() if isinstance(field, f))
        options: dict[str, Any] = {"required": field.required, "help_text": str(field.help_text or field.label or "")}
        if kind is serializers.ChoiceField:
            options["choices"] = [c for c, _label in field.choices if c != ""]  # type: ignore[attr-defined]
        fields[field_name] = kind(**options)
    return type(name, (serializers.Serializer,), fields)


def form_data(form: forms.Form) -> dict[str, Any]:
    """The form's cleaned data, or a 400 with its (translated) errors per field."""
    if not isinstance(form.data, Mapping):  # a JSON body may be a list, a number or a string: a 400, not a 500
        message = str(serializers.Serializer.default_error_messages["invalid"])
        raise serializers.ValidationError({"non_field_errors": [message.format(datatype=type(form.data).__name__)]})
    if not form.is_valid():
        raise serializers.ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
    return form.cleaned_data
