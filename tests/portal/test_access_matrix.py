"""Every route x every persona: allowed, or refused exactly as if it did not exist.

Default deny: a persona not listed for a case must be refused (404 when signed in;
a redirect to the login page, or 401 from the API, when anonymous). A route that
has no case here fails test_every_route_is_in_the_matrix.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import PERSONAS

EVERYONE = frozenset(PERSONAS)
SIGNED_IN = EVERYONE - {"anonymous"}
STAFF_A = frozenset({"leader_a", "counselor_a"})
IMPORTERS = STAFF_A | {"counselor_b"}
SEES_X = STAFF_A | {"teacher_a", "parent_x"}
SEES_Y = frozenset({"counselor_b", "parent_y"})
NOBODY: frozenset[str] = frozenset()
STAFF = SIGNED_IN - {"parent_x", "parent_y"}
PARENTS_TO_SETUP = {"parent_x": 302, "parent_y": 302}  # no authenticator yet: sent to set one up

# route name, method, object the URL points at (attribute of World), personas allowed, status when allowed,
# and optionally {persona: status} for personas who are neither allowed nor refused (e.g. redirected)
CASES = [
    ("home", "get", None, SIGNED_IN, 200),
    ("student_list", "get", None, IMPORTERS | {"teacher_a", "parent_x", "parent_y"}, 200),
    ("student_detail", "get", "student_x", SEES_X, 200),
    ("student_detail", "get", "student_w", STAFF_A, 200),
    ("student_detail", "get", "student_y", SEES_Y, 200),
    ("student_detail", "get", "student_z", NOBODY, 200),
    ("student_transfer", "get", "student_x", STAFF_A, 200),
    ("student_transfer", "post", "student_x", STAFF_A, 200),  # an empty form comes back with errors
    ("student_transfer", "get", "student_y", {"counselor_b"}, 200),
    ("student_access_log", "get", "student_x", {"leader_a"}, 200),
    ("student_access_log", "get", "student_y", NOBODY, 200),
    ("roster_import_new", "get", None, IMPORTERS, 200),
    ("roster_import_new", "post", None, IMPORTERS, 200),  # an empty form comes back with errors
    ("roster_import_detail", "get", "import_a", STAFF_A, 200),
    ("roster_import_detail", "get", "import_b", {"counselor_b"}, 200),
    ("roster_import_detail", "post", "import_a", STAFF_A, 302),
    ("roster_import_detail", "post", "import_b", {"counselor_b"}, 302),
    ("roster_template", "get", None, IMPORTERS, 200),
    ("crisis:ledger", "get", None, IMPORTERS, 200),
    ("crisis:ledger_export", "get", None, IMPORTERS, 200),
    ("crisis:refer", "get", None, IMPORTERS | {"teacher_a"}, 200),
    ("crisis:refer", "post", None, IMPORTERS | {"teacher_a"}, 200),  # an empty form comes back with errors
    ("crisis:incidents", "get", None, IMPORTERS | {"official_a", "official_b"}, 200),
    ("crisis:preparedness", "get", None, IMPORTERS | {"official_a", "official_b"}, 200),
    ("crisis:preparedness", "post", None, IMPORTERS, 200),  # an empty form comes back as the page
    ("crisis:plan_download", "get", "plan_a", STAFF_A | {"official_a"}, 200),
    ("crisis:case_incident", "post", "case_x", STAFF_A, 302),
    ("crisis:incident_assign", "post", "incident_x", {"official_a"}, 302),  # an empty form: back with an error
    ("crisis:grant_revoke", "post", "grant_x", {"official_a"}, 302),
    ("crisis:assignments", "get", None, NOBODY, 200),  # responders only: see tests/crisis/test_responders.py
    ("crisis:case_refer_out", "post", "case_x", STAFF_A, 302),
    ("crisis:referral_outcome", "post", "outside_referral_x_route", STAFF_A, 302),
    ("crisis:case", "get", "case_x", STAFF_A, 200),
    ("crisis:case", "get", "case_y", {"counselor_b"}, 200),
    ("crisis:case_confirm", "post", "case_x", STAFF_A, 302),
    ("crisis:case_confirm", "post", "case_y", {"counselor_b"}, 302),
    ("crisis:case_follow_up", "post", "case_x", STAFF_A, 302),
    ("crisis:case_status", "post", "case_x", STAFF_A, 302),
    ("crisis:case_close", "post", "case_x", STAFF_A, 302),
    ("crisis:case_guardian_contact", "post", "case_x", STAFF_A, 302),
    ("crisis:notice_contact", "post", "notice_x_route", STAFF_A, 302),
    ("crisis:acknowledge", "get", "ack_x", EVERYONE, 200),  # the link is the credential: no login
    ("crisis:acknowledge", "post", "ack_x", EVERYONE, 200),
    ("screening:campaigns", "get", None, IMPORTERS | {"official_a", "official_b"}, 200),
    ("screening:campaign_new", "get", None, {"official_a", "official_b"}, 200),
    ("screening:campaign_new", "post", None, {"official_a", "official_b"}, 200),  # empty form: errors
    ("screening:campaign", "get", "campaign_a", IMPORTERS | {"official_a"}, 200),
    ("screening:policy", "get", None, {"official_a", "official_b"}, 200),
    ("screening:policy", "post", None, {"official_a", "official_b"}, 200),  # empty form: errors
    ("screening:campaign_open", "post", "campaign_a", {"official_a"}, 302),
    ("screening:codes", "get", "codes_a1_route", STAFF_A, 200),
    ("screening:paper_import", "get", "campaign_a", IMPORTERS, 200),
    ("screening:paper_import", "post", "campaign_a", IMPORTERS, 200),  # no file: the form comes back
    ("screening:remind", "post", "campaign_a", IMPORTERS, 302),
    ("screening:rescore", "post", "campaign_a", {"official_a"}, 302),
    ("screening:student_file", "get", "student_x", STAFF_A, 200),
    ("screening:student_file", "get", "student_y", {"counselor_b"}, 200),
    ("screening:take", "get", None, EVERYONE, 200),  # a code is the student's credential: no login
    ("screening:take", "post", None, EVERYONE, 200),
    ("screening:question", "get", None, EVERYONE, 302),  # no code typed in this session: back to the start
    ("screening:done", "get", None, EVERYONE, 200),
    ("screening:consent", "get", "consent_x", EVERYONE, 200),  # the guardian's link is the credential
    ("screening_short", "get", None, EVERYONE, 302),
    ("screening:parent_form", "get", "parent_form_x", EVERYONE, 200),  # the guardian's link is the credential
    ("counseling:schedule", "get", None, IMPORTERS, 200),
    ("counseling:setup", "get", None, IMPORTERS, 200),
    ("counseling:setup", "post", None, IMPORTERS, 200),  # no form named: the page comes back
    ("counseling:slots_generate", "post", None, IMPORTERS, 302),
    ("counseling:group_new", "post", None, IMPORTERS, 302),  # an empty form: back with errors
    ("counseling:slot", "get", "slot_a", STAFF_A, 200),
    ("counseling:slot", "post", "slot_a", STAFF_A, 200),  # an empty form comes back with errors
    ("counseling:booking_mark", "post", "booking_x", STAFF_A, 302),
    ("counseling:booking_cancel", "post", "booking_x", STAFF_A | {"parent_x"}, 302),
    ("counseling:booking_move", "get", "booking_x", STAFF_A | {"parent_x"}, 200),
    ("counseling:booking_ics", "get", "booking_x", STAFF_A | {"parent_x"}, 200, {"anonymous": 404}),
    ("counseling:record_new", "get", "booking_x_route", STAFF_A, 200),
    ("counseling:record", "get", "record_x", STAFF_A, 200),
    ("counseling:record_break_glass", "post", "record_x", STAFF_A, 302),  # no reason: back with an error
    ("counseling:record_share", "post", "record_x", STAFF_A, 302),
    ("counseling:booking_codes", "get", "class_a1_route", STAFF_A, 200),
    ("counseling:booking_codes", "post", "class_a1_route", STAFF_A, 302),
    ("counseling:feed", "get", "feed_a", EVERYONE, 200),  # the signed URL is the credential
    ("counseling:parent_home", "get", None, {"parent_x", "parent_y"}, 200),
    ("counseling:parent_book", "get", "child_x_route", {"parent_x"}, 200),
    ("counseling:student_start", "get", None, EVERYONE, 200),  # a booking code is the student's credential
    ("counseling:student_start", "post", None, EVERYONE, 200),
    ("counseling:student_book", "get", None, EVERYONE, 302),  # no code typed: back to the start
    ("counseling:mailbox", "get", None, IMPORTERS, 200),
    ("counseling:mailbox_message", "get", "mailbox_a", STAFF_A, 200),
    ("counseling:mailbox_read", "get", None, EVERYONE, 200),  # anonymous by design
    ("counseling:mailbox_read", "post", None, EVERYONE, 200),
    ("counseling:mailbox_write", "get", "school_a_code", EVERYONE, 200),
    ("counseling:mailbox_write", "post", "school_a_code", EVERYONE, 200),  # empty: the form comes back
    ("counseling:risk_words", "get", None, {"official_a", "official_b"}, 200),
    ("counseling:risk_words", "post", None, {"official_a", "official_b"}, 200),
    ("training:home", "get", None, STAFF, 200),
    ("training:home", "post", None, {"official_a", "official_b"}, 200),  # an empty form comes back
    ("training:programme", "get", "programme_a", {"official_a"}, 200),
    ("training:programme", "post", "programme_a", {"official_a"}, 200),
    ("training:certificates_issue", "post", "programme_a", {"official_a"}, 302),
    ("training:session", "get", "session_a", {"official_a"}, 200),
    ("training:enrol", "post", "session_a", STAFF - {"official_b"}, 302),  # district A's staff and officials
    ("training:attendance", "post", "enrolment_a", {"official_a"}, 302),
    ("training:enrolment_cancel", "post", "enrolment_a", {"counselor_a"}, 302),
    ("training:certificate_pdf", "get", "certificate_a", {"counselor_a", "official_a"}, 200),
    ("training:verify", "get", "certificate_code", EVERYONE, 200),  # public by design: name, programme, hours
    ("training:staffing", "get", None, IMPORTERS | {"official_a", "official_b"}, 200),
    ("training:hours", "get", None, {"official_a", "official_b"}, 200),
    ("training:curriculum", "get", None, IMPORTERS | {"official_a", "official_b"}, 200),
    ("training:curriculum", "post", None, IMPORTERS, 200),  # an empty form comes back
    ("training:attendance_import", "post", "session_a", {"official_a"}, 302),  # no file: back with an error
    ("training:roster_import", "post", None, IMPORTERS | {"official_a", "official_b"}, 302),
    ("training:parent_classes", "get", None, SIGNED_IN, 200),
    ("training:parent_classes", "post", None, {"official_a", "official_b"}, 200),  # an empty form comes back
    ("training:parent_signup", "post", "episode_a", SIGNED_IN - {"official_b"}, 302),
    ("training:parent_watch", "get", "episode_a", SIGNED_IN - {"official_b"}, 302),  # counted, then the link
    ("training:episode_views", "post", "episode_a", {"official_a"}, 302),
    ("dashboards:dashboard", "get", None, IMPORTERS | {"official_a", "official_b"}, 200),
    ("dashboards:school", "get", "school_a", STAFF_A | {"official_a"}, 200),
    ("dashboards:refresh", "post", None, {"official_a", "official_b"}, 302),
    ("api-dashboard", "get", None, IMPORTERS | {"official_a", "official_b"}, 200),
    ("inbox", "get", None, SIGNED_IN, 200),
    ("inbox_message", "get", "inbox_a", {"counselor_a"}, 200),
    ("language_set", "post", None, EVERYONE, 302),
    ("healthz", "get", None, EVERYONE, 200),
    ("login", "get", None, {"anonymous"}, 200),
    ("account", "get", None, SIGNED_IN, 200),
    ("otp_verify", "get", None, STAFF, 200, PARENTS_TO_SETUP),
    ("otp_setup", "get", None, SIGNED_IN, 200),
    ("otp_disable", "get", None, SIGNED_IN, 200),
    ("recovery_codes_new", "post", None, SIGNED_IN, 200),
    ("password_change", "get", None, SIGNED_IN, 200),
    ("password_change_done", "get", None, SIGNED_IN, 200),
    ("logout", "post", None, EVERYONE, 302),
    ("api-me", "get", None, SIGNED_IN, 200),
    ("api-token", "post", None, EVERYONE, 400),  # no credentials given: a validation error for anyone
    ("school-list", "get", None, SIGNED_IN, 200),
    ("school-detail", "get", "school_a", {"official_a", "teacher_a", "parent_x"} | STAFF_A, 200),
    ("school-detail", "get", "school_b", {"official_a"} | SEES_Y, 200),
    ("school-detail", "get", "school_c", {"official_b"}, 200),
    ("classroom-list", "get", None, SIGNED_IN, 200),
    ("classroom-detail", "get", "class_a1", STAFF_A | {"teacher_a"}, 200),
    ("classroom-detail", "get", "class_a2", STAFF_A, 200),
    ("student-list", "get", None, SIGNED_IN, 200),
    ("student-detail", "get", "student_x", SEES_X, 200),
    ("student-detail", "get", "student_w", STAFF_A, 200),
    ("student-detail", "get", "student_y", SEES_Y, 200),
    ("student-detail", "get", "student_z", NOBODY, 200),
    ("guardian-list", "get", None, SIGNED_IN, 200),
    ("guardian-detail", "get", "guardian_x", SEES_X, 200),
    ("guardian-detail", "get", "guardian_y", SEES_Y, 200),
    ("roster-import-list", "get", None, SIGNED_IN, 200),
    ("roster-import-list", "post", None, IMPORTERS, 400),  # no file: a validation error, nothing stored
    ("roster-import-detail", "get", "import_a", STAFF_A, 200),
    ("roster-import-detail", "get", "import_b", {"counselor_b"}, 200),
    ("roster-import-apply", "post", "import_a", STAFF_A, 202),
    ("roster-import-apply", "post", "import_b", {"counselor_b"}, 202),
    ("case-list", "get", None, SIGNED_IN, 200),  # scoped: see tests/crisis/test_api.py
    ("case-detail", "get", "case_x", STAFF_A, 200),
    ("case-detail", "get", "case_y", {"counselor_b"}, 200),
    ("case-confirm", "post", "case_x", STAFF_A, 400),  # no tier given: a validation error, nothing changes
    ("case-confirm", "post", "case_y", {"counselor_b"}, 400),
    ("case-set-status", "post", "case_x", STAFF_A, 400),
    ("case-close", "post", "case_x", STAFF_A, 400),
    ("case-follow-ups", "post", "case_x", STAFF_A, 400),
    ("case-refer-out", "post", "case_x", STAFF_A, 400),
    ("referral-list", "post", None, IMPORTERS | {"teacher_a"}, 400),
    ("incident-list", "get", None, SIGNED_IN, 200),
    ("incident-detail", "get", "incident_x", STAFF_A | {"official_a"}, 200),
    ("api-schema", "get", None, SIGNED_IN, 200),
    ("api-docs", "get", None, SIGNED_IN, 200),
]

# Routes open to anyone that answer with a redirect somewhere other than the login page.
PUBLIC_REDIRECTS = ("language_set", "logout", "screening_short", "screening:question", "counseling:student_book")

# Anonymous refusals that differ from the default (login redirect for pages, 401 for the API).
ANONYMOUS_REFUSAL = {"api-token": 400}


def _route_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace=""):  # type: ignore[no-untyped-def]
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue  # Django admin: superusers only, see test_admin_is_for_platform_operators_only
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern):
                assert p.name, f"unnamed route {p.pattern}: name it and add it to the matrix"
                names.add(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver().url_patterns)
    return names


def test_every_route_is_in_the_matrix():
    assert _route_names() == {case[0] for case in CASES}


def _expected(route: str, persona: str, allowed: frozenset[str], ok: int, others: dict[str, int]) -> int:
    if persona in others:
        return others[persona]
    if persona in allowed:
        return ok
    if persona == "anonymous":
        if route in ANONYMOUS_REFUSAL:
            return ANONYMOUS_REFUSAL[route]
        return 401 if route.startswith("api-") or ("-" in route and ":" not in route) else 302
    if route == "login":
        return 302  # a signed-in user is sent home
    return 404


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
@pytest.mark.parametrize("persona", PERSONAS)
def test_access(world, login, case, persona):
    route, method, target, allowed, ok, *rest = case
    obj = world.obj(target) if target else None
    if obj is None or isinstance(obj, dict):
        kwargs = obj or {}
    else:
        kwargs = {"token": obj} if isinstance(obj, str) else {"pk": obj.pk}
    url = reverse(route, kwargs=kwargs)
    client = login(world.users[persona])
    response = getattr(client, method)(url)
    expected = _expected(route, persona, frozenset(allowed), ok, rest[0] if rest else {})
    assert response.status_code == expected, f"{persona} {method.upper()} {url}"
    if expected == 302 and persona == "anonymous" and route not in PUBLIC_REDIRECTS:
        assert response["Location"].startswith(reverse("login"))


def test_admin_is_for_platform_operators_only(world, login, admin_user):
    for persona in PERSONAS:
        response = login(world.users[persona]).get(reverse("admin:index"))
        assert response.status_code == 302, persona
        assert "/admin/login/" in response["Location"]
    assert login(admin_user).get(reverse("admin:index")).status_code == 200
