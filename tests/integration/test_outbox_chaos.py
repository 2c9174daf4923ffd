"""The outbox under chaos: real workers, real beat (the sweeper), a real SMTP server, and things dying.

Delivery is at least once. What reaches the SMTP server is counted by Message-ID: every alert must arrive
(distinct Message-IDs == alerts sent), and a copy re-sent after a crash carries its original's Message-ID,
so the receiver can drop it; there is at most one such copy per kill (a solo worker holds one delivery).
"""

import json
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from portal import notifications
from portal.models import Delivery, Notification
from portal.models.notify import DeliveryStatus
from tests import factories
from tests.integration.conftest import kill, purge_queues, wait_for, wait_for_sweeps

pytestmark = pytest.mark.integration

ALERTS = 1000
KIND = "guardian_contact_request"
CONTEXT = {"school": "School A", "counselor": "Ms Li", "student": "Xiao Ming", "phone": "010-6500 1234",
           "ack_path": "/crisis/ack/token/"}  # fmt: skip
# Claims go stale after 8 s (a send here takes milliseconds, so only a dead worker's claim gets that old);
# the sweeper runs every second and takes a pending delivery's task for lost 3 s after it was queued.
CHAOS = {"OUTBOX_STALE_SENDING_SECONDS": "8", "OUTBOX_SWEEP_GRACE_SECONDS": "3", "OUTBOX_SWEEP_EVERY": "1"}

# Run as `python -c` by processes.python(): a web process that sends alerts ("produce"), or one that
# forks a child per transaction which dies right after COMMIT or just before it ("crash").
SCRIPT = """
import json, os, sys, time
import django
django.setup()
from django.db import connections, transaction
from portal import notifications
from portal.models import Guardian

mode, count, guardian_ids, context = sys.argv[1], int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
guardians = list(Guardian.objects.filter(pk__in=[int(pk) for pk in guardian_ids.split(",")]).order_by("pk"))
kind = "guardian_contact_request"

def alert(n, **extra):
    return notifications.notification_send(
        kind=kind, guardian=guardians[n % len(guardians)], context=context, via=["email"], **extra
    )

if mode == "produce":
    pause = float(sys.argv[5])
    for n in range(count):
        with transaction.atomic():
            alert(n)
        if n % 100 == 99:
            print(f"produced {n + 1}", flush=True)
        time.sleep(pause)
    sys.exit(0)

CRASHED = 17
failures = 0
for n in range(count):
    after_commit = n % 4 != 3  # three in four die right after COMMIT, one in four just before it
    connections.close_all()  # the child opens its own connection; the parent's is never shared
    pid = os.fork()
    if pid == 0:
        if after_commit:
            with transaction.atomic():
                # Registered before the outbox's own on_commit: the process is gone before the enqueue.
                transaction.on_commit(lambda: os._exit(CRASHED))
                alert(n, dedupe_key=f"crash-after-commit:{n}")
        else:
            with transaction.atomic():
                alert(n, dedupe_key=f"crash-before-commit:{n}")
                os._exit(CRASHED)
        os._exit(1)
    _, status = os.waitpid(pid, 0)
    failures += os.waitstatus_to_exitcode(status) != CRASHED
print(f"crashed {count - failures} of {count}", flush=True)
sys.exit(1 if failures else 0)
"""


class Crash(Exception):
    pass


def _env(smtp_server, **extra: str) -> dict[str, str]:
    return {"EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}", **CHAOS, **extra}


def _guardians(count: int = 50) -> list:
    school = factories.SchoolFactory()
    return [
        factories.GuardianFactory(school=school, channel="email", email=f"guardian{n}@example.com")
        for n in range(count)
    ]


def _alert(guardian, **extra):
    return notifications.notification_send(kind=KIND, guardian=guardian, context=CONTEXT, via=["email"], **extra)


def _message_id(notification_id: int) -> str:
    return f"<notification-{notification_id}.email@{settings.MESSAGE_ID_DOMAIN}>"


def _tally(smtp_server) -> Counter:
    return Counter(message["Message-ID"] for message in list(smtp_server.messages))


