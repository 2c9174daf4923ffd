"""The figures measured with real Celery workers on Redis: B2 (scoring throughput) and B6 (alert latency under a
bulk backlog). Each starts its own worker processes (and B6 a local SMTP server) and stops them when done.

The data lives in districts of their own ("Bench B2", "Bench B6"), so the big "Bench" district of B4 and the
B5 school are left as they are. Every round writes fresh rows: audit events cannot be deleted, so nothing is
reset; a round simply adds a new campaign.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import logging
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bench.measure import Figure, analyze, percentile, rounds
from portal import codes
from portal.models import (
    Classroom,
    Delivery,
    District,
    Guardian,
    Membership,
    Role,
    School,
    SchoolYear,
    Student,
    StudentGuardian,
    User,
)
from portal.models.notify import DeliveryStatus
from portal.models.staff import Employment
from portal.postgres import database_url
from screening import services as screening
from screening.models import (
    Battery,
    Campaign,
    Consent,
    Instrument,
    Participation,
    Response,
    ResponseStatus,
    ScreeningPolicy,
)
from screening.scoring import score

# --- processes ---------------------------------------------------------------------------------------------


@dataclass
class Workers:
    """Celery workers as production runs them (docker-compose.yml: one per queue, prefork, concurrency 2)."""

    log_dir: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, queue: str, *, concurrency: int = 2, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        from portal.celery import app

        name = f"bench-{queue}-{os.getpid()}"
        log_path = self.log_dir / f"{name}.log"
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queue, "--concurrency", str(concurrency),
             "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            env={**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL, "CELERY_EAGER": "0",
                 **(env or {})},
            stdout=log_path.open("w"), stderr=subprocess.STDOUT, cwd=settings.BASE_DIR,
        )  # fmt: skip
        self.started.append(process)
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[f"{name}@{socket.gethostname()}"], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the {queue} worker did not start:\n{log_path.read_text()[-3000:]}")
        return process

    def check(self) -> None:
        for process in self.started:
            if process.poll() is not None:
                raise RuntimeError(f"a bench worker exited with {process.returncode} (logs in {self.log_dir})")

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()  # warm shutdown: the running task finishes, reserved ones go back
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextlib.contextmanager
def workers() -> Iterator[Workers]:
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as log_dir:
        running = Workers(Path(log_dir))
        try:
            yield running
        finally:
            running.stop()


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _purge(queue: str) -> int:
    from portal.celery import app

    with app.connection_for_write() as conn:
        return int(conn.default_channel.queue_purge(queue) or 0)


def _wait(predicate: Any, *, timeout: float, what: str, check: Workers | None = None, every: float = 0.1) -> float:
    """Poll until predicate() is true; returns the perf_counter() at which it was seen true."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return time.perf_counter()
        if check is not None:
            check.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(every)


# --- a district of the benchmarks' own -----------------------------------------------------------------------


def _district(code: str, name: str, *, schools: int, students: int, guardian_on_critical: bool) -> District:
    """A district with junior schools (grades 7-9), a counselor at each, and `students` students spread over
    them. Created once per database; the students are reused by every round (each round is a new campaign)."""
    district = District.objects.filter(code=code).first()
    if district is not None and Student.objects.filter(school__district=district).count() >= students:
        return district
    today = timezone.localdate()
    with transaction.atomic():
        district, _ = District.objects.get_or_create(code=code, defaults={"name": name})
        SchoolYear.objects.get_or_create(
            district=district, name="bench",
            defaults={"start": today - dt.timedelta(days=60), "end": today + dt.timedelta(days=3650)},
        )  # fmt: skip
        ScreeningPolicy.objects.update_or_create(district=district,
                                                 defaults={"guardian_on_critical": guardian_on_critical})  # fmt: skip
        for i in range(schools):
            school, created = School.objects.get_or_create(
                district=district, code=f"{code}-{i}", defaults={"name": f"{name} {i + 1:02d}", "kind": "junior"}
            )
            if created:
                Classroom.objects.bulk_create(
                    Classroom(school=school, grade=grade, name=f"{n + 1}班") for grade in (7, 8, 9) for n in range(2)
                )
                counselor = User.objects.create(username=f"{code}-counselor-{i}", email=f"counselor-{i}@{code}.test")
                Membership.objects.create(
                    user=counselor, role=Role.COUNSELOR, school=school, employment=Employment.FULL_TIME
                )
        classrooms = list(Classroom.objects.filter(school__district=district).order_by("pk"))
        have = Student.objects.filter(school__district=district).count()
        Student.objects.bulk_create(
            (Student(school_id=c.school_id, classroom=c, student_number=f"s{i}", name=f"学生{i}", gender="F",
                     birth_date=dt.date(2012, 1, 1))
             for i, c in ((i, classrooms[i % len(classrooms)]) for i in range(have, students))),
            batch_size=5000,
        )  # fmt: skip
    return district


