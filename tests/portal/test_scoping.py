"""Lists, searches and counts contain exactly the rows a persona may see: never a foreign row."""

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from portal import services
from portal.models import Guardian, Membership, Student
from tests import factories

# persona -> names of the students they see (API list, page list and queryset alike)
STUDENTS_SEEN = {
    "official_a": set(),
    "official_b": set(),
    "leader_a": {"Xiao X", "Xiao W"},
    "counselor_a": {"Xiao X", "Xiao W"},
    "counselor_b": {"Xiao Y"},
    "teacher_a": {"Xiao X"},
    "parent_x": {"Xiao X"},
    "parent_y": {"Xiao Y"},
}


@pytest.mark.parametrize(("persona", "expected"), STUDENTS_SEEN.items())
def test_student_api_list_holds_only_visible_students(world, login, persona, expected):
    body = login(world.users[persona]).get(reverse("student-list")).json()
    assert {row["name"] for row in body["results"]} == expected
    assert body["count"] == len(expected)


@pytest.mark.parametrize(("persona", "expected"), STUDENTS_SEEN.items())
def test_student_queryset_scope(world, persona, expected):
    assert set(Student.objects.visible_to(world.users[persona]).values_list("name", flat=True)) == expected


@pytest.mark.parametrize("persona", ["leader_a", "counselor_a", "counselor_b", "teacher_a", "parent_x", "parent_y"])
def test_student_page_list_and_search_hold_only_visible_students(world, login, persona):
    client = login(world.users[persona])
    html = client.get(reverse("student_list")).content.decode()
    for name in ("Xiao X", "Xiao W", "Xiao Y", "Xiao Z"):
        assert (name in html) == (name in STUDENTS_SEEN[persona]), name
    # Searching for a foreign child by exact name finds nothing.
    searched = client.get(reverse("student_list"), {"q": "Xiao Z"}).content.decode()
    assert "Xiao Z</a>" not in searched


def test_search_api_cannot_reach_another_schools_student(world, login):
    client = login(world.users["counselor_b"])
    body = client.get(reverse("student-list"), {"search": world.student_x.student_number}).json()
    assert body["count"] == 0
    own = client.get(reverse("student-list"), {"search": world.student_y.student_number}).json()
    assert [row["name"] for row in own["results"]] == ["Xiao Y"]
    by_school = client.get(reverse("student-list"), {"school": world.school_a.pk}).json()
    assert by_school["count"] == 0


def test_guardian_contacts_follow_the_students(world, login):
    def mobiles(persona):
        body = login(world.users[persona]).get(reverse("guardian-list")).json()
        return {row["mobile"] for row in body["results"]}

    x, w, y = (world.obj(k).guardians.get().mobile for k in ("student_x", "student_w", "student_y"))
    assert mobiles("counselor_a") == {x, w}
    assert mobiles("teacher_a") == {x}
    assert mobiles("parent_x") == {x}
    assert mobiles("counselor_b") == {y}
    assert mobiles("official_a") == set()


def test_schools_officials_see_their_district_only(world, login):
    def names(persona):
        return {row["name"] for row in login(world.users[persona]).get(reverse("school-list")).json()["results"]}

    assert names("official_a") == {"School A", "School B"}
    assert names("official_b") == {"School C"}
    assert names("parent_y") == {"School B"}
    assert names("teacher_a") == {"School A"}


def test_class_teacher_sees_own_class_only(world, login):
    body = login(world.users["teacher_a"]).get(reverse("classroom-list")).json()
    assert [row["id"] for row in body["results"]] == [world.class_a1.pk]


def test_official_home_shows_counts_not_children(world, login):
    html = login(world.users["official_a"]).get(reverse("home"), follow=True).content.decode()  # the dashboard
    assert "School A" in html and "School B" in html and "School C" not in html
    assert "Xiao X" not in html


def test_a_deactivated_membership_sees_nothing(world, login):
    Membership.objects.filter(user=world.users["counselor_a"]).update(active=False)
    assert (
        login(world.users["counselor_a"]).get(reverse("student_detail", args=[world.student_x.pk])).status_code == 404
    )


def test_a_deactivated_account_is_signed_out(world, login):
    client = login(world.users["counselor_a"])
    world.users["counselor_a"].is_active = False
    world.users["counselor_a"].save()
    assert client.get(reverse("student_list")).status_code == 302


def test_per_object_grant_opens_one_student_to_one_colleague(world, login):
    expert = factories.UserFactory(username="expert")
    client = login(expert)
    assert client.get(reverse("student-detail", args=[world.student_y.pk])).status_code == 404
    services.student_share(student=world.student_y, with_user=expert)
    assert client.get(reverse("student-detail", args=[world.student_y.pk])).status_code == 200
    assert client.get(reverse("student-detail", args=[world.student_x.pk])).status_code == 404
    # Another kind of permission on the object does not open it.
    assign_perm("change_student", world.users["counselor_b"], world.student_x)
    assert (
        login(world.users["counselor_b"]).get(reverse("student-detail", args=[world.student_x.pk])).status_code == 404
    )