def _assert_each_duplicate_is_its_original(smtp_server, tally: Counter) -> int:
    """Copies with one Message-ID are the same message to the same guardian; returns how many extra copies."""
    duplicates = {message_id: count - 1 for message_id, count in tally.items() if count > 1}
    for message_id in duplicates:
        copies = [m for m in smtp_server.messages if m["Message-ID"] == message_id]
        assert len({(m["To"], m["Subject"], m.get_payload()) for m in copies}) == 1
        notification_id = int(message_id.removeprefix("<notification-").partition(".")[0])
        # A re-send of the same delivery after a crash, not a second delivery of the alert.
        assert Delivery.objects.get(notification_id=notification_id).attempts >= 2
    return sum(duplicates.values())


def _all_sent(count: int) -> bool:
    return Delivery.objects.filter(status=DeliveryStatus.SENT).count() == count


def test_a_thousand_alerts_survive_five_sigkills_of_the_worker(processes, smtp_server, capsys):
    env = _env(smtp_server)
    # The first kill lands where a duplicate is certain: the server holds the 150th message's content and has
    # not answered "250" yet. The other four land wherever the deliveries happen to be.
    smtp_server.hold_at = 150
    workers = [processes.worker("worker-0", **env)]
    processes.beat(**env)
    guardians = _guardians()
    produced: list[int] = []
    errors: list[BaseException] = []

    def produce() -> None:
        try:
            for n in range(ALERTS):
                with transaction.atomic():
                    produced.append(_alert(guardians[n % len(guardians)]).pk)
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    began = time.perf_counter()
    producer = threading.Thread(target=produce)
    producer.start()
    assert smtp_server.first_arrived.wait(60), "the 150th message never reached the SMTP server"
    kill(workers[0])
    kills = 1
    smtp_server.release.set()
    # From here two solo workers, so one delivers while the other restarts; each holds one delivery at most.
    workers = [processes.worker("worker-1", wait=False, **env), processes.worker("worker-2", wait=False, **env)]
    for threshold in (300, 450, 600, 750):
        wait_for(lambda threshold=threshold: len(smtp_server.messages) >= threshold, timeout=60, interval=0.05)
        victim = workers[kills % 2]
        processes.ready(victim)  # a kill of a worker still starting up would prove nothing
        kill(victim)
        workers[kills % 2] = processes.worker(f"worker-{kills + 2}", wait=False, **env)
        kills += 1
    producer.join()
    assert errors == []
    expected = {_message_id(pk) for pk in produced}
    assert len(expected) == ALERTS
    wait_for(lambda: set(_tally(smtp_server)) >= expected, timeout=90)
    elapsed = time.perf_counter() - began
    wait_for(lambda: _all_sent(ALERTS), timeout=30)
    wait_for_sweeps(2)  # two more sweeps: nothing more may arrive

    tally = _tally(smtp_server)
    assert set(tally) == expected  # none lost, nothing else
    duplicates = _assert_each_duplicate_is_its_original(smtp_server, tally)
    assert 1 <= duplicates <= kills  # the held one, at least
    assert len(smtp_server.messages) == ALERTS + duplicates
    assert not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()
    with capsys.disabled():
        print(
            f"\noutbox chaos: {ALERTS} alerts, {kills} worker SIGKILLs: {len(tally)} delivered, "
            f"{ALERTS - len(tally)} lost, {duplicates} duplicates, {elapsed:.1f} s"
        )


def test_a_thousand_alerts_survive_redis_killed_and_restarted(private_redis, processes, smtp_server, capsys):
    env = _env(smtp_server, REDIS_URL=private_redis.url)
    processes.worker("worker-0", **env)
    processes.worker("worker-1", **env)
    processes.beat(**env)
    guardians = _guardians()
    began = time.perf_counter()
    producer = processes.python(
        "producer", SCRIPT, "produce", str(ALERTS), ",".join(str(g.pk) for g in guardians), json.dumps(CONTEXT),
        "0.01", **env,
    )  # fmt: skip
    # Mid-run: deliveries under way and the producer still committing alerts.
    wait_for(lambda: len(smtp_server.messages) >= 100 and Notification.objects.count() >= 400, timeout=60)
    private_redis.kill()  # every queued delivery task is lost with it
    lost_at = len(smtp_server.messages)
    time.sleep(3)
    private_redis.start()
    assert producer.wait(timeout=120) == 0, producer.log_path.read_text()[-3000:]
    # Alerts committed while Redis was down could not be queued; their callers were not told of an error.
    assert "in on_commit()" in producer.log_path.read_text()
    produced = Notification.objects.values_list("pk", flat=True)
    expected = {_message_id(pk) for pk in produced}
    assert len(expected) == ALERTS
    wait_for(lambda: set(_tally(smtp_server)) >= expected, timeout=120)
    elapsed = time.perf_counter() - began
    wait_for(lambda: _all_sent(ALERTS), timeout=30)
    wait_for_sweeps(2)

    tally = _tally(smtp_server)
    assert set(tally) == expected
    duplicates = _assert_each_duplicate_is_its_original(smtp_server, tally)
    assert duplicates <= private_redis.kills
    assert len(smtp_server.messages) == ALERTS + duplicates
    with capsys.disabled():
        print(
            f"\noutbox chaos: {ALERTS} alerts, Redis SIGKILLed (at {lost_at} delivered) and restarted: "
            f"{len(tally)} delivered, {ALERTS - len(tally)} lost, {duplicates} duplicates, {elapsed:.1f} s"
        )