def _campaign(district: District, codes_: tuple[str, ...]) -> Campaign:
    today = timezone.localdate()
    instruments = screening.latest_instruments()
    campaign = Campaign.objects.create(
        district=district, school_year=SchoolYear.objects.get(district=district, name="bench"),
        name=f"bench {uuid.uuid4().hex[:8]}", opens_on=today, closes_on=today + dt.timedelta(days=14), status="open",
        created_by=User.objects.get(username=f"{district.code}-counselor-0"),
    )  # fmt: skip
    campaign.schools.set(School.objects.filter(district=district))
    Battery.objects.bulk_create(
        Battery(campaign=campaign, grade_from=7, grade_to=9, instrument=instruments[code], position=position)
        for position, code in enumerate(codes_)
    )
    return campaign


def _participations(campaign: Campaign, students: list[Student]) -> list[Participation]:
    now = timezone.now()
    rows = []
    for student in students:
        code = codes.new_code()
        rows.append(Participation(campaign=campaign, student=student, code=code, consent=Consent.GRANTED,
                                  code_digest=screening.code_digest(code), consent_at=now))  # fmt: skip
    return Participation.objects.bulk_create(rows, batch_size=5000)


# --- B2: scoring throughput -----------------------------------------------------------------------------------

B2_CODES = ("phq9", "gad7", "scared")  # the battery of a junior-school campaign
# How a synthetic student answers: mostly well, some with symptoms, a few with many (value weights per item).
_PROFILES = [(0.85, {4: [65, 25, 8, 2], 3: [75, 22, 3]}), (0.12, {4: [25, 35, 25, 15], 3: [45, 42, 13]}),
             (0.03, {4: [5, 20, 35, 40], 3: [15, 40, 45]})]  # fmt: skip
PHQ9_ITEM9_AT_ALL = 0.02  # a critical answer ("thoughts that you would be better off dead") in 2% of forms


def _answers(rng: random.Random, code: str, items: int, scale: int, profile: dict[int, list[int]]) -> dict[str, int]:
    values = rng.choices(range(scale), profile[scale], k=items)
    if code == "phq9":
        values[8] = rng.choice([1, 1, 2, 3]) if rng.random() < PHQ9_ITEM9_AT_ALL else 0
    return {str(n + 1): v for n, v in enumerate(values)}


@dataclass
class Batch:
    campaign: Campaign
    responses: list[Response]

    def pending(self) -> bool:
        return Response.objects.filter(participation__campaign=self.campaign, status=ResponseStatus.SUBMITTED).exists()


