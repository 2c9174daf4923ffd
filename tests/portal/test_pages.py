"""The shell: home per role, the student pages, language, and constant query counts on lists."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import User
from tests import factories
from tests.conftest import USER_READS


@pytest.mark.parametrize(
    ("persona", "heading"),
    [
        ("official_a", "数据看板"),  # the dashboard itself
        ("leader_a", "今日待办"),  # the school's staff land on their worklist
        ("counselor_b", "今日待办"),
        ("teacher_a", "我的班级"),
        ("parent_x", "我的孩子"),
    ],
)
def test_each_role_lands_on_its_own_home_in_chinese(world, login, persona, heading):
    html = login(world.users[persona]).get(reverse("home"), follow=True).content.decode()
    assert re.search(rf"<h1>{heading}( · [^<]*)?</h1>", html)


def test_an_official_of_a_district_without_schools_sees_the_overview_not_an_error(db, login):
    official = factories.UserFactory()
    factories.MembershipFactory(user=official, role="official", district=factories.DistrictFactory())
    html = login(official).get(reverse("home")).content.decode()
    assert "<h1>全市概况</h1>" in html


def test_a_user_without_any_role_is_told_whom_to_ask(db, login):
    html = login(factories.UserFactory()).get(reverse("home")).content.decode()
    assert "您的账号尚未分配角色" in html


def test_navigation_follows_the_role(world, login):
    teacher_html = login(world.users["teacher_a"]).get(reverse("home")).content.decode()
    assert reverse("student_list") in teacher_html and reverse("roster_import_new") not in teacher_html
    counselor_html = login(world.users["counselor_a"]).get(reverse("home")).content.decode()
    assert reverse("roster_import_new") in counselor_html


def test_student_detail_shows_guardians_primary_first(world, login):
    second = factories.StudentGuardianFactory(student=world.student_x, is_primary=False).guardian
    html = login(world.users["teacher_a"]).get(reverse("student_detail", args=[world.student_x.pk])).content.decode()
    primary = world.student_x.guardian_links.get(is_primary=True).guardian
    assert html.index(primary.mobile) < html.index(second.mobile)
    assert "主要联系人" in html


def test_sensitive_pages_are_not_cached(world, login):
    response = login(world.users["counselor_a"]).get(reverse("student_detail", args=[world.student_x.pk]))
    assert "no-store" in response["Cache-Control"]


def test_language_switch_is_saved_for_the_user(world, login):
    client = login(world.users["counselor_a"])
    response = client.post(reverse("language_set"), {"language": "en", "next": reverse("student_list")})
    assert response.status_code == 302 and response["Location"] == reverse("student_list")
    assert User.objects.get(pk=world.users["counselor_a"].pk).language == "en"
    assert "<h1>Students</h1>" in client.get(reverse("student_list")).content.decode()


def test_language_switch_refuses_foreign_redirects_and_unknown_languages(client, db):
    response = client.post(reverse("language_set"), {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert "django_language" not in response.cookies


def test_anonymous_visitor_sees_the_login_page_in_english_when_asking_for_it(client, db):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in" in html
    assert "登录" in client.get(reverse("login")).content.decode()  # default: Chinese


def test_login_with_password_reaches_home(world, client):
    response = client.post(reverse("login"), {"username": "counselor_a", "password": factories.PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("route", "persona"),
    [("student_list", "counselor_a"), ("home", "counselor_a"), ("home", "teacher_a"), ("home", "parent_x")],
)
def test_list_pages_run_a_constant_number_of_queries(world, login, route, persona):
    client = login(world.users[persona])
    url = reverse(route)
    few = _queries(client, url)
    for _ in range(20):
        factories.StudentGuardianFactory(student=factories.StudentFactory(classroom=world.class_a1))
        factories.SchoolFactory(district=world.district_a)
    assert _queries(client, url) == few


def test_student_list_query_count_is_pinned(world, login, django_assert_num_queries):
    client = login(world.users["counselor_a"])
    for _ in range(10):
        factories.StudentFactory(classroom=world.class_a2)
    # who is asking (session, user, roles), the session's second-factor device, count, page
    with django_assert_num_queries(USER_READS + 3):
        client.get(reverse("student_list"))


def test_student_api_list_query_count_is_pinned(world, login, django_assert_num_queries):
    client = login(world.users["counselor_a"])
    assert client.get(reverse("student-list")).status_code == 200  # a kept connection: its statements prepared
    for _ in range(10):
        factories.StudentFactory(classroom=world.class_a2)
    # As the page, plus the audit events for the rows returned: the rows' schools, the chain's last hash (on
    # PostgreSQL in one round trip with the advisory lock that serialises writers), one insert.
    with django_assert_num_queries(USER_READS + 6):
        client.get(reverse("student-list"))


@pytest.mark.parametrize("route", ["home", "student_list", "roster_import_new", "api-docs", "login"])
def test_pages_load_no_asset_from_another_host(world, login, route):
    """Schools' networks block or throttle CDNs: every script, style and image comes from the app."""
    import re

    client = login(None if route == "login" else world.users["counselor_a"])
    html = client.get(reverse(route)).content.decode()
    external = re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//[^"']+""", html)
    assert external == []
    assert re.findall(r"""(?:src|href)\s*=\s*["'](/static/[^"']+)""", html)


def test_the_pager_keeps_the_search(world, login):
    for _ in range(60):
        factories.StudentFactory(classroom=world.class_a1, name="Same Name")
    html = login(world.users["counselor_a"]).get(reverse("student_list"), {"q": "Same", "grade": 7}).content.decode()
    assert "第 1 页，共 2 页" in html
    assert 'href="?q=Same&amp;grade=7&amp;page=2"' in html