def test_alerts_committed_just_before_a_crash_arrive_and_rolled_back_ones_never_do(processes, smtp_server, capsys):
    env = _env(smtp_server, OUTBOX_SWEEP_GRACE_SECONDS="2")
    worker = processes.worker(wait=False, **env)
    guardians = _guardians(10)
    crasher = processes.python(
        "crasher", SCRIPT, "crash", "133", ",".join(str(g.pk) for g in guardians), json.dumps(CONTEXT)
    )
    assert crasher.wait(timeout=120) == 0, crasher.log_path.read_text()[-3000:]
    processes.ready(worker)
    crashed = Notification.objects.filter(dedupe_key__startswith="crash-after-commit:")
    assert crashed.count() == 100
    assert not Notification.objects.filter(dedupe_key__startswith="crash-before-commit:").exists()  # 33 gone

    rolled_back: list[int] = []
    committed: list[int] = []
    for n in range(37):  # the whole transaction rolls back
        with pytest.raises(Crash), transaction.atomic():
            rolled_back.append(_alert(guardians[n % 10]).pk)
            raise Crash
    for n in range(30):  # a savepoint rolls back, the transaction around it commits
        with transaction.atomic():
            committed.append(_alert(guardians[n % 10]).pk)
            with pytest.raises(Crash), transaction.atomic():
                rolled_back.append(_alert(guardians[n % 10]).pk)
                raise Crash
    assert not Notification.objects.filter(pk__in=rolled_back).exists()

    # The committed ones went through the queue; the crashed ones were never queued. A probe queued after them
    # all arriving shows the (solo, in-order) worker has emptied the queue: nothing else was in it.
    with transaction.atomic():
        committed.append(_alert(guardians[0]).pk)
    wait_for(lambda: set(_tally(smtp_server)) >= {_message_id(pk) for pk in committed})
    assert set(_tally(smtp_server)) == {_message_id(pk) for pk in committed}

    processes.beat(**env)  # the sweeper finds them
    began = time.perf_counter()
    expected = {_message_id(pk) for pk in [*committed, *crashed.values_list("pk", flat=True)]}
    wait_for(lambda: set(_tally(smtp_server)) >= expected, timeout=60)
    swept_in = time.perf_counter() - began
    wait_for_sweeps(3)  # three more sweeps: nothing rolled back may ever arrive
    tally = _tally(smtp_server)
    assert set(tally) == expected
    assert not set(tally) & {_message_id(pk) for pk in rolled_back}
    assert all(count == 1 for count in tally.values())
    assert _all_sent(len(expected))
    with capsys.disabled():
        print(
            f"\noutbox chaos: 100 crashed right after commit, all delivered {swept_in:.1f} s after beat started; "
            f"100 rolled back (37 transactions, 30 savepoints, 33 processes dead before commit), none sent"
        )


def test_the_sweeper_queues_a_backlog_again_only_once_the_broker_has_lost_it(processes):
    # No worker: the alerts wait in Redis, past the grace, as a backlog does behind a slow worker.
    guardians = _guardians(5)
    with transaction.atomic():
        alerts = [_alert(guardians[n % 5]) for n in range(30)]
    Delivery.objects.update(enqueued_at=timezone.now() - timedelta(hours=1))
    assert notifications.sweep() == 0  # their tasks wait in the queue: queueing them again only lengthens it
    assert notifications._tasks_waiting() == 30

    purge_queues()  # the broker loses them
    assert notifications.sweep() == 30
    assert notifications._tasks_waiting() == 30
    assert set(Delivery.objects.values_list("notification_id", flat=True)) == {a.pk for a in alerts}
