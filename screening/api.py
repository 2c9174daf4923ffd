"""A whole questionnaire submitted in one request, by the student's code: a school's kiosk or tablet app.

No account and no session: the code from the class's sheet is the credential, as on the one-question form,
with the same throttle on wrong codes. Nothing about the student is returned.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.parsers import BoundedJSONParser
from portal.security import code_tries_exhausted, code_try_failed
from screening import services
from screening.views import REFUSALS

THROTTLE = "screening-code-fail"


def _answers(data: Any) -> dict[int, int | None] | None:
    """Item number -> the answer (a JSON integer 0-99) or null for a skipped item; None if malformed. The
    instrument's own items and scale are checked by the service."""
    if type(data) is not dict:
        return None
    for key, value in data.items():
        if not (key.isascii() and key.isdigit() and len(key) <= 3) or not (
            value is None or (type(value) is int and 0 <= value <= 99)
        ):
            return None
    return {int(key): value for key, value in data.items()}


class AnswersField(serializers.DictField):
    """The answers, checked in one pass: a DRF IntegerField per item took longer than storing the whole
    response. The child field only describes the values in the API schema."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.IntegerField(allow_null=True, min_value=0, max_value=99), **kwargs)

    def to_internal_value(self, data: Any) -> dict[int, int | None]:
        if not isinstance(data, dict):
            self.fail("not_a_dict", input_type=type(data).__name__)
        answers = _answers(data)
        if answers is None:
            raise serializers.ValidationError(REFUSALS["bad_answer"])
        return answers


class SubmissionSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=32)
    instrument = serializers.SlugField(max_length=30)
    answers = AnswersField()


_CODE = re.compile(r"[!-~]{1,32}\Z")  # printable ASCII without spaces: what CharField keeps unchanged
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,30}\Z")


def well_formed(data: Any) -> dict[str, Any] | None:
    """SubmissionSerializer's validated data for the usual well-formed body, without building a serializer,
    which cost a seventh of a submission. None for anything else: the serializer then decides and words
    the error. A test holds this to the serializer: whatever it accepts, the serializer accepts the same."""
    if type(data) is not dict:
        return None
    code, instrument = data.get("code"), data.get("instrument")
    if type(code) is not str or type(instrument) is not str or not _CODE.match(code) or not _SLUG.match(instrument):
        return None
    answers = _answers(data.get("answers"))
    return None if answers is None else {"code": code, "instrument": instrument, "answers": answers}


class SubmittedSerializer(serializers.Serializer[Any]):
    status = serializers.CharField()
    completed = serializers.BooleanField(help_text="True when the student's whole battery is answered.")


class SubmissionView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    # A kiosk sends and reads JSON: no form parsing, no browsable page to negotiate for.
    parser_classes = [BoundedJSONParser]
    renderer_classes = [JSONRenderer]

    @extend_schema(request=SubmissionSerializer, responses={201: SubmittedSerializer})
    def post(self, request: Request) -> Response:
        django_request: HttpRequest = request._request
        valid = well_formed(request.data)
        if valid is None:
            serializer = SubmissionSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            valid = serializer.validated_data
        if code_tries_exhausted(django_request, THROTTLE, code=valid["code"]):
            return Response({"code": [REFUSALS["too_many"]]}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        try:
            completed = services.response_submit(
                code=valid["code"], instrument_code=valid["instrument"], answers=valid["answers"]
            )
        except services.Refused as refused:
            if refused.code == "unknown":
                code_try_failed(django_request, THROTTLE, code=valid["code"])
            field = {"bad_answer": "answers", "unknown_instrument": "instrument"}.get(refused.code, "code")
            conflict = refused.code in ("answered", "completed")  # with what is stored: sent twice, or done
            code = status.HTTP_409_CONFLICT if conflict else status.HTTP_400_BAD_REQUEST
            return Response({field: [REFUSALS[refused.code]]}, status=code)
        return Response({"status": "submitted", "completed": completed}, status=status.HTTP_201_CREATED)


class OpenSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=32)


class OpenedSerializer(serializers.Serializer[Any]):
    instruments = serializers.ListField(
        child=serializers.CharField(), help_text="The student's own instruments still to answer, in order."
    )


class OpenView(APIView):
    """A kiosk opens the student's code before showing the questions. The server's clock starts here: how long a
    questionnaire took is measured from this opening (or the previous submission) to the submission, never read
    from the kiosk, and a submission for a code never opened carries no time (so no too-fast flag)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [BoundedJSONParser]
    renderer_classes = [JSONRenderer]

    @extend_schema(request=OpenSerializer, responses={200: OpenedSerializer})
    def post(self, request: Request) -> Response:
        django_request: HttpRequest = request._request
        serializer = OpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        code = serializer.validated_data["code"]
        if code_tries_exhausted(django_request, THROTTLE, code=code):
            return Response({"code": [REFUSALS["too_many"]]}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        try:
            instruments = services.kiosk_open(code=code)
        except services.Refused as refused:
            if refused.code == "unknown":
                code_try_failed(django_request, THROTTLE, code=code)
            code = status.HTTP_409_CONFLICT if refused.code == "completed" else status.HTTP_400_BAD_REQUEST
            return Response({"code": [REFUSALS[refused.code]]}, status=code)
        return Response({"instruments": instruments})
