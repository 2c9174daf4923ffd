"""A synthetic district at the scale the customer runs (339 schools, 200,000 students, 1,000,000 screening
responses) for the dashboards' and the benchmarks' timings. Rows go in with bulk inserts; nothing is sent."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from crisis.models import Case
from portal import codes
from portal.models import Classroom, District, School, SchoolYear, Student, Term, User
from portal.models.org import SchoolKind
from screening import services as screening
from screening.models import Campaign, Participation, Response

KINDS = [SchoolKind.PRIMARY, SchoolKind.JUNIOR, SchoolKind.SENIOR, SchoolKind.NINE_YEAR]
GRADES: dict[str, range] = {
    SchoolKind.PRIMARY: range(4, 7), SchoolKind.JUNIOR: range(7, 10), SchoolKind.SENIOR: range(10, 13),
    SchoolKind.NINE_YEAR: range(4, 10),
}  # fmt: skip
CODES = ["phq9", "gad7", "asq", "scared", "psc17y", "psc17"]
TIER_WEIGHTS = [80, 14, 5, 1]  # none, general, severe, major: roughly what screening finds


@dataclass
class Generated:
    district: District
    schools: int
    students: int
    responses: int


def generate(*, name: str, schools: int, students: int, responses: int, seed: int = 1) -> Generated:
    rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible on purpose
    per_student = max(1, min(len(CODES), round(responses / max(students, 1))))
    today = timezone.localdate()
    instruments = screening.latest_instruments()
    with transaction.atomic():
        district = District.objects.create(name=name, code=f"gen{rng.randrange(10**9)}")
        year = SchoolYear.objects.create(
            district=district, name=f"{today.year}-{today.year + 1}", start=today - dt.timedelta(days=60),
            end=today + dt.timedelta(days=300),
        )  # fmt: skip
        Term.objects.create(school_year=year, number=1, start=year.start, end=year.start + dt.timedelta(days=140),
                            teaching_weeks=20)  # fmt: skip
        official, _ = User.objects.get_or_create(username=f"{district.code}-official")
        school_rows = School.objects.bulk_create(
            School(district=district, name=f"{name} {i + 1:03d}", code=f"{district.code}-{i}", kind=KINDS[i % 4])
            for i in range(schools)
        )
        classes = []
        for school in school_rows:
            for grade in GRADES[school.kind]:
                for n in range(2):
                    classes.append(Classroom(school=school, grade=grade, name=f"{n + 1}班"))
        classes = Classroom.objects.bulk_create(classes, batch_size=5000)
        student_rows = [
            Student(school_id=c.school_id, classroom=c, student_number=f"{c.pk}-{i}", name=f"学生{i}", gender="F",
                    birth_date=dt.date(2012, 1, 1), left_behind=rng.random() < 0.08, migrant_child=rng.random() < 0.1,
                    disability=rng.random() < 0.01, in_difficulty=rng.random() < 0.03)
            for i, c in ((i, classes[i % len(classes)]) for i in range(students))
        ]  # fmt: skip
        student_rows = Student.objects.bulk_create(student_rows, batch_size=5000)
        campaign = Campaign.objects.create(
            district=district, school_year=year, name="开学普查", opens_on=today,
            closes_on=today + dt.timedelta(days=14), created_by=official, status="open",
        )  # fmt: skip
        campaign.schools.set(school_rows)
        done = timezone.now()
        parts = []
        for s in student_rows:
            tier = rng.choices(range(4), TIER_WEIGHTS)[0]
            code = codes.new_code()
            parts.append(Participation(
                campaign=campaign, student=s, code=code, code_digest=f"{campaign.pk}:{s.pk}", consent="granted",
                started_at=done, completed_at=done, suggested_tier=tier,
            ))  # fmt: skip
        parts = Participation.objects.bulk_create(parts, batch_size=5000)
        rows = []
        for p in parts:
            for code in CODES[:per_student]:
                total = rng.randrange(0, 27)
                rows.append(Response(participation=p, instrument=instruments[code], answers={}, status="scored",
                                     submitted_at=done, scored_at=done, valid=True, total=total, positive=total >= 10,
                                     critical=False, suggested_tier=p.suggested_tier))  # fmt: skip
                if len(rows) >= 20000:
                    Response.objects.bulk_create(rows, batch_size=5000)
                    rows.clear()
        Response.objects.bulk_create(rows, batch_size=5000)
        Case.objects.bulk_create(
            [Case(student=p.student, source="screening", suggested_tier=p.suggested_tier or 0)
             for p in parts if (p.suggested_tier or 0) >= 2],
            batch_size=5000,
        )  # fmt: skip
    return Generated(district, len(school_rows), len(student_rows), len(parts) * per_student)
