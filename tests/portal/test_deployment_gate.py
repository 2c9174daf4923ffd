"""The deployment gate (issue 10): what production settings send to a browser.

OWASP ASVS 5.0 3.3-3.4 (cookies, HSTS, CSP) and 14.3.2 (sensitive data is not cached). The production
settings come from a subprocess with PRODUCTION=1, as the deployment check builds them, and are applied
to this process's test client: the pages are then requested through our TLS proxy (X-Forwarded-Proto).
"""

import json
import re

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PERSONAS
from tests.factories import PASSWORD
from tests.portal.test_access_matrix import CASES
from tests.portal.test_access_matrix import route_url as matrix_url
from tests.portal.test_login_security import PRODUCTION_ENV, _code, _manage

HTTPS = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_REFERER": "https://testserver/"}
ONE_YEAR = 365 * 24 * 3600

_DUMP = """
import json
from django.conf import settings
names = [n for n in dir(settings) if n.startswith(("SECURE_", "SESSION_COOKIE_", "CSRF_COOKIE_", "LANGUAGE_COOKIE_"))]
names += ["CONTENT_SECURITY_POLICY", "X_FRAME_OPTIONS", "MIDDLEWARE", "DEBUG"]
print(json.dumps({n: getattr(settings, n) for n in names}))
"""


@pytest.fixture(scope="module")
def production_values() -> dict:
    result = _manage("shell", "-c", _DUMP, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def production(settings, production_values):
    """This process's settings, with every browser-facing security setting as production has it."""
    for name, value in production_values.items():
        setattr(settings, name, tuple(value) if name == "SECURE_PROXY_SSL_HEADER" and value else value)
    return settings


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


def assert_browser_headers(response, where: str) -> None:
    hsts = response.get("Strict-Transport-Security", "")
    max_age = re.search(r"max-age=(\d+)", hsts)
    assert max_age and int(max_age.group(1)) >= ONE_YEAR and "includeSubDomains" in hsts, f"{where}: HSTS {hsts!r}"
    csp = _directives(response.get("Content-Security-Policy", ""))
    scripts = csp.get("script-src", csp.get("default-src"))
    assert scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, f"{where}: {csp}"
    assert csp.get("object-src") == ["'none'"] and csp.get("base-uri") == ["'none'"], f"{where}: {csp}"
    assert "no-store" in response.get("Cache-Control", ""), f"{where}: Cache-Control {response.get('Cache-Control')}"


def test_production_is_https_only(production_values):
    assert production_values["DEBUG"] is False
    assert production_values["SECURE_SSL_REDIRECT"] is True
    assert production_values["SESSION_COOKIE_SECURE"] and production_values["CSRF_COOKIE_SECURE"]


def test_plain_http_is_sent_to_https(world, client, production):
    response = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="http")
    assert response.status_code == 301 and response["Location"].startswith("https://")


# The main page of each role: (route, object of the World it points at).
MAIN_PAGES = [
    ("login", None),
    ("home", None),
    ("student_list", None),
    ("student_detail", "student_x"),
    ("crisis:ledger", None),
    ("crisis:case", "case_x"),
    ("counseling:schedule", None),
    ("counseling:parent_home", None),
    ("screening:campaign", "campaign_a"),
    ("screening:student_file", "student_x"),
    ("dashboards:dashboard", None),
    ("training:home", None),
    ("student-list", None),
    ("api-dashboard", None),
]


def test_main_pages_of_every_role_send_hsts_a_strict_csp_and_no_store(world, login, production):
    served: dict[str, set[str]] = {}
    for persona in PERSONAS:
        client = login(world.users[persona])
        for route, target in MAIN_PAGES:
            url = matrix_url(world, route, target)
            response = client.get(url, **HTTPS)
            assert_browser_headers(response, f"{persona} GET {url} ({response.status_code})")
            if response.status_code == 200:
                served.setdefault(route, set()).add(persona)
    # Each page was really shown to someone (not only refused), and each role saw its pages.
    assert set(served) == {route for route, _target in MAIN_PAGES}, served
    assert {p for personas in served.values() for p in personas} == set(PERSONAS), served


def _assert_cookie(cookie, name: str) -> None:
    assert cookie["secure"] is True, f"{name} is not Secure"
    assert cookie["httponly"] is True, f"{name} is not HttpOnly"  # no script of ours reads either cookie
    assert cookie["samesite"] in ("Lax", "Strict"), f"{name} SameSite={cookie['samesite']!r}"


def test_session_and_csrf_cookies_are_secure_httponly_and_samesite(world, client, production):
    page = client.get(reverse("login"), **HTTPS)
    assert_browser_headers(page, "login page")
    _assert_cookie(page.cookies["csrftoken"], "csrftoken")
    # A staff sign-in: password, then the second factor; each step's session cookie has the same flags.
    device = TOTPDevice.objects.create(user=world.users["counselor_a"], name="phone", confirmed=True)
    signed_in = client.post(reverse("login"), {"username": "counselor_a", "password": PASSWORD}, **HTTPS)
    assert signed_in.status_code == 302
    _assert_cookie(signed_in.cookies["sessionid"], "sessionid")
    verified = client.post(reverse("otp_verify"), {"code": _code(device), "next": "/"}, **HTTPS)
    assert verified.status_code == 302 and verified["Location"] == "/"
    home = client.get(reverse("home"), **HTTPS)
    assert home.status_code == 200
    assert_browser_headers(home, "home")


def test_the_language_cookie_is_secure_too(client, production):
    response = client.post(reverse("language_set"), {"language": "en", "next": "/"}, **HTTPS)
    _assert_cookie(response.cookies[django_settings.LANGUAGE_COOKIE_NAME], "language")


def test_no_script_of_ours_reads_the_csrf_cookie(settings):
    """CSRF_COOKIE_HTTPONLY is only safe while forms carry the token in the page, never read from the cookie."""
    roots = [settings.BASE_DIR / "templates", *settings.BASE_DIR.glob("*/static")]
    sources = [p for root in roots for p in root.rglob("*") if p.suffix in (".html", ".js")]
    assert sources
    readers = [str(p) for p in sources if "document.cookie" in p.read_text(encoding="utf-8", errors="replace")]
    assert not readers


def _first_allowed(allowed: frozenset[str]) -> str:
    # Pages open to everyone are for people without an account: ask as one of them.
    return "anonymous" if "anonymous" in allowed else sorted(allowed)[0]


SHOWN = [case for case in CASES if case[3]]  # every route somebody may use


@pytest.mark.parametrize("case", SHOWN, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in SHOWN])
def test_every_route_answers_no_store(world, login, case):
    """ASVS 14.3.2: students, cases, notes, answers, guardians, bookings, exports and .ics feeds are
    never kept by a browser or shared cache: every response of every route says no-store."""
    route, method, target, allowed, ok, *_rest = case
    persona = _first_allowed(frozenset(allowed))
    client = login(world.users[persona])
    response = getattr(client, method)(matrix_url(world, route, target))
    assert response.status_code == ok, persona  # the real answer, not a refusal
    cache_control = response.get("Cache-Control", "")
    assert "no-store" in cache_control and "private" in cache_control, cache_control
