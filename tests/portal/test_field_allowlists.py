"""Field level: what each role's API answers hold is an allow-list, and who owns a record cannot be rewritten.

A field added to a serializer fails these tests until it is reviewed and added here. Officials never receive
screening answers, counseling notes, case notes or guardian contacts. Attempts to set school, owner, student or
district on a record, one's own or another's, are refused or ignored: the database is compared before and after.
(ASVS 8.2.3)
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from crisis.models import Case, FollowUp, Referral
from portal.models import RosterImport, Student
from tests.conftest import PERSONAS
from tests.portal.test_access_matrix import _clients, changed_tables, fingerprint, target

SCHOOL = {"id", "name", "code", "kind", "district"}
CLASSROOM = {"id", "school", "grade", "name", "class_teacher"}
STUDENT = {"id", "school", "classroom", "grade", "class_name", "student_number", "name", "gender", "birth_date",
           "status", "left_behind", "migrant_child", "disability", "in_difficulty"}  # fmt: skip
GUARDIAN = {"id", "school", "name", "relation", "mobile", "email", "language", "channel"}
ROSTER_IMPORT = {"id", "school", "filename", "status", "row_count", "row_errors", "plan", "created_at", "applied_at"}
CASE = {"id", "student", "student_name", "student_number", "school", "class_name", "source", "status", "tier",
        "suggested_tier", "confirmed_tier", "confirmed_by", "confirmed_at", "owner", "opened_at", "closed_at",
        "close_reason", "guardian_contact_blocked"}  # fmt: skip
CASE_DETAIL = CASE | {"evidence", "follow_ups", "notices", "outside_referrals"}
FOLLOW_UP = {"id", "date", "contact_type", "summary", "next_step", "author", "created_at"}
NOTICE = {"id", "to", "tier", "sent_at", "expires_at", "acknowledged_at", "acknowledged_via", "escalation"}
OUTSIDE_REFERRAL = {"id", "place_kind", "organisation", "referred_on", "reason", "outcome", "outcome_on",
                    "outcome_note"}  # fmt: skip
# What schools report to the district: the page shows officials the same columns.
INCIDENT = {"id", "case", "kind", "school", "student_name", "reported_at", "what_happened", "actions_taken",
            "outside_help"}  # fmt: skip
ME = {"id", "username", "name", "language", "home", "roles"}
ROLE = {"role", "school", "district"}
DASHBOARD = {"year", "as_of", "invited", "completed", "tiers", "focus_groups", "schools"}
DASHBOARD_SCHOOL = {"id", "name", "kind", "invited", "completed", "coverage", "tiers", "positive_percent",
                    "open_severe", "open_major", "overdue_follow_ups", "guardians_acknowledged", "ack_hours_median",
                    "awaiting_general", "awaiting_severe", "awaiting_major", "awaiting_past_deadline",
                    "wait_days_median", "classes", "classes_meeting_standard", "drilled_this_term",
                    "rooms_meet_standard", "full_time", "part_time", "bookings", "no_shows"}  # fmt: skip

# list route, detail route and its object, allow-list, personas who get at least one row (the others get none)
ENDPOINTS = [
    ("school-list", "school-detail", "school_a", SCHOOL, set(PERSONAS) - {"anonymous"}),
    ("classroom-list", "classroom-detail", "class_a1", CLASSROOM, {"leader_a", "counselor_a", "counselor_b",
                                                                   "teacher_a"}),
    ("student-list", "student-detail", "student_x", STUDENT, {"leader_a", "counselor_a", "counselor_b", "teacher_a",
                                                              "parent_x", "parent_y"}),
    ("guardian-list", "guardian-detail", "guardian_x", GUARDIAN, {"leader_a", "counselor_a", "counselor_b",
                                                                  "teacher_a", "parent_x", "parent_y"}),
    ("roster-import-list", "roster-import-detail", "import_a", ROSTER_IMPORT, {"leader_a", "counselor_a",
                                                                              "counselor_b"}),
    ("case-list", "case-detail", "case_x", CASE, {"leader_a", "counselor_a", "counselor_b"}),
    ("incident-list", "incident-detail", "incident_x", INCIDENT, {"leader_a", "counselor_a", "official_a"}),
]  # fmt: skip
SIGNED_IN = [p for p in PERSONAS if p != "anonymous"]


def _with_clinical_detail(world) -> None:  # type: ignore[no-untyped-def]
    """A follow-up, a notice and an outside referral on case X, so nested rows are there to check."""
    from crisis.services import outside_referral_create

    FollowUp.objects.create(case=world.case_x, author=world.users["counselor_a"], date=timezone.localdate(),
                            contact_type="talk", summary="CASE-NOTE-MARKER")  # fmt: skip
    world.notice_x_route  # noqa: B018 - creates a notice
    outside_referral_create(case=world.case_x, by=world.users["counselor_a"], place_kind="hospital",
                            organisation="City Hospital", referred_on=timezone.localdate())  # fmt: skip
    world.incident_x  # noqa: B018 - creates an incident


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_each_roles_rows_hold_exactly_the_allowed_fields(world, endpoint):
    list_route, detail_route, key, fields, with_rows = endpoint
    _with_clinical_detail(world)
    obj = target(world, key)
    clients = _clients(world)
    for persona in SIGNED_IN:
        rows = clients[persona].get(reverse(list_route)).json()["results"]
        assert bool(rows) == (persona in with_rows), persona
        for row in rows:
            assert set(row) == fields, persona
        detail = clients[persona].get(reverse(detail_route, args=[obj.pk]))
        if detail.status_code == 200:
            expected = CASE_DETAIL if detail_route == "case-detail" else fields
            assert set(detail.json()) == expected, persona


def test_a_cases_nested_records_hold_exactly_the_allowed_fields(world):
    _with_clinical_detail(world)
    body = _clients(world)["counselor_a"].get(reverse("case-detail", args=[world.case_x.pk])).json()
    assert [set(row) for row in body["follow_ups"]] == [FOLLOW_UP]
    assert [set(row) for row in body["notices"]] == [NOTICE]
    assert [set(row) for row in body["outside_referrals"]] == [OUTSIDE_REFERRAL]


def test_me_and_dashboard_hold_exactly_the_allowed_fields(world):
    clients = _clients(world)
    for persona in SIGNED_IN:
        me = clients[persona].get(reverse("api-me")).json()
        assert set(me) == ME, persona
        assert all(set(role) == ROLE for role in me["roles"]), persona
    for persona in ("official_a", "official_b", "counselor_a"):
        board = clients[persona].get(reverse("api-dashboard")).json()
        assert set(board) == DASHBOARD, persona
        assert board["schools"], persona
        assert all(set(row) == DASHBOARD_SCHOOL for row in board["schools"]), persona


# Words of screening answers, counseling and case notes, and guardian contacts that no official may receive.
CLINICAL_KEYS = {"answers", "responses", "private_notes", "summary", "notes", "follow_ups", "evidence", "mobile",
                 "email", "guardians", "scores"}  # fmt: skip


def _keys(value) -> set[str]:  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_officials_never_receive_answers_notes_or_guardian_contacts(world):
    from tests.portal.test_access_matrix import CASES, route_url

    _with_clinical_detail(world)
    record = world.record_x  # summary "谈了学习压力", private notes "家中有变故"
    secrets = ["CASE-NOTE-MARKER", record.summary, record.private_notes]
    secrets += [s.guardians.get().mobile for s in (world.student_x, world.student_w, world.student_y, world.student_z)]
    clients = _clients(world)
    reads = sorted({(c[0], c[2]) for c in CASES if c[1] == "get" and ({"official_a", "official_b"} & set(c[3]))})
    assert len(reads) > 20
    # The same secrets are there for the school's own counselor to read: the check below can fail.
    own = clients["counselor_a"]
    shown = own.get(reverse("case-detail", args=[world.case_x.pk])).content.decode()
    shown += own.get(reverse("counseling:record", args=[record.pk])).content.decode()
    shown += own.get(reverse("guardian-list")).content.decode()
    assert all(secret in shown for secret in secrets[:4])
    urls = {(route, key): route_url(world, route, key) for route, key in reads}
    for persona in ("official_a", "official_b"):
        for (route, _key), url in urls.items():
            response = clients[persona].get(url)
            if response.status_code != 200:
                continue
            raw = b"".join(response.streaming_content) if response.streaming else response.content
            body = raw.decode(errors="replace")
            assert not [s for s in secrets if s in body], f"{persona} {route}"
            if response.get("Content-Type", "").startswith("application/json"):
                assert not _keys(response.json()) & CLINICAL_KEYS, f"{persona} {route}"


# --- who owns a record cannot be rewritten ------------------------------------------------------------------

OWNERSHIP = {
    "school": lambda w: w.school_c.pk,
    "district": lambda w: w.district_b.pk,
    "owner": lambda w: w.users["counselor_b"].pk,
    "student": lambda w: w.student_z.pk,
    "classroom": lambda w: w.student_z.classroom_id,
    "case": lambda w: w.case_y.pk,
    "author": lambda w: w.users["counselor_b"].pk,
    "uploaded_by": lambda w: w.users["counselor_b"].pk,
    "class_teacher": lambda w: w.users["counselor_b"].pk,
}
DETAILS = [("school-detail", "school_a"), ("classroom-detail", "class_a1"), ("student-detail", "student_x"),
           ("guardian-detail", "guardian_x"), ("roster-import-detail", "import_a"), ("case-detail", "case_x"),
           ("incident-detail", "incident_x")]  # fmt: skip
LISTS = ["school-list", "classroom-list", "student-list", "guardian-list", "case-list", "incident-list"]


@pytest.mark.parametrize("persona", ["counselor_a", "counselor_b", "official_a", "teacher_a", "parent_x"])
def test_put_patch_delete_on_records_and_post_on_lists_are_refused(world, persona):
    """Its own school's record or another's: no API route rewrites school, owner, student or district."""
    client = _clients(world)[persona]
    payload = {field: value(world) for field, value in OWNERSHIP.items()} | {"name": "Renamed"}
    urls = {route: reverse(route, args=[target(world, key).pk]) for route, key in DETAILS}
    before = fingerprint()
    for route, url in urls.items():
        for method in ("put", "patch", "delete"):
            response = getattr(client, method)(url, payload, content_type="application/json")
            assert response.status_code in (404, 405), f"{method} {route}"
    for route in LISTS:
        assert client.post(reverse(route), payload, content_type="application/json").status_code in (404, 405), route
    assert changed_tables(before, fingerprint()) == []


def test_a_follow_up_lands_on_the_case_in_the_url_by_the_caller_whatever_the_body_says(world):
    client = _clients(world)["counselor_a"]
    body = {"date": timezone.localdate().isoformat(), "contact_type": "talk", "summary": "talked"}
    body |= {field: value(world) for field, value in OWNERSHIP.items()}
    response = client.post(reverse("case-follow-ups", args=[world.case_x.pk]), body)
    assert response.status_code == 201
    follow_up = FollowUp.objects.get(pk=response.json()["id"])
    assert (follow_up.case_id, follow_up.author_id) == (world.case_x.pk, world.users["counselor_a"].pk)
    assert not FollowUp.objects.filter(case=world.case_y).exists()


def test_confirming_a_case_cannot_move_it_or_hand_it_to_someone_else(world):
    client = _clients(world)["counselor_b"]
    stranger = world.users["counselor_a"]  # another school's counselor
    body = {"tier": 3} | {field: value(world) for field, value in OWNERSHIP.items()} | {"owner": stranger.pk}
    response = client.post(reverse("case-confirm", args=[world.case_y.pk]), body)
    assert response.status_code == 200
    case = Case.objects.get(pk=world.case_y.pk)
    assert (case.confirmed_tier, case.student_id) == (3, world.student_y.pk)
    assert case.owner_id != stranger.pk
    assert response.json()["school"] == world.school_b.pk


def test_a_roster_upload_for_another_school_is_refused_and_nothing_stored(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _clients(world)["counselor_a"]
    csv = SimpleUploadedFile("roster.csv", "学号,姓名\n1,A\n".encode(), content_type="text/csv")
    for school in (world.school_b, world.school_c):
        response = client.post(reverse("roster-import-list"), {"school": school.pk, "file": csv})
        assert response.status_code == 400
        assert set(response.json()) == {"school"}
        csv.seek(0)
    assert (
        not RosterImport.objects.filter(school__in=[world.school_b, world.school_c])
        .exclude(pk=world.import_b.pk)
        .exists()
    )


REFERRALS = [("teacher_a", "student_w"), ("teacher_a", "student_y"), ("counselor_a", "student_y"),
             ("counselor_b", "student_z")]  # fmt: skip


@pytest.mark.parametrize(("persona", "student"), REFERRALS)
def test_a_referral_for_someone_elses_student_is_refused_page_and_api(world, persona, student):
    client = _clients(world)[persona]
    pk = target(world, student).pk
    before = fingerprint()
    api = client.post(reverse("referral-list"), {"student": pk, "concern": "crying in class"})
    assert api.status_code == 400 and set(api.json()) == {"student"}
    page = client.post(reverse("crisis:refer"), {"student": pk, "concern": "crying in class"})
    assert page.status_code == 200  # the form again, with its error
    assert changed_tables(before, fingerprint()) == []
    # Their own student goes through, with the school taken from the student, not the request.
    own = {"teacher_a": "student_x", "counselor_a": "student_w", "counselor_b": "student_y"}[persona]
    ok = client.post(reverse("referral-list"), {"student": target(world, own).pk, "concern": "crying",
                                                "school": world.school_c.pk})  # fmt: skip
    assert ok.status_code == 201
    assert Referral.objects.filter(case__student=target(world, own)).exists()


def test_a_transfer_cannot_take_a_student_to_another_district(world):
    client = _clients(world)["counselor_a"]
    before = fingerprint()
    response = client.post(reverse("student_transfer", args=[world.student_x.pk]),
                           {"to_classroom": world.student_z.classroom_id, "student_number": "C-1"})  # fmt: skip
    assert response.status_code == 200  # the form again
    assert changed_tables(before, fingerprint()) == []
    assert Student.objects.get(pk=world.student_x.pk).school_id == world.school_a.pk


def test_staff_cannot_book_another_schools_student_into_their_slot(world):
    client = _clients(world)["counselor_a"]
    slot = world.slot_a
    before = fingerprint()
    for student in (world.student_y, world.student_z):
        response = client.post(reverse("counseling:slot", args=[slot.pk]), {"student": student.pk,
                                                                            "channel": "phone"})  # fmt: skip
        assert response.status_code == 200  # the form again
    assert changed_tables(before, fingerprint()) == []
    ok = client.post(reverse("counseling:slot", args=[slot.pk]), {"student": world.student_w.pk, "channel": "phone"})
    assert ok.status_code == 302
    assert slot.bookings.get().student_id == world.student_w.pk


def test_a_parent_cannot_move_a_booking_to_another_schools_slot(world):
    from tests.portal.test_access_matrix import slot_b, slot_c

    booking = world.booking_x
    client = _clients(world)["parent_x"]
    before = fingerprint()
    for slot in (slot_b(world), slot_c(world)):
        before = fingerprint()
        response = client.post(reverse("counseling:booking_move", args=[booking.pk]), {"slot": slot.pk})
        assert response.status_code == 404
        assert changed_tables(before, fingerprint()) == []
