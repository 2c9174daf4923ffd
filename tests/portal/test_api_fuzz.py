"""Bad input through the API: schemathesis fuzzes every operation of /api/schema/ once per persona.

Each persona calls with its own credentials: a DRF token, which staff get only against a second-factor code;
anonymous sends none. Cases are valid (positive) and invalid (negative) requests; path ids are drawn from rows
that exist as often as at random, so "yours", "not yours" and "no such row" are all exercised.

The bar for a full run is about 200 examples per operation and persona: FUZZ_EXAMPLES=200. The default keeps
the file within about two minutes on a shared CI machine. FUZZ_REPORT=1 prints examples run per persona.
"""

import os
import time
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from crisis.models import Case, Incident
from portal.models import Classroom, Guardian, RosterImport, School, Student
from portal.second_factor import needs_second_factor
from tests.conftest import PERSONAS
from tests.factories import PASSWORD

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, response_schema_conformance]
# drf-spectacular documents only the success of an operation, so schemathesis' status_code_conformance fails on
# the first 404. A valid request must get a documented status or one of the refusals every route gives.
REFUSALS = {400, 401, 404, 409, 429}


def _django_without_connection_closing():
    handler = get_wsgi_application()

    def app(environ, start_response):
        # Django's test client does the same: the test's transaction lives on this connection, and
        # close_old_connections at the end of a request would close it.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return app


WSGI_APP = _django_without_connection_closing()


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def _token(client, user) -> str:
    """A token the way a client gets one: the password, plus a code from an authenticator for staff."""
    data = {"username": user.username, "password": PASSWORD}
    if needs_second_factor(user):
        device = TOTPDevice.objects.create(user=user, name="fuzz", confirmed=True)
        data["otp"] = _code(device)
    response = client.post("/api/v1/auth/token/", data)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _existing_ids(world) -> list[int]:
    world.incident_x  # noqa: B018 -- an incident row, so /incidents/{id}/ has something to find
    return sorted(
        {pk for model in (Case, Classroom, Guardian, Incident, RosterImport, School, Student)
         for pk in model.objects.values_list("pk", flat=True)}
    )  # fmt: skip


def _cases(operation, ids: list[int]):
    strategies = [operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    if "{id}" in operation.path:
        strategies.append(st.sampled_from(ids).flatmap(lambda pk: operation.as_strategy(path_parameters={"id": pk})))
    return st.one_of(strategies)


def _fuzz_test(operation, ids: list[int], headers: dict[str, str], runs: Counter, statuses: Counter):
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # a failure is reported as found, unshrunk: enough here
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_cases(operation, ids))
    def fuzz(case):
        runs[operation.label] += 1
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)
        if case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE:
            documented = {int(code) for code in operation.responses.status_codes if code.isdigit()}
            assert response.status_code in documented | REFUSALS, (case.as_curl_command(), response.status_code)

    return fuzz


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_server_error_and_no_schema_break(world, client, persona):
    user = world.users[persona]
    if user is None:
        # Anonymous may not read the schema itself: fuzz the schema an official reads, with no credentials.
        reader = {"Authorization": f"Token {_token(client, world.users['official_a'])}"}
        headers = {}
    else:
        headers = {"Authorization": f"Token {_token(client, user)}"}
        reader = headers
    schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGI_APP, headers=reader)
    schema.config.update(headers=headers)
    ids = _existing_ids(world)

    runs: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [operation for operation in operations if operation.path != "/api/schema/"]
    for operation in operations:
        fuzz = _fuzz_test(operation, ids, headers, runs, statuses)
        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # every operation is fuzzed; failures are reported together
            inner = exc.exceptions if isinstance(exc, BaseExceptionGroup) else ()
            failures.append("\n".join([f"{operation.label}: {exc}", *(repr(e) for e in inner)]))

    if os.environ.get("FUZZ_REPORT"):
        print(f"\n{persona}: {sum(runs.values())} examples over {len(runs)} operations, statuses {dict(statuses)}")
    assert not failures, "\n\n".join(failures)
    assert {operation.label for operation in operations} == set(runs)  # every operation was reached


def test_anonymous_cannot_read_the_schema(world, client):
    assert client.get("/api/schema/").status_code == 401


def test_a_username_longer_than_any_is_a_400_not_a_server_error(world, client):
    """Found by the fuzzer: django-axes logs a failed sign-in's username in 255 characters (a DataError)."""
    response = client.post("/api/v1/auth/token/", {"username": "x" * 300, "password": "wrong"})
    assert response.status_code == 400 and "username" in response.json()


@pytest.mark.parametrize("body", ["1.5", "[]", '"text"', "null"])
def test_a_json_body_that_is_not_an_object_is_a_400_not_a_server_error(world, client, body):
    """Found by the fuzzer: the API's forms read their data with .get()."""
    headers = {"HTTP_AUTHORIZATION": f"Token {_token(client, world.users['teacher_a'])}"}
    response = client.post("/api/v1/referrals/", body, content_type="application/json", **headers)
    assert response.status_code == 400, response.content


def test_applying_an_import_answers_202_as_the_schema_says(world, client, django_capture_on_commit_callbacks):
    """Found by the fuzzer: the schema promised 200 where the API answers 202 (applied in the background)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.portal.rosters import GOOD_ROWS, csv_bytes

    auth = {"HTTP_AUTHORIZATION": f"Token {_token(client, world.users['counselor_a'])}"}
    schema = client.get("/api/schema/?format=json", **auth).json()
    documented = schema["paths"]["/api/v1/roster-imports/{id}/apply/"]["post"]["responses"]
    upload = {"school": world.school_a.pk, "file": SimpleUploadedFile("list.csv", csv_bytes(GOOD_ROWS))}
    created = client.post("/api/v1/roster-imports/", upload, **auth).json()
    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(f"/api/v1/roster-imports/{created['id']}/apply/", **auth)
    assert str(applied.status_code) in documented, (applied.status_code, list(documented))
    from portal.models import RosterImport, Student

    assert RosterImport.objects.get(pk=created["id"]).status == "applied"
    assert Student.objects.filter(school=world.school_a, student_number="20260001").exists()  # the roster changed
