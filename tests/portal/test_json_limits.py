"""JSON bodies to the API are bounded in nesting and size before they are decoded (issue 24, finding 4).

A 2 KB body of a thousand nested brackets made Python's decoder raise RecursionError: a 500 on the token
exchange and the kiosk's endpoints, which anyone may call.
"""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError

from portal.parsers import BoundedJSONParser, nested_deeper_than

ANONYMOUS_ENDPOINTS = ["/api/v1/auth/token/", "/api/v1/screening/submissions/", "/api/v1/screening/sessions/"]
DEEP = "[" * 1000 + "]" * 1000


@pytest.fixture
def client(client):  # type: ignore[no-untyped-def]
    """Messages compared in English (the catalogue's Chinese is checked once, below)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("url", ANONYMOUS_ENDPOINTS)
def test_deeply_nested_json_is_a_clear_400_on_endpoints_open_to_anyone(client, url):
    response = client.post(url, DEEP, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "The JSON in the request body is nested more than 32 levels deep."}


def test_signed_in_api_refuses_deep_json_too(world, login):
    staff = login(world.users["counselor_a"])
    body = '{"status": ' + "[" * 40 + "]" * 40 + "}"
    response = staff.post(f"/api/v1/cases/{world.case_x.pk}/status/", body, content_type="application/json")
    assert response.status_code == 400 and "32" in response.json()["detail"]  # in the user's own language


@pytest.mark.django_db
def test_the_message_speaks_the_callers_language(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    response = client.post(ANONYMOUS_ENDPOINTS[1], DEEP, content_type="application/json")
    assert response.status_code == 400 and "32" in response.json()["detail"]
    assert "nested" not in response.json()["detail"]


@pytest.mark.django_db
def test_a_body_over_the_limit_is_refused_before_it_is_decoded(client, settings):
    settings.API_JSON_MAX_BYTES = 1000
    body = json.dumps({"code": "AAAA-AAAA", "instrument": "phq9", "answers": {}, "pad": "x" * 1000})
    response = client.post(ANONYMOUS_ENDPOINTS[1], body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is larger than 1000 bytes."}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('{"code": ', "The request body is not valid JSON (line 1, column 10)."),
        ('{"code": NaN}', "The request body is not valid JSON."),
        (b'{"code": "\xff"}', "The request body is not valid utf-8 text."),
    ],
)
def test_broken_bodies_get_a_clear_400(client, body, detail):
    response = client.post(ANONYMOUS_ENDPOINTS[1], body, content_type="application/json")
    assert response.status_code == 400 and response.json() == {"detail": detail}


@pytest.mark.django_db
def test_nesting_up_to_the_limit_is_still_read(client):
    """32 levels pass the parser: the serializer then judges the content (a 400 about the fields, not the depth)."""
    body = '{"code": "AAAA-AAAA", "instrument": "phq9", "answers": ' + "[" * 31 + "]" * 31 + "}"
    response = client.post(ANONYMOUS_ENDPOINTS[1], body, content_type="application/json")
    assert response.status_code == 400 and "answers" in response.json()


def test_brackets_inside_strings_are_text():
    text = json.dumps({"a": "[[[[{{{{", "b": ['\\"]]]', "x"], "c": "\\", "d": [["\\\\"]]})
    assert not nested_deeper_than(text, 3) and nested_deeper_than(text, 2)
    assert not nested_deeper_than('"[[["', 0) and not nested_deeper_than("3", 0)
    assert nested_deeper_than(DEEP, 32) and nested_deeper_than("[[]" * 100 + "]" * 100, 32)


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\x00é\U0001f600'),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(alphabet='[]{}"\\a'), children, max_size=3)
    ),
    max_leaves=30,
)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@given(_values, st.booleans(), st.integers(0, 6))
def test_the_check_agrees_with_the_decoded_depth(value, ascii_only, depth):
    assert nested_deeper_than(json.dumps(value, ensure_ascii=ascii_only), depth) == (_depth(value) > depth)


def test_an_uncounted_recursion_still_ends_in_a_400(settings):
    """Belt and braces: were the count ever wrong, the decoder's RecursionError is a 400, not a 500."""
    settings.API_JSON_MAX_DEPTH = 10_000
    from io import BytesIO

    with pytest.raises(ParseError):
        BoundedJSONParser().parse(BytesIO(("[" * 100_000 + "]" * 100_000).encode()), parser_context={})
