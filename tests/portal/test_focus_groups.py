"""Focus groups (left-behind, migrant workers' child, disability, in difficulty) per persona (issue 24, item 5.2).

One rule (portal.access.sees_focus_groups) for the API and the pages: the school's counselors and leaders see a
child's groups; class teachers and parents never (the API answers null); officials see the groups only as
suppressed counts on the dashboard; another school's staff do not see the child at all.
"""

import pytest
from django.urls import reverse

from portal import access
from tests.factories import UserFactory
from tests.portal.test_access_matrix import _clients

FLAGS = {"left_behind": True, "migrant_child": False, "disability": True, "in_difficulty": False}
HIDDEN = dict.fromkeys(FLAGS)

# persona -> what the API says of student X's groups (None: X is not theirs to read at all)
EXPECTED = {
    "leader_a": FLAGS,
    "counselor_a": FLAGS,
    "teacher_a": HIDDEN,
    "parent_x": HIDDEN,
    "counselor_b": None,
    "parent_y": None,
    "official_a": None,
    "official_b": None,
}


@pytest.fixture
def flagged(world):
    for name, value in FLAGS.items():
        setattr(world.student_x, name, value)
    world.student_x.save()
    return world


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_the_api_shows_a_childs_focus_groups_to_the_schools_counselors_and_leaders_only(flagged, persona):
    client = _clients(flagged)[persona]
    detail = client.get(reverse("student-detail", args=[flagged.student_x.pk]))
    rows = [r for r in client.get(reverse("student-list")).json()["results"] if r["id"] == flagged.student_x.pk]
    if EXPECTED[persona] is None:
        assert detail.status_code == 404 and rows == []
        return
    assert {k: detail.json()[k] for k in FLAGS} == EXPECTED[persona]
    assert [{k: r[k] for k in FLAGS} for r in rows] == [EXPECTED[persona]]


@pytest.mark.parametrize("persona", ["leader_a", "counselor_a", "teacher_a", "parent_x"])
def test_the_student_page_shows_the_groups_to_the_schools_counselors_and_leaders_only(flagged, login, persona):
    page = login(flagged.users[persona]).get(reverse("student_detail", args=[flagged.student_x.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    shown = EXPECTED[persona] == FLAGS
    assert ("重点关注" in html) == shown
    assert ("留守儿童" in html) == shown and ("残疾" in html) == shown


def test_officials_see_the_groups_only_as_counts_on_the_dashboard(flagged):
    board = _clients(flagged)["official_a"].get(reverse("api-dashboard")).json()
    assert set(board["focus_groups"]) == {"left_behind", "migrant_child", "disability", "in_difficulty"}
    assert flagged.student_x.name not in str(board)


def test_a_counselor_who_is_also_a_parent_elsewhere_sees_the_groups_of_their_own_school_only(flagged):
    """The rule is per child: counselor B, parent of X (a school A child), does not see X's groups."""
    from tests.factories import StudentGuardianFactory

    counselor_b = flagged.users["counselor_b"]
    link = StudentGuardianFactory(student=flagged.student_x, is_primary=False)
    link.guardian.user = counselor_b
    link.guardian.save()
    assert not access.sees_focus_groups(counselor_b, flagged.student_x)
    assert access.sees_focus_groups(counselor_b, flagged.student_y)
    body = _clients(flagged)["counselor_b"].get(reverse("student-detail", args=[flagged.student_x.pk])).json()
    assert {k: body[k] for k in FLAGS} == HIDDEN


def test_a_platform_operator_does_not_see_the_groups(flagged):
    operator = UserFactory(is_superuser=True)
    assert not access.sees_focus_groups(operator, flagged.student_x)
