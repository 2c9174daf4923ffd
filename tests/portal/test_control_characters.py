"""Control characters in the path or the query string never reach a view (issue 24, finding 5).

`GET /training/verify/%00/` was a 500: PostgreSQL refuses a NUL inside a string. Like schemathesis does for the
API, every route of the site is tried: each URL parameter filled with values holding NUL and other control
characters, then every route with them in the query string, anonymously and signed in. Nothing may answer 500:
the path answers 404, the query string 400.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import verify_session

# Values for a URL parameter: NUL alone and inside a code, a C0 control, DEL, a line break, a C1 control (NEL).
BAD_VALUES = ["%00", "CERT%00A", "%1F", "%7F", "a%0Ab", "%C2%85"]
# The query parameters any page or API view reads (a search, a week, a school, a page...), each given a NUL.
QUERY_NAMES = ["q", "search", "ordering", "kind", "day", "format", "grade", "instead_of", "next", "page", "school",
               "week", "year", "status", "classroom", "back"]  # fmt: skip
PLACEHOLDER = "918273645"  # fits every converter of ours (int, str, slug, path, DRF's [^/.]+ and format)


def _routes() -> list[tuple[str, list[str]]]:
    """Every named route (namespaced) with the names of its URL parameters; the admin is Django's own."""
    found: list[tuple[str, list[str]]] = []

    def walk(patterns, namespace: str, params: list[str]) -> None:  # type: ignore[no-untyped-def]
        for p in patterns:
            names = params + list(p.pattern.regex.groupindex)
            if isinstance(p, URLResolver):
                if p.namespace != "admin":
                    walk(p.url_patterns, p.namespace or namespace, names)
            elif isinstance(p, URLPattern) and p.name:
                found.append((f"{namespace}:{p.name}" if namespace else p.name, names))

    walk(get_resolver().url_patterns, "", [])
    return found


def _urls_with(value: str) -> list[str]:
    """Each route's path with every parameter set to `value` (percent-encoded already); a route without
    parameters gets it as one more path segment."""
    urls = []
    for name, params in _routes():
        path = reverse(name, kwargs=dict.fromkeys(params, PLACEHOLDER))
        urls.append(path.replace(PLACEHOLDER, value) if params else f"{path.rstrip('/')}/{value}/")
    return sorted(set(urls))


def _plain_urls() -> list[str]:
    return sorted({reverse(name, kwargs=dict.fromkeys(params, "1")) for name, params in _routes()})


@pytest.fixture
def callers(world):  # type: ignore[no-untyped-def]
    """Anonymous, and counselor A signed in through the second factor: the widest set of pages."""
    anonymous = Client(raise_request_exception=False)
    staff = Client(raise_request_exception=False)
    staff.force_login(world.users["counselor_a"], backend="portal.auth_backend.ModelBackend")
    verify_session(staff, world.users["counselor_a"])
    return {"anonymous": anonymous, "counselor_a": staff}


def test_every_route_is_enumerated():
    names = {name for name, _params in _routes()}
    assert {"training:verify", "counseling:feed", "counseling:mailbox_write", "case-detail", "api-token"} <= names
    assert len(names) > 100 and all("%00" in url for url in _urls_with("%00"))


def test_a_nul_in_a_path_parameter_is_not_found(client):
    """The probe's own request: a certificate code of one NUL."""
    assert Client(raise_request_exception=False).get("/training/verify/%00/").status_code == 404


@pytest.mark.parametrize("value", BAD_VALUES)
def test_control_characters_in_any_path_parameter_answer_404(world, callers, value):
    wrong = []
    for url in _urls_with(value):
        for who, client in callers.items():
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                if status not in (400, 404):
                    wrong.append(f"{method.upper()} {url} as {who}: {status}")
    assert wrong == []


def test_control_characters_in_the_query_string_answer_400(world, callers):
    query = "&".join(f"{name}=x%00y" for name in QUERY_NAMES)
    wrong = []
    for url in _plain_urls():
        for who, client in callers.items():
            for method in ("get", "post"):
                response = getattr(client, method)(f"{url}?{query}")
                if response.status_code != 400:
                    wrong.append(f"{method.upper()} {url} as {who}: {response.status_code}")
    assert wrong == []


@pytest.mark.parametrize("raw", ["\x00", "\x08", "\x7f", "\u0085"])
def test_the_refusal_is_worded_for_pages_and_the_api(client, raw):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/students/?q={quote(raw)}")
    assert page.status_code == 400 and "Check the link" in page.content.decode()
    api = client.get(f"/api/v1/students/?search={quote(raw)}")
    assert api.status_code == 400 and "Check the link" in api.json()["detail"]
    assert client.get(f"/api/v1/students/{quote(raw)}/").json() == {"detail": "Not found."}


def test_ordinary_text_in_the_query_string_still_works(world, login):
    staff = login(world.users["counselor_a"])
    assert staff.get("/students/", {"q": "Xiao\tX"}).status_code == 400  # a tab is a control character too
    assert staff.get("/students/", {"q": "小明 Xiao-X + é"}).status_code == 200


@pytest.mark.django_db
def test_a_session_cookie_that_decodes_to_a_nul_is_no_session():
    """A quoted cookie value's octal escape decodes to any character (the proxy passes it: it is plain text);
    the session store takes only keys of its own shape. Headers with control characters never get this far:
    gunicorn refuses them."""
    client = Client(raise_request_exception=False)
    response = client.get("/students/", HTTP_COOKIE='sessionid="\\000abcdefghijklmn"')
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
