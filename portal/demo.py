"""The demo district: a small, deterministic city for `make demo` and the tests.

Students and guardians go in through the real roster import, so the demo exercises it.
Running it twice changes nothing (everything is keyed by natural keys).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from portal import second_factor, services, signals
from portal.models import District, Guardian, Membership, School, SchoolYear, Term, User
from portal.models.org import Classroom, SchoolKind
from portal.models.staff import Employment, Role
from portal.roster import TEMPLATE_HEADER

DEMO_PASSWORD = "demo-pass-2026"

SCHOOLS = [
    # code, name, kind, grades seeded, classes per grade
    ("school-a", "示范市第一学校", SchoolKind.NINE_YEAR, range(4, 10), 2),
    ("school-b", "示范市第二中学", SchoolKind.JUNIOR, range(7, 10), 2),
    ("school-c", "示范市实验小学", SchoolKind.PRIMARY, range(4, 7), 1),
    ("school-d", "示范市高级中学", SchoolKind.SENIOR, range(10, 13), 1),
]
STUDENTS_PER_CLASS = 24
PARENT_MOBILE = "13900000001"  # The guardian of the first pupil in the demo teacher's class.


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    where: str


@dataclass(frozen=True)
class DemoLine:
    """One thing to try, as seed_demo prints it: what it is (a code, a count, whose it is) and its link."""

    what: str
    link: str


@dataclass(frozen=True)
class Demo:
    logins: list[DemoLogin]
    lines: list[DemoLine]


def site_link(path: str) -> str:
    """An absolute link on the demo's site. SITE_URL is the one address every link is built from, in the messages
    the outbox renders and in what seed_demo prints: `make demo` sets it to where it serves."""
    return settings.SITE_URL.rstrip("/") + path


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "子涵欣怡梓轩浩然一诺宇轩雨桐思远佳琪俊杰晨曦诗雨嘉懿明哲若曦天佑"


def _roster_csv(school_code: str, school_index: int, grades: range, classes: int, rng: random.Random) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TEMPLATE_HEADER)
    number = 0
    for grade in grades:
        for class_no in range(1, classes + 1):
            for _seat in range(STUDENTS_PER_CLASS):
                number += 1
                surname = rng.choice(SURNAMES)
                name = surname + "".join(rng.sample(GIVEN, 2))
                birth = dt.date(2026 - 6 - grade, 1, 1) + dt.timedelta(days=rng.randrange(0, 365))
                mobile = f"13{school_index}{number:08d}"
                if school_code == "school-a" and number == 1 + STUDENTS_PER_CLASS * classes * 3:
                    mobile = PARENT_MOBILE  # grade 7 class 1, first pupil
                relation = rng.choice(["母亲", "父亲", "祖父母"])
                guardian = surname + rng.choice(GIVEN) + rng.choice(GIVEN)
                flags = ["是" if rng.random() < p else "否" for p in (0.12, 0.08, 0.02, 0.04)]
                writer.writerow(
                    [
                        grade,
                        f"{class_no}班",
                        f"{school_code[-1].upper()}{2026:04d}{number:04d}",
                        name,
                        rng.choice("男女"),
                        birth.isoformat(),
                        *flags,
                        guardian,
                        relation,
                        mobile,
                        "",
                        "中文",
                        "短信",
                        "是",
                    ]
                )
    return out.getvalue().encode("utf-8")


def demo_user(username: str, first_name: str, *, language: str = "zh-hans") -> User:
    # An address under .invalid (RFC 2606: never delivered anywhere), so staff get their e-mail, in the demo's outbox.
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first_name, "email": f"{username}@demo.invalid"}
    )
    if created:
        user.language = language
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


# Other apps add their part of the demo (portal imports no app): see e.g. crisis/apps.py. Each returns the lines
# seed_demo prints for it (codes and pages to try), also when it had nothing left to seed.
SEEDERS: list[Callable[[DemoWorld], list[DemoLine]]] = []


@dataclass(frozen=True)
class DemoWorld:
    school_a: School
    counselor_a: User
    teacher: User


def seed_demo() -> Demo:
    if settings.PRODUCTION:
        raise RuntimeError("the demo district is never loaded in production")
    with transaction.atomic():
        district, _created = District.objects.get_or_create(code="demo", defaults={"name": "示范市教育局"})
        year, _created = SchoolYear.objects.get_or_create(
            district=district, name="2026-2027", defaults={"start": dt.date(2026, 9, 1), "end": dt.date(2027, 7, 15)}
        )
        Term.objects.get_or_create(
            school_year=year,
            number=1,
            defaults={"start": dt.date(2026, 9, 1), "end": dt.date(2027, 1, 20), "teaching_weeks": 20},
        )
        Term.objects.get_or_create(
            school_year=year,
            number=2,
            defaults={"start": dt.date(2027, 2, 24), "end": dt.date(2027, 7, 10), "teaching_weeks": 19},
        )
        schools = {}
        for code, name, kind, _grades, _classes in SCHOOLS:
            schools[code], _created = School.objects.get_or_create(
                district=district, code=code, defaults={"name": name, "kind": kind}
            )
        admin = demo_user("demo-admin-importer", "教务处（演示导入）")
        admin.is_active = False  # Owns the demo imports; never signs in.
        admin.save(update_fields=["is_active"])

    for index, (code, _name, _kind, grades, classes) in enumerate(SCHOOLS):
        rng = random.Random(code)  # Seeded: every run produces the same roster.
        content = _roster_csv(code, index, grades, classes, rng)
        roster_import = services.roster_import_create(
            school=schools[code], uploaded_by=admin, filename=f"{code}-demo.csv", content=content
        )
        if roster_import.errors:
            raise RuntimeError(f"demo roster for {code} refused: {roster_import.errors[:3]}")
        services.roster_import_apply(import_id=roster_import.pk)

    with transaction.atomic():
        a, b = schools["school-a"], schools["school-b"]
        official = demo_user("official", "刘局长")
        Membership.objects.get_or_create(user=official, role=Role.OFFICIAL, district=district)
        leader = demo_user("leader", "陈校长")
        Membership.objects.get_or_create(user=leader, role=Role.LEADER, school=a)
        counselor_a = demo_user("counselor-a", "王老师")
        Membership.objects.get_or_create(
            user=counselor_a, role=Role.COUNSELOR, school=a, defaults={"employment": Employment.FULL_TIME}
        )
        counselor_b = demo_user("counselor-b", "赵老师", language="en")
        Membership.objects.get_or_create(
            user=counselor_b, role=Role.COUNSELOR, school=b, defaults={"employment": Employment.PART_TIME}
        )
        teacher = demo_user("teacher", "孙老师")
        Membership.objects.get_or_create(user=teacher, role=Role.TEACHER, school=a)
        Classroom.objects.filter(school=a, grade=7, name="1班").update(class_teacher=teacher)
        parent = demo_user("parent", "家长")
        Guardian.objects.filter(school=a, mobile=PARENT_MOBILE).update(user=parent)
        # Staff need a second factor; the demo's share a pre-enrolled authenticator (README).
        for staff in (official, leader, counselor_a, counselor_b, teacher):
            second_factor.demo_device_ensure(user=staff)
        User.objects.filter(pk=counselor_a.pk, phone="").update(phone="0412-555-0101")
        counselor_a.refresh_from_db()
    world = DemoWorld(a, counselor_a, teacher)
    lines = [line for seed in SEEDERS for line in seed(world)]
    # Everything is committed: the dashboard's figures are computed now, from the whole demo, so the first look
    # at it does not wait for the periodic refresh.
    signals.district_loaded.send(sender=District, district_id=district.pk)

    logins = [
        DemoLogin("official", str(Role.OFFICIAL.label), district.name),
        DemoLogin("leader", str(Role.LEADER.label), a.name),
        DemoLogin("counselor-a", str(Role.COUNSELOR.label), a.name),
        DemoLogin("counselor-b", str(Role.COUNSELOR.label), b.name),
        DemoLogin("teacher", str(Role.TEACHER.label), f"{a.name} 7年级1班"),
        DemoLogin("parent", str(_("Parent")), a.name),
        DemoLogin("expert", str(Role.RESPONDER.label), district.name),  # seeded by crisis.demo
    ]
    return Demo(logins, lines)
