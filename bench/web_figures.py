"""B1 (screening submissions) and B3 (the booking race) through gunicorn, against a hello-world view."""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bench import web
from bench.figures import bench_district
from bench.measure import Figure, analyze
from counseling.models import ACTIVE, Room, Slot
from portal import codes
from portal.celery import app
from portal.models import Classroom, District, Guardian, Membership, Role, School, Student, StudentGuardian, User
from portal.models.staff import Employment
from screening import services as screening
from screening.models import Battery, Campaign, CampaignStatus, Consent, Participation

B1_CONNECTIONS = 12
B1_SECONDS = 10
B1_BODIES = 6000  # per round: more than the server answers in B1_SECONDS, so that no code is sent twice
SCALE = (0, 0, 0, 1, 1, 2)  # mostly calm answers, some positive totals
B3_PARENTS = 300
B3_SLOTS = 36


def submission_bodies(n: int, rng: random.Random) -> list[str]:
    """n students of the bench district, each invited to an open SCARED campaign (41 items, consent given),
    and the JSON body each one's kiosk would send."""
    district = bench_district()
    scared = screening.latest_instruments()["scared"]
    eligible = Student.objects.filter(school__district=district, status="active", classroom__grade__gte=4)
    # Every run of make bench invites students who have not taken part yet; once the district runs out, the
    # next campaign ("Bench B1 2", ...) invites them again.
    earlier = Campaign.objects.filter(district=district, name__startswith="Bench B1")
    campaign = earlier.order_by("-id").first()
    students = []
    if campaign is not None:
        students = list(eligible.exclude(screenings__campaign=campaign).values_list("pk", flat=True)[:n])
    if len(students) < n:
        today = timezone.localdate()
        number = earlier.count() + 1
        campaign = Campaign.objects.create(
            district=district, name="Bench B1" if number == 1 else f"Bench B1 {number}",
            school_year=district.school_years.latest("start"), opens_on=today,
            closes_on=today + dt.timedelta(days=365), status=CampaignStatus.OPEN,
            created_by=User.objects.get(username=f"{district.code}-official"),
        )  # fmt: skip
        Battery.objects.create(campaign=campaign, grade_from=4, grade_to=12, instrument=scared)
        students = list(eligible.values_list("pk", flat=True)[:n])
    if len(students) < n:
        raise RuntimeError(f"the bench district has fewer than {n} students in grades 4 and up")
    invited = [(student, codes.new_code()) for student in students]
    Participation.objects.bulk_create(
        (Participation(campaign=campaign, student_id=student, code=code, code_digest=screening.code_digest(code),
                       consent=Consent.GRANTED) for student, code in invited),
        batch_size=2000,
    )  # fmt: skip
    analyze("screening_participation", "screening_battery", "screening_campaign")
    items = [str(n) for n in scared.parsed.numbers]
    return [
        json.dumps({"code": code, "instrument": "scared", "answers": {i: rng.choice(SCALE) for i in items}})
        for _, code in invited
    ]


