"""A whole questionnaire submitted in one request, by the student's code: a school's kiosk or tablet app.

No account and no session: the code from the class's sheet is the credential, as on the one-question form,
with the same throttle on wrong codes. Nothing about the student is returned.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.security import code_tries_exhausted, code_try_failed
from screening import services
from screening.views import REFUSALS

THROTTLE = "screening-code-fail"


class SubmissionSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=32)
    instrument = serializers.SlugField(max_length=30)
    answers = serializers.DictField(child=serializers.IntegerField(allow_null=True, min_value=0, max_value=99))
    started_at = serializers.DateTimeField(required=False)

    def validate_answers(self, answers: dict[str, int | None]) -> dict[int, int | None]:
        if not all(key.isdigit() and len(key) <= 3 for key in answers):
            raise serializers.ValidationError(REFUSALS["bad_answer"])
        return {int(key): value for key, value in answers.items()}


class SubmittedSerializer(serializers.Serializer[Any]):
    status = serializers.CharField()
    completed = serializers.BooleanField(help_text="True when the student's whole battery is answered.")


class SubmissionView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(request=SubmissionSerializer, responses={201: SubmittedSerializer})
    def post(self, request: Request) -> Response:
        django_request: HttpRequest = request._request
        if code_tries_exhausted(django_request, THROTTLE):
            return Response({"code": [REFUSALS["too_many"]]}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        data = SubmissionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            participation = services.participation_for_code(data.validated_data["code"])
        except services.Refused as refused:
            if refused.code == "unknown":
                code_try_failed(django_request, THROTTLE)
            return Response({"code": [REFUSALS[refused.code]]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            completed = services.response_submit(
                participation=participation, instrument_code=data.validated_data["instrument"],
                answers=data.validated_data["answers"], started_at=data.validated_data.get("started_at"),
            )  # fmt: skip
        except services.Refused as refused:
            field = {"bad_answer": "answers", "unknown_instrument": "instrument"}.get(refused.code, "code")
            code = status.HTTP_409_CONFLICT if field == "code" else status.HTTP_400_BAD_REQUEST
            return Response({field: [REFUSALS[refused.code]]}, status=code)
        return Response({"status": "submitted", "completed": completed}, status=status.HTTP_201_CREATED)