def _submissions(district: District, rows: int, seed: int) -> Batch:
    """`rows` submitted responses (three instruments a student), inserted in one transaction, none scored."""
    rng = random.Random(seed)  # noqa: S311 - synthetic answers, reproducible on purpose
    instruments = screening.latest_instruments()
    shapes = {code: (len(instruments[code].parsed.items), len(instruments[code].parsed.values)) for code in B2_CODES}
    students = list(Student.objects.filter(school__district=district).order_by("pk")[: -(-rows // len(B2_CODES))])
    with transaction.atomic():
        campaign = _campaign(district, B2_CODES)
        participations = _participations(campaign, students)
        submitted = timezone.now()
        responses: list[Response] = []
        for participation in participations:
            weights, profiles = zip(*_PROFILES, strict=True)
            profile = rng.choices(profiles, weights)[0]
            for code in B2_CODES:
                if len(responses) == rows:
                    break
                items, scale = shapes[code]
                # A few answer faster than a second an item: scored, and flagged for review.
                seconds = rng.choice([5, 240, 300, 420]) if rng.random() < 0.05 else rng.randint(120, 900)
                responses.append(Response(
                    participation=participation, instrument=instruments[code], answers=_answers(rng, code, items, scale,
                    profile), status=ResponseStatus.SUBMITTED, started_at=submitted - dt.timedelta(seconds=seconds),
                    submitted_at=submitted,
                ))  # fmt: skip
        Participation.objects.filter(campaign=campaign).update(started_at=submitted, completed_at=submitted)
        responses = Response.objects.bulk_create(responses, batch_size=5000)
    return Batch(campaign, responses)


_COPY_COLUMNS = ["id", "source", "answers", "status", "started_at", "submitted_at", "scored_at", "valid", "total",
                 "band", "positive", "critical", "outcome", "subscales", "suggested_tier", "review_flags",
                 "instrument_id", "participation_id", "scored_with_id"]  # fmt: skip


def _result_rows(batch: Batch) -> str:
    """The scored rows of a batch as CSV for COPY: what the workers will write, scored here in-process."""
    policy = screening.district_policy(batch.campaign.district_id)
    definitions = {i.pk: i.parsed for i in Instrument.objects.filter(pk__in={r.instrument_id for r in batch.responses})}
    now = timezone.now().isoformat()
    out = io.StringIO()
    writer = csv.writer(out)
    null = r"\N"

    def boolean(value: bool | None) -> str:
        return null if value is None else "t" if value else "f"

    for r in batch.responses:
        definition = definitions[r.instrument_id]
        result = score(definition, r.answers, policy)
        subscales = {k: {"score": v.score, "positive": v.positive} for k, v in result.subscales.items()}
        writer.writerow([
            r.pk, r.source, json.dumps(r.answers), ResponseStatus.SCORED,
            r.started_at.isoformat() if r.started_at else null,
            r.submitted_at.isoformat() if r.submitted_at else null, now, boolean(result.valid),
            null if result.total is None else result.total, result.band or "", boolean(result.positive),
            boolean(result.critical), result.result or "", json.dumps(subscales), result.tier_number,
            json.dumps(screening.review_flags(definition, r)), r.instrument_id, r.participation_id, r.instrument_id,
        ])  # fmt: skip
    return out.getvalue()


_SCRATCH = "bench_b2_copy"


@contextlib.contextmanager
def _scratch_table() -> Iterator[str]:
    """A copy of screening_response with the same indexes and checks (not its foreign keys), dropped after."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_SCRATCH}")
        cursor.execute(f"CREATE TABLE {_SCRATCH} (LIKE screening_response INCLUDING ALL)")
    try:
        yield _SCRATCH
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_SCRATCH}")


def _copy_rate(table: str, rows: int, data: str) -> float:
    """Rows per second of one COPY (and its commit) of the result rows into the scratch table."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}")
        started = time.perf_counter()
        with transaction.atomic():
            cursor.cursor.copy_expert(  # type: ignore[attr-defined]  # psycopg2's cursor under Django's wrapper
                f"COPY {table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", io.StringIO(data)
            )
        return rows / (time.perf_counter() - started)


def _enqueue_scoring(tasks: int) -> None:
    from screening.tasks import score_pending

    for _ in range(tasks):
        score_pending.delay()


def _drain(batch: Batch, running: Workers, tasks: int) -> tuple[float, float]:
    """Queue the scoring tasks and time until no response of the batch is left submitted: (rows/s, seconds)."""
    started = time.perf_counter()
    _enqueue_scoring(tasks)
    finished = _wait(lambda: not batch.pending(), timeout=1200, what="the scoring workers", check=running, every=0.05)
    seconds = finished - started
    return len(batch.responses) / seconds, seconds


def _quiet_b2_alerts(district: District, since: dt.datetime) -> None:
    """Triage alerted the B2 schools' counselors (inbox, e-mail): the deliveries the bulk-only run queued on the
    alerts queue are taken off it (only those) and marked as never sent, so no later worker delivers them."""
    ids = set(
        Delivery.objects.filter(notification__user__memberships__school__district=district,
                                notification__created_at__gte=since, status=DeliveryStatus.PENDING)
        .values_list("pk", flat=True)
    )  # fmt: skip
    if not ids:
        return
    Delivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.FAILED, last_error="bench B2: not delivered")
    client = _redis()
    raws: list[bytes] = client.lrange("alerts", 0, -1)  # type: ignore[assignment]
    for raw in raws:
        try:
            headers = json.loads(raw)["headers"]
            delivery_id = int(headers["argsrepr"].strip("(),"))
        except (ValueError, KeyError, TypeError):
            continue
        if headers.get("task") == "portal.tasks.delivery_send" and delivery_id in ids:
            client.lrem("alerts", 1, raw)  # type: ignore[arg-type]  # bytes: the exact message


def b2_scoring(rows: int = 50_000, n: int = 3, tasks: int = 4) -> Figure:
    """B2: submissions scored and triaged per second by the bulk worker (prefork, concurrency 2, as deployed),
    draining submitted responses; against the rows/s of one COPY of the same result rows into a copy of
    screening_response with the same indexes.

    Each round drains `rows` (the issue's 50,000) queued submissions, after a warm-up of 1,500."""
    district = _district("bench-b2", "Bench B2", schools=20, students=-(-rows // len(B2_CODES)),
                         guardian_on_critical=False)  # fmt: skip
    # Without statistics, triage's lookup of the scored responses by participation is planned as a sequential scan
    # of all 1,000,000 rows (a fifth of a second a batch). Without vacuum, the queue's partial index keeps an entry
    # for every response ever scored: after a few runs, claiming 500 rows walked 300,000 dead ones (0.5 s a batch).
    analyze("screening_response", "screening_participation", "crisis_case", "portal_student", vacuum=True)
    since = timezone.now()
    figure = Figure("B2", "scoring workers rows/s / PostgreSQL COPY rows/s", ">= 0.10", "0.02", unit="rows/s")
    seconds: list[float] = []
    tiers: dict[int, int] = {}
    try:
        with workers() as running, _scratch_table() as table:
            _purge("bulk")  # nothing else may start scoring before the clock does
            running.start("bulk")
            warm = _submissions(district, 1500, seed=0)  # warms the worker, and scores anything left over
            _drain(warm, running, tasks)
            per_round = rows
            state: dict[str, Batch] = {}

            def baseline() -> float:
                batch = state["batch"] = _submissions(district, per_round, seed=len(seconds) + 1)
                return _copy_rate(table, len(batch.responses), _result_rows(batch))

            def project() -> float:
                rate, took = _drain(state["batch"], running, tasks)
                seconds.append(took)
                for tier, count in _tiers(state["batch"]).items():
                    tiers[tier] = tiers.get(tier, 0) + count
                return rate

            rounds(figure, project, baseline, n)
    finally:
        _quiet_b2_alerts(district, since)
    total = sum(tiers.values())
    mix = ", ".join(f"tier {t} {100 * c / total:.1f}%" for t, c in sorted(tiers.items()))
    capped = (
        f" (capped from the issue's {rows:,}: at {statistics.median(figure.project):.0f} rows/s those take "
        f"{rows / statistics.median(figure.project):.0f} s)"
        if per_round < rows
        else ""
    )
    figure.note = (
        f"{per_round:,} submitted responses a round{capped}, PHQ-9/GAD-7/SCARED, scored to {mix}; drained in "
        f"{', '.join(f'{s:.0f}' for s in seconds)} s by one bulk worker (prefork, concurrency 2, {tasks} "
        f"score_pending tasks); baseline: one COPY of the same scored rows into an indexed copy of "
        f"screening_response"
    )
    return figure


def _tiers(batch: Batch) -> dict[int, int]:
    from django.db.models import Count

    rows = Response.objects.filter(participation__campaign=batch.campaign).values("suggested_tier")
    return {row["suggested_tier"]: row["n"] for row in rows.annotate(n=Count("id"))}


# --- B6: alert latency under a bulk backlog ------------------------------------------------------------------


class _Inbox:
    """The local SMTP server's end: when each recipient's message was accepted (perf_counter)."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.changed = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        now = time.perf_counter()
        with self.changed:
            for rcpt in envelope.rcpt_tos:
                self.arrived.setdefault(rcpt.lower(), now)
            self.changed.notify_all()
        return "250 Message accepted for delivery"

    def wait(self, address: str, timeout: float) -> float:
        with self.changed:
            if not self.changed.wait_for(lambda: address in self.arrived, timeout=timeout):
                raise RuntimeError(f"no e-mail reached {address} within {timeout:.0f} s")
            return self.arrived[address]


@contextlib.contextmanager
def _smtp_server() -> Iterator[tuple[_Inbox, int]]:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command otherwise
    with socket.socket() as probe:  # a free port (aiosmtpd's start-up self-check cannot use port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@dataclass
class Pupil:
    participation: Participation
    guardian_email: str


def _b6_pupils(count: int) -> list[Pupil]:
    """Fresh students (each alert opens a new case, so the guardian is told), each with a primary guardian who
    prefers e-mail, taking part in a new PHQ-9 campaign of the "Bench B6" district."""
    district = _district("bench-b6", "Bench B6", schools=1, students=0, guardian_on_critical=True)
    run = uuid.uuid4().hex[:8]
    classroom = Classroom.objects.filter(school__district=district, grade=8).order_by("pk").first()
    if classroom is None:
        raise RuntimeError("the Bench B6 district has no grade-8 class")
    with transaction.atomic():
        campaign = _campaign(district, ("phq9",))
        known = Guardian.objects.filter(school_id=classroom.school_id).count()  # mobiles are unique in a school
        students = Student.objects.bulk_create(
            Student(school_id=classroom.school_id, classroom=classroom, student_number=f"{run}-{i}", name=f"学生{i}",
                    gender="M", birth_date=dt.date(2011, 1, 1))
            for i in range(count)
        )  # fmt: skip
        guardians = Guardian.objects.bulk_create(
            Guardian(school_id=classroom.school_id, name=f"家长{i}", relation="mother", mobile=f"139{known + i:08d}",
                     email=f"guardian-{run}-{i}@bench-b6.test", channel="email")
            for i in range(count)
        )  # fmt: skip
        StudentGuardian.objects.bulk_create(
            StudentGuardian(student=s, guardian=g, is_primary=True) for s, g in zip(students, guardians, strict=True)
        )
        participations = _participations(campaign, students)
    return [Pupil(p, g.email) for p, g in zip(participations, guardians, strict=True)]


def _alert_latency(pupil: Pupil, phq9: Instrument, inbox: _Inbox) -> float:
    """A critical answer (PHQ-9 item 9, "more than half the days"), committed as the web form commits it; the
    seconds from that commit until the SMTP server has accepted the guardian's message."""
    committed: list[float] = []
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(time.perf_counter()))  # runs first: before the enqueue
        screening.answer_save(participation=pupil.participation, instrument=phq9, item=9, value=2)
    return inbox.wait(pupil.guardian_email, timeout=120) - committed[0]


def _enqueue_backlog(tasks: int) -> None:
    """`tasks` score_pending tasks on the bulk queue, quickly (apply_async takes ~3 ms a task here, so 50,000
    would take minutes): one is sent through Celery to a queue of its own and read back as the broker stores
    it; copies with ids of their own are pushed onto the bulk queue's list in pipelines."""
    from screening.tasks import score_pending

    scratch = f"bench-template-{uuid.uuid4().hex}"
    client = _redis()
    try:
        score_pending.apply_async(queue=scratch)
        raw = client.lpop(scratch)
    finally:
        client.delete(scratch, f"_kombu.binding.{scratch}", f"_kombu.binding_permanent.{scratch}")
    if raw is None:
        raise RuntimeError("the template task did not reach Redis")
    template = json.loads(raw)  # type: ignore[arg-type]
    pipe = client.pipeline(transaction=False)
    for i in range(tasks):
        task_id = str(uuid.uuid4())
        message = {
            **template,
            "headers": {**template["headers"], "id": task_id, "root_id": task_id},
            "properties": {**template["properties"], "correlation_id": task_id, "delivery_tag": str(uuid.uuid4()),
                           "delivery_info": {"exchange": "", "routing_key": "bulk"}},
        }  # fmt: skip
        pipe.lpush("bulk", json.dumps(message))
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()


def b6_alerts(alerts: int = 20, backlog: int = 50_000, n: int = 3) -> Figure:
    """B6: p95 from a critical answer's commit to the guardian's e-mail at a local SMTP server, with `backlog`
    score_pending tasks queued on the bulk queue, against the same p95 with the bulk queue empty. Workers as
    deployed: one per queue (prefork, concurrency 2); the alerts run one at a time."""
    phq9 = screening.latest_instruments()["phq9"]
    pupils = iter(_b6_pupils(2 + 2 * alerts * n))
    left: list[int] = []
    figure = Figure("B6", "alert e-mail p95 with 50,000 bulk tasks queued / p95 with an idle queue", "<= 2.0", "5.0")
    try:
        with _smtp_server() as (inbox, port), workers() as running:
            env = {"EMAIL_URL": f"smtp://127.0.0.1:{port}"}
            running.start("alerts", env=env)
            running.start("bulk", env=env)
            client = _redis()
            for _ in range(2):  # warm-up: imports, connections, templates
                _alert_latency(next(pupils), phq9, inbox)
            _wait(lambda: client.llen("alerts") == 0, timeout=300, what="the alerts queue to empty", check=running)

            def idle() -> float:
                return percentile([_alert_latency(next(pupils), phq9, inbox) for _ in range(alerts)], 95)

            def loaded() -> float:
                _enqueue_backlog(backlog)
                try:
                    latency = percentile([_alert_latency(next(pupils), phq9, inbox) for _ in range(alerts)], 95)
                    left.append(client.llen("bulk"))
                    running.check()
                finally:
                    _purge("bulk")
                time.sleep(1)  # the bulk worker finishes what it had reserved before the idle round
                return latency

            rounds(figure, loaded, idle, n)
    finally:
        _purge("bulk")
    figure.note = (
        f"{alerts} critical answers a round, one at a time, to the guardian's e-mail; loaded: {backlog:,} "
        f"score_pending tasks queued first ({', '.join(f'{x:,}' for x in left)} still queued at the round's end); "
        f"one alerts and one bulk worker (prefork, concurrency 2); idle p95 median "
        f"{statistics.median(figure.baseline):.3f} s"
    )
    return figure