def b1_submit(rounds: int = 3) -> Figure:
    """B1: sustained submissions/s of a 41-item questionnaire (validate, store, enqueue for scoring) through
    gunicorn, over a hello-world view's requests/s at the same concurrency."""
    rng = random.Random(1)  # noqa: S311 - answers for a benchmark
    figure = Figure("B1", "submissions/s (41-item SCARED, validate + store + enqueue) / hello-world requests/s",
                    ">= 0.5", "0.2, and >= 100/s", unit="req/s")  # fmt: skip
    notes = []
    with web.gunicorn() as server:
        # Warm up every worker on both paths (imports, connections) before anything is counted.
        web.wrk(server, web.HELLO, connections=B1_CONNECTIONS, seconds=2)
        web.wrk(server, "/api/v1/screening/submissions/", method="POST", connections=B1_CONNECTIONS, seconds=3,
                headers={"Content-Type": "application/json"}, bodies=submission_bodies(1500, rng))  # fmt: skip
        for _ in range(rounds):
            bodies = submission_bodies(B1_BODIES, rng)
            # Hello-world just before and just after the load, averaged: a shared machine's speed drifts
            # within a round, and this way the drift falls on both sides of the ratio alike.
            before = web.wrk(server, web.HELLO, connections=B1_CONNECTIONS, seconds=B1_SECONDS // 2)
            load = web.wrk(server, "/api/v1/screening/submissions/", method="POST", connections=B1_CONNECTIONS,
                           seconds=B1_SECONDS, headers={"Content-Type": "application/json"}, bodies=bodies)  # fmt: skip
            after = web.wrk(server, web.HELLO, connections=B1_CONNECTIONS, seconds=B1_SECONDS // 2)
            if load.requests >= len(bodies):
                raise RuntimeError("B1 ran out of codes: raise B1_BODIES")
            hello = (before.rate + after.rate) / 2
            figure.project.append(load.rate)
            figure.baseline.append(hello)
            figure.ratios.append(load.rate / hello)
            notes.append(f"{load.rate:.0f}/s p95 {load.p95 * 1000:.0f} ms, {load.non_2xx} non-2xx, {load.errors} "
                         f"errors; hello {before.rate:.0f}/s before, {after.rate:.0f}/s after")  # fmt: skip
    app.control.purge()  # the scoring tasks the submissions queued: B2 and B6 start from an empty queue
    figure.note = (
        f"{B1_CONNECTIONS} connections, {B1_SECONDS} s of submissions between two {B1_SECONDS // 2} s of "
        f"hello-world, gunicorn {web.WORKERS} sync workers: "
    ) + ("; ".join(notes))
    return figure


def race_school() -> tuple[School, list[tuple[str, list[int]]], list[Room], User]:
    """A school with 300 signed-in parents (one child per repeat each) and three counseling rooms."""
    school = School.objects.filter(code="bench-b3").first()
    if school is None:
        district = District.objects.create(name="Bench B3", code="bench-b3")
        school = School.objects.create(district=district, name="B3 School", code="bench-b3", kind="junior")
        classroom = Classroom.objects.create(school=school, grade=8, name="1班")
        counselor = User.objects.create(username="bench-b3-counselor")
        Membership.objects.create(user=counselor, role=Role.COUNSELOR, school=school, employment=Employment.FULL_TIME)
        parents = User.objects.bulk_create(User(username=f"bench-b3-parent-{i}") for i in range(B3_PARENTS))
        guardians = Guardian.objects.bulk_create(
            Guardian(school=school, user=u, name=f"家长{i}", relation="mother", mobile=f"139{i:08d}")
            for i, u in enumerate(parents)
        )  # fmt: skip
        children = Student.objects.bulk_create(
            Student(school=school, classroom=classroom, student_number=f"b3-{r}-{i}", name=f"学生{r}-{i}",
                    gender="F", birth_date=dt.date(2012, 1, 1))
            for r in range(10) for i in range(B3_PARENTS)
        )  # fmt: skip
        StudentGuardian.objects.bulk_create(
            StudentGuardian(student=child, guardian=guardians[n % B3_PARENTS], is_primary=True)
            for n, child in enumerate(children)
        )  # fmt: skip
        for name in ("1号咨询室", "2号咨询室", "3号咨询室"):
            Room.objects.create(school=school, name=name, area_m2=20)
        analyze("portal_user", "portal_guardian", "portal_student", "portal_studentguardian")
    counselor = User.objects.get(username="bench-b3-counselor")
    rooms = list(Room.objects.filter(school=school).order_by("name"))
    signed_in: list[tuple[str, list[int]]] = []
    for i in range(B3_PARENTS):
        user = User.objects.get(username=f"bench-b3-parent-{i}")
        client = Client()
        client.force_login(user)
        own = [
            int(pk)
            for pk in Student.objects.filter(guardians__user=user, school=school)
            .order_by("student_number")
            .values_list("id", flat=True)
        ]
        signed_in.append((client.cookies["sessionid"].value, own))
    return school, signed_in, rooms, counselor


def b3_booking(repeats: int = 10) -> Figure:
    """B3: 300 parents, signed in, each send one booking at the same moment for 36 slots (8-9 per slot), 10
    times. Hard gate: every slot booked exactly once in every repeat. Figure: booking p95 / hello-world p95,
    the same 300 connections at once."""
    school, parents, rooms, counselor = race_school()
    figure = Figure("B3", "booking p95 / hello-world p95, 300 parents at once for 36 slots", "<= 2.0", "4.0")
    booked_per_repeat = []
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    with connection.cursor() as cursor:  # an earlier run's slots: the next ten repeats must fit the booking window
        cursor.execute("DELETE FROM counseling_booking WHERE slot_id IN "
                       "(SELECT id FROM counseling_slot WHERE school_id = %s)", [school.pk])  # fmt: skip
        cursor.execute("DELETE FROM counseling_slot WHERE school_id = %s", [school.pk])
    home = reverse("counseling:parent_home")
    with web.gunicorn() as server:
        origin = f"https://{server.host}:{server.port}"
        # Warm up every worker (imports, connections) on the booking page and the hello view: not counted.
        pages = [web.request_bytes(server, "GET", f"/counseling/my/{kids[0]}/book/", {"Cookie": f"sessionid={sid}"})
                 for sid, kids in parents[:30]]  # fmt: skip
        web.burst(server, pages + [web.request_bytes(server, "GET", web.HELLO)] * 30)
        for r in range(repeats):
            slots = Slot.objects.bulk_create(
                Slot(school=school, room=rooms[k % 3], counselor=counselor,
                     starts_at=base + dt.timedelta(hours=r * 12 + k // 3),
                     ends_at=base + dt.timedelta(hours=r * 12 + k // 3, minutes=45))
                for k in range(B3_SLOTS)
            )  # fmt: skip
            requests = []
            for i, (session, children) in enumerate(parents):
                csrf = secrets.token_hex(16)  # 32 characters: Django accepts the unmasked secret
                body = urlencode({"csrfmiddlewaretoken": csrf, "slot": slots[i % B3_SLOTS].pk, "reason": ""}).encode()
                path = f"/counseling/my/{children[r % len(children)]}/book/confirm/"  # the confirm step's button
                requests.append(web.request_bytes(server, "POST", path, {
                    "Cookie": f"sessionid={session}; csrftoken={csrf}", "Origin": origin, "Referer": origin + path,
                    "Content-Type": "application/x-www-form-urlencoded"}, body))  # fmt: skip
            hello = web.burst(server, [web.request_bytes(server, "GET", web.HELLO)] * B3_PARENTS)
            replies = web.burst(server, requests)
            if any(reply.status >= 500 for reply in replies + hello):
                raise RuntimeError("B3: the server answered 5xx")
            per_slot = Slot.objects.filter(pk__in=[s.pk for s in slots]).annotate(
                active=Count("bookings", filter=Q(bookings__status__in=ACTIVE))
            )
            doubles = [s.pk for s in per_slot if s.active > 1 or s.booked > 1]
            booked = sum(1 for s in per_slot if s.active == 1)
            if doubles or booked != B3_SLOTS:
                raise RuntimeError(f"B3 gate failed, repeat {r + 1}: {booked} of {B3_SLOTS} booked, doubles {doubles}")
            booked_per_repeat.append(booked)
            # Booked: to "my bookings". Refused: back to the booking page with the next free times (PRG).
            won = sum(1 for reply in replies if reply.status == 302 and reply.location.endswith(home))
            told_taken = sum(1 for reply in replies if reply.status == 302 and "/book/?instead_of=" in reply.location)
            if won != B3_SLOTS or told_taken != B3_PARENTS - B3_SLOTS:
                raise RuntimeError(f"B3: {won} parents were told they booked and {told_taken} that it was taken, "
                                   f"{B3_SLOTS} slots")  # fmt: skip
            p, b = web.p95_of([x.seconds for x in replies]), web.p95_of([x.seconds for x in hello])
            figure.project.append(p)
            figure.baseline.append(b)
            figure.ratios.append(p / b)
    # The confirmations the winners queued (SMS and inbox, two per booking) wait for no worker here: B6 starts
    # from an empty alerts queue. (Left queued, the bench's runs added up to thousands, and B6 waited behind them.)
    app.control.purge()
    figure.note = (f"gate passed: {len(booked_per_repeat)} repeats, {B3_SLOTS} of {B3_SLOTS} booked each, 0 double "
                   f"bookings, {B3_PARENTS - B3_SLOTS} refused each")  # fmt: skip
    return figure