def test_parent_with_children_at_two_schools_sees_both(world, login):
    parent = world.users["parent_x"]
    other = factories.StudentGuardianFactory(student=world.student_y, is_primary=False).guardian
    other.user = parent
    other.save()
    body = login(parent).get(reverse("student-list")).json()
    assert {row["name"] for row in body["results"]} == {"Xiao X", "Xiao Y"}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("leader_a", {"import_a"}), ("counselor_a", {"import_a"}), ("counselor_b", {"import_b"}),
     ("teacher_a", set()), ("official_a", set()), ("parent_x", set())],
)  # fmt: skip
def test_roster_import_list_holds_only_the_schools_own(world, login, persona, expected):
    body = login(world.users[persona]).get(reverse("roster-import-list")).json()
    assert {row["id"] for row in body["results"]} == {world.obj(key).pk for key in expected}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("leader_a", {"class_a1", "class_a2"}), ("counselor_a", {"class_a1", "class_a2"}), ("teacher_a", {"class_a1"}),
     ("counselor_b", {"student_y"}), ("official_a", set()), ("parent_x", set())],
)  # fmt: skip
def test_classroom_list_holds_only_visible_classes(world, login, persona, expected):
    body = login(world.users[persona]).get(reverse("classroom-list")).json()
    ids = {world.obj(k).classroom_id if k.startswith("student") else world.obj(k).pk for k in expected}
    assert {row["id"] for row in body["results"]} == ids


@pytest.mark.parametrize("route", ["student-list", "classroom-list", "guardian-list"])
def test_filtering_on_a_foreign_school_looks_like_a_school_that_does_not_exist(world, login, route):
    client = login(world.users["counselor_b"])
    foreign = client.get(reverse(route), {"school": world.school_a.pk})
    missing = client.get(reverse(route), {"school": 987654321})
    assert (foreign.status_code, foreign.json()["count"]) == (missing.status_code, missing.json()["count"]) == (200, 0)


def test_an_official_who_is_also_a_parent_sees_their_own_child(world, login):
    official = world.users["official_a"]
    link = factories.StudentGuardianFactory(student=world.student_w, is_primary=False)
    Guardian.objects.filter(pk=link.guardian_id).update(user=official)
    client = login(official)
    assert "Xiao W" in client.get(reverse("home")).content.decode()
    assert client.get(reverse("student_list")).status_code == 200
    assert client.get(reverse("student_detail", args=[world.student_w.pk])).status_code == 200
    assert client.get(reverse("student_detail", args=[world.student_x.pk])).status_code == 404


# --- lists, exports and calendar feeds: parsed, every row checked against the persona's own ------------------
# Planted: a case, an incident, a booking and a confide-box message at schools A, B and C; the names of the
# students (and schools) of other schools and districts must not appear in any row.
STUDENTS = {"Xiao X", "Xiao W", "Xiao Y", "Xiao Z"}
SCHOOLS = {"School A", "School B", "School C"}


@pytest.fixture
def planted(world):
    from crisis.models import Case
    from tests.portal import test_access_matrix as matrix

    Case.objects.create(student=world.student_w, source="teacher", suggested_tier=1)
    matrix.case_z(world)
    world.incident_x  # noqa: B018 - creates it
    matrix.incident_y(world)
    matrix.incident_z(world)
    world.booking_x  # noqa: B018
    matrix.booking_y(world)
    matrix.booking_z(world)
    world.mailbox_a  # noqa: B018
    matrix.mailbox_b(world)
    matrix.mailbox_c(world)
    return world


def _html_rows(response) -> list[str]:  # type: ignore[no-untyped-def]
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.rows: list[str] = []
            self.depth = 0

        def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
            if tag in ("tr", "li"):
                self.rows.append("")
                self.depth += 1

        def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
            if tag in ("tr", "li"):
                self.depth -= 1

        def handle_data(self, data):  # type: ignore[no-untyped-def]
            if self.depth:
                self.rows[-1] += data

    parser = Rows()
    parser.feed(response.content.decode())
    return parser.rows


def _xlsx_rows(response) -> list[str]:  # type: ignore[no-untyped-def]
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return [
        " ".join(str(c) for c in row if c is not None) for sheet in book for row in sheet.iter_rows(values_only=True)
    ]


