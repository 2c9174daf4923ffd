"""The figures measured in-process (Django's test client: the whole request path except the HTTP server)."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from bench.measure import Figure, analyze, p95, rounds
from crisis.models import Case
from portal.models import District, Membership, Role, School, Student, User
from portal.models.staff import Employment


def _client(user: User) -> Client:
    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_HOST="127.0.0.1")


def bench_district() -> District:
    """The generated district (339 schools, 200,000 students, 1,000,000 responses), made on first use."""
    district = District.objects.filter(name="Bench").first()
    if district is None:
        call_command("generate_district")
        analyze()
        district = District.objects.get(name="Bench")
    return district


def b4_dashboard(calls: int = 30) -> Figure:
    """B4: the district dashboard API at 339 schools / 200,000 students / 1,000,000 responses, against a raw
    GROUP BY computing the same figures from the base tables."""
    district = bench_district()
    official = User.objects.get(username=f"{district.code}-official")
    Membership.objects.get_or_create(user=official, role=Role.OFFICIAL, district=district)
    client = _client(official)
    url = reverse("api-dashboard")
    if client.get(url).status_code != 200:
        raise RuntimeError("the dashboard API refused the bench official")

    def raw() -> object:
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT s.school_id, c.grade, COUNT(*),
                          SUM(CASE WHEN r.suggested_tier = 1 THEN 1 ELSE 0 END),
                          SUM(CASE WHEN r.suggested_tier = 2 THEN 1 ELSE 0 END),
                          SUM(CASE WHEN r.suggested_tier = 3 THEN 1 ELSE 0 END)
                   FROM screening_response r
                   JOIN screening_participation p ON p.id = r.participation_id
                   JOIN portal_student s ON s.id = p.student_id
                   JOIN portal_classroom c ON c.id = s.classroom_id
                   JOIN portal_school sc ON sc.id = s.school_id
                   WHERE sc.district_id = %s GROUP BY s.school_id, c.grade""",
                [district.pk],
            )
            return cursor.fetchall()

    figure = Figure("B4", "dashboard API p95 / raw GROUP BY p95", "<= 0.05", "0.5")
    return rounds(figure, lambda: p95(lambda: client.get(url), calls), lambda: p95(raw, max(5, calls // 3)))


def b5_setup() -> School:
    """A school with 1,000 open crisis cases and its counselor (also the soak's counselor)."""
    school = School.objects.filter(code="bench-b5").first()
    if school is None:
        district = District.objects.create(name="Bench B5", code="bench-b5")
        school = School.objects.create(district=district, name="B5 School", code="bench-b5", kind="junior")
        from portal.models import Classroom

        classroom = Classroom.objects.create(school=school, grade=8, name="1班")
        students = Student.objects.bulk_create(
            Student(school=school, classroom=classroom, student_number=f"b5-{i}", name=f"学生{i}", gender="F",
                    birth_date=dt.date(2011, 1, 1))
            for i in range(1000)
        )  # fmt: skip
        Case.objects.bulk_create(Case(student=s, source="screening", suggested_tier=2) for s in students)
        analyze("crisis_case", "portal_student")
        counselor = User.objects.create(username="bench-b5-counselor")
        Membership.objects.create(user=counselor, role=Role.COUNSELOR, school=school, employment=Employment.FULL_TIME)
    return school


def b5_lists(calls: int = 20) -> Figure:
    """B5: the API's crisis-register list of 1,000 rows, against .values() + json.dumps of the same rows."""
    school = b5_setup()
    counselor = User.objects.get(username="bench-b5-counselor")
    client = _client(counselor)
    url = reverse("case-list") + "?page_size=1000"
    if len(client.get(url).json()["results"]) != 1000:
        raise RuntimeError("the crisis API did not list the 1,000 bench cases")
    fields = ["id", "student_id", "student__name", "student__student_number", "student__school_id", "source",
              "status", "suggested_tier", "confirmed_tier", "opened_at", "owner_id"]  # fmt: skip

    def baseline() -> object:
        rows = list(Case.objects.filter(student__school=school).order_by("-opened_at", "-id").values(*fields)[:1000])
        return json.dumps(rows, default=str)

    figure = Figure("B5", "crisis-register API list of 1,000 rows p95 / .values() + json.dumps p95", "<= 2.0", "4.0",
                    note="includes the one audit event the API writes for the list (naming every row)")  # fmt: skip
    return rounds(figure, lambda: p95(lambda: client.get(url), calls), lambda: p95(baseline, calls))