def _ics_rows(response) -> list[str]:  # type: ignore[no-untyped-def]
    from icalendar import Calendar

    calendar = Calendar.from_ical(response.content)
    return [
        " ".join(str(e.get(k, "")) for k in ("SUMMARY", "DESCRIPTION", "LOCATION")) for e in calendar.walk("VEVENT")
    ]


def _json_rows(response) -> list[str]:  # type: ignore[no-untyped-def]
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body.get("schools", [])
    return [str(row) for row in rows]


def _csv_rows(response) -> list[str]:  # type: ignore[no-untyped-def]
    return response.content.decode("utf-8-sig").splitlines()[1:]


# route, query, parser, {persona: names that may appear (and at least one must)}, the marker set checked
LISTINGS = [
    ("case-list", {}, _json_rows, {"leader_a": {"Xiao X", "Xiao W"}, "counselor_a": {"Xiao X", "Xiao W"},
                                   "counselor_b": {"Xiao Y"}}, STUDENTS),
    ("crisis:ledger", {}, _html_rows, {"leader_a": {"Xiao X", "Xiao W"}, "counselor_a": {"Xiao X", "Xiao W"},
                                       "counselor_b": {"Xiao Y"}}, STUDENTS),
    ("crisis:ledger_export", {}, _xlsx_rows, {"leader_a": {"Xiao X", "Xiao W"}, "counselor_a": {"Xiao X", "Xiao W"},
                                              "counselor_b": {"Xiao Y"}}, STUDENTS),
    ("incident-list", {}, _json_rows, {"official_a": {"Xiao X", "Xiao Y"}, "official_b": {"Xiao Z"},
                                       "counselor_a": {"Xiao X"}, "counselor_b": {"Xiao Y"}}, STUDENTS),
    ("crisis:incidents", {}, _html_rows, {"official_a": {"Xiao X", "Xiao Y"}, "official_b": {"Xiao Z"},
                                          "counselor_a": {"Xiao X"}, "counselor_b": {"Xiao Y"}}, STUDENTS),
    ("counseling:parent_home", {}, _html_rows, {"parent_x": {"Xiao X"}, "parent_y": {"Xiao Y"}}, STUDENTS),
    ("counseling:mailbox", {}, _html_rows, {"counselor_a": {"最近和同学关系不好"}, "counselor_b": {"school B message"}},
     {"最近和同学关系不好", "school B message", "school C message"}),
    ("dashboards:dashboard", {}, _html_rows, {"official_a": {"School A", "School B"}, "official_b": {"School C"},
                                              "counselor_b": {"School B"}}, SCHOOLS),
    ("dashboards:dashboard", {"format": "xlsx"}, _xlsx_rows, {"official_a": {"School A", "School B"},
                                                              "official_b": {"School C"}}, SCHOOLS),
    ("dashboards:dashboard", {"format": "csv"}, _csv_rows, {"official_a": {"School A", "School B"},
                                                            "official_b": {"School C"}}, SCHOOLS),
    ("api-dashboard", {}, _json_rows, {"official_a": {"School A", "School B"}, "official_b": {"School C"},
                                       "counselor_a": {"School A"}}, SCHOOLS),
    ("training:staffing", {"format": "xlsx"}, _xlsx_rows, {"official_a": {"School A", "School B"},
                                                           "official_b": {"School C"}, "counselor_b": {"School B"}},
     SCHOOLS),
]  # fmt: skip


@pytest.mark.parametrize("listing", LISTINGS, ids=[f"{x[0]}{x[1].get('format', '')}" for x in LISTINGS])
def test_lists_and_exports_hold_no_foreign_row(planted, login, listing):
    route, query, parse, seen, markers = listing
    for persona, own in seen.items():
        response = login(planted.users[persona]).get(reverse(route), query)
        assert response.status_code == 200, persona
        rows = parse(response)
        found = {marker for row in rows for marker in markers if marker in row}
        assert found == own, persona


def test_calendar_feeds_hold_only_the_counselors_own_bookings(planted, client, login):
    from counseling.calendar import feed_issue
    from tests.portal import test_access_matrix as matrix

    # Events name no child, only the place: each counselor's feed holds their own school's booking alone.
    for user, own in ((planted.users["counselor_a"], "School A"), (planted.users["counselor_b"], "School B"),
                      (matrix.counselor_c(planted), "School C")):  # fmt: skip
        rows = _ics_rows(client.get(feed_issue(user=user)))
        assert len(rows) == 1, user.username
        assert {name for row in rows for name in SCHOOLS | STUDENTS if name in row} == {own}, user.username
    staff = login(planted.users["counselor_a"])
    ics = _ics_rows(staff.get(reverse("counseling:booking_ics", args=[planted.booking_x.pk])))
    assert len(ics) == 1 and "Xiao Y" not in ics[0] and "Xiao Z" not in ics[0]
