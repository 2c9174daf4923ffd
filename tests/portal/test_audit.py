"""The audit log: one event per sensitive read or write, append-only, hash-chained, verifiable."""

import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from portal import audit, labels, selectors, services
from portal.models import AuditEvent, Guardian, Student, StudentGuardian
from tests.portal.rosters import GOOD_ROWS, csv_bytes


def test_opening_a_students_page_writes_one_event(world, login):
    client = login(world.users["counselor_a"])
    response = client.get(reverse("student_detail", args=[world.student_x.pk]), HTTP_X_REQUEST_ID="req-42")
    assert response["X-Request-ID"] == "req-42"
    event = AuditEvent.objects.get()
    assert (event.actor_id, event.actor_username, event.role) == (
        world.users["counselor_a"].pk,
        "counselor_a",
        "counselor",
    )
    assert (event.action, event.object_type, event.object_id) == (
        "student.view",
        "portal.student",
        str(world.student_x.pk),
    )
    assert (event.student_id, event.school_id, event.request_id) == (world.student_x.pk, world.school_a.pk, "req-42")


def test_events_never_hold_the_sensitive_content(world, login):
    client = login(world.users["counselor_a"])
    client.get(reverse("student_detail", args=[world.student_x.pk]))
    client.get(reverse("guardian-list"))
    dump = repr(list(AuditEvent.objects.values()))
    for secret in (world.student_x.name, world.guardian_x.mobile, world.guardian_x.name):
        assert secret not in dump


def test_an_unsafe_request_id_is_replaced(world, login):
    response = login(world.users["counselor_a"]).get(reverse("home"), HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>" and len(response["X-Request-ID"]) == 32


def test_an_api_list_writes_one_event_naming_every_guardian_contact_returned(world, login):
    login(world.users["counselor_a"]).get(reverse("guardian-list"))
    event = AuditEvent.objects.get(action="guardian.view")
    guardians = [world.guardian_x.pk, world.student_w.guardians.get().pk]
    assert (event.object_id, event.detail["via"], event.detail["rows"]) == ("list", "list", 2)
    assert sorted(event.detail["ids"]) == sorted(guardians)
    assert event.detail["students"] == sorted([world.student_x.pk, world.student_w.pk])
    assert event.school_id == world.school_a.pk


def test_the_access_log_shows_the_lists_a_student_appeared_in(world, login):
    login(world.users["counselor_a"]).get(reverse("guardian-list"))
    html = login(world.users["leader_a"]).get(reverse("student_access_log", args=[world.student_x.pk])).content.decode()
    assert labels.person(world.users["counselor_a"]) in html and "counselor_a" not in html  # by name, never username
    # Another school's student was in no list: their log stays empty of it.
    assert not selectors.access_log(world.student_y).exists()


def test_a_refused_read_writes_one_refusal_event_and_no_view(world, login):
    response = login(world.users["counselor_b"]).get(reverse("student_detail", args=[world.student_x.pk]))
    assert response.status_code == 404
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_username, event.object_id) == ("request.refused", "counselor_b", "404")
    assert event.detail == {"status": 404, "method": "GET", "route": "student_detail", "ids": [world.student_x.pk]}


def test_bulk_updates_of_audited_tables_are_audited(world):
    StudentGuardian.objects.filter(student__school=world.school_a).update(is_primary=False)
    events = AuditEvent.objects.filter(action="studentguardian.bulk_update")
    assert events.count() == 2
    assert {e.detail["fields"][0] for e in events} == {"is_primary"}
    guardian_pk = world.guardian_x.pk
    Guardian.objects.filter(pk=guardian_pk).delete()
    assert AuditEvent.objects.filter(action="guardian.delete", object_id=str(guardian_pk)).count() == 1


def test_a_roster_import_audits_every_row_it_writes(world):
    roster_import = services.roster_import_create(
        school=world.school_a, uploaded_by=world.users["counselor_a"], filename="l.csv", content=csv_bytes(GOOD_ROWS)
    )
    services.roster_import_apply(import_id=roster_import.pk)
    assert AuditEvent.objects.filter(action="student.create", detail__import_id=roster_import.pk).count() == 3
    assert AuditEvent.objects.filter(action="guardian.create").count() == 3
    # A second import that renames one student records exactly one update of that student.
    rows = [r[:] for r in GOOD_ROWS]
    rows[3][3] = "赵磊"
    second = services.roster_import_create(
        school=world.school_a, uploaded_by=world.users["counselor_a"], filename="l.csv", content=csv_bytes(rows)
    )
    services.roster_import_apply(import_id=second.pk)
    updates = AuditEvent.objects.filter(action="student.bulk_update", detail__import_id=second.pk)
    assert [(e.object_id, e.detail["fields"]) for e in updates] == [
        (
            str(Student.objects.get(student_number="20250003").pk),
            [
                "birth_date",
                "classroom_id",
                "disability",
                "gender",
                "in_difficulty",
                "left_behind",
                "migrant_child",
                "name",
            ],
        )
    ]


def test_the_leader_sees_who_opened_a_students_records(world, login):
    login(world.users["teacher_a"]).get(reverse("student_detail", args=[world.student_x.pk]))
    login(world.users["parent_x"]).get(reverse("student-detail", args=[world.student_x.pk]))
    html = login(world.users["leader_a"]).get(reverse("student_access_log", args=[world.student_x.pk])).content.decode()
    teacher, parent = labels.person(world.users["teacher_a"]), labels.person(world.users["parent_x"])
    assert teacher in html and parent in html and teacher != parent
    assert html.index(parent) < html.index(teacher)  # newest first


def test_verify_accepts_an_intact_chain(world, login, capsys):
    for _ in range(3):
        login(world.users["counselor_a"]).get(reverse("student_detail", args=[world.student_x.pk]))
    call_command("audit", "verify")
    assert "3 events verified" in capsys.readouterr().out


def test_the_database_refuses_update_and_delete(world, login):
    login(world.users["counselor_a"]).get(reverse("student_detail", args=[world.student_x.pk]))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.update(actor_username="someone else")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().actor_username == "counselor_a"


def test_an_event_altered_behind_the_applications_back_is_found(world, login):
    client = login(world.users["counselor_a"])
    for _ in range(5):
        client.get(reverse("student_detail", args=[world.student_x.pk]))
    third = AuditEvent.objects.order_by("id")[2]
    with connection.cursor() as cursor:  # a superuser switching the trigger off, as an intruder would
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE portal_auditevent SET actor_username = 'nobody' WHERE id = %s", [third.pk])
        cursor.execute("SET session_replication_role = DEFAULT")
    with pytest.raises(CommandError, match=f"event #{third.pk}: its content does not match"):
        call_command("audit", "verify")


def test_a_removed_event_breaks_the_next_link(world, login):
    client = login(world.users["counselor_a"])
    for _ in range(3):
        client.get(reverse("student_detail", args=[world.student_x.pk]))
    first, second, third = AuditEvent.objects.order_by("id")
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM portal_auditevent WHERE id = %s", [second.pk])
        cursor.execute("SET session_replication_role = DEFAULT")
    checked, broken = audit.verify()
    assert (checked, broken.event_id) == (1, third.pk)


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_writers_never_fork_the_chain(world):
    writers, per_writer = 8, 100
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                with audit.acting_as(audit.Actor(None, f"writer-{n}", "test", f"w{n}-{i}")):
                    audit.append([audit.Entry("student.view", "portal.student", world.student_x.pk)])
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    assert errors == []
    assert AuditEvent.objects.count() == writers * per_writer
    # No two events share a predecessor: the chain is one line.
    assert AuditEvent.objects.values("prev_hash").distinct().count() == writers * per_writer
    assert audit.verify() == (writers * per_writer, None)
    print(f"\naudit: {writers * per_writer / elapsed:.0f} events/s with {writers} concurrent writers")


def _tamper(sql: str, params: list) -> None:
    """Write to the table behind the application's back, past the append-only trigger."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")


def test_a_chain_rewritten_without_the_key_is_found(world, login, settings):
    client = login(world.users["counselor_a"])
    for _ in range(3):
        client.get(reverse("student_detail", args=[world.student_x.pk]))
    settings.AUDIT_CHAIN_KEY = "the intruder's guess"
    previous = audit.GENESIS
    for event in AuditEvent.objects.order_by("id"):  # a consistent chain, re-hashed with the wrong key
        event.prev_hash = previous
        event.actor_username = "nobody"
        event.hash = previous = audit.compute_hash(event)
        _tamper("UPDATE portal_auditevent SET actor_username = %s, prev_hash = %s, hash = %s WHERE id = %s",
                ["nobody", event.prev_hash, event.hash, event.pk])  # fmt: skip
    settings.AUDIT_CHAIN_KEY = ""
    checked, broken = audit.verify()
    assert (checked, broken.event_id) == (0, AuditEvent.objects.order_by("id").first().pk)


def test_an_anchor_finds_removed_newest_events(world, login, capsys):
    client = login(world.users["counselor_a"])
    for _ in range(4):
        client.get(reverse("student_detail", args=[world.student_x.pk]))
    call_command("audit", "head")
    anchor = capsys.readouterr().out.strip()
    assert anchor.startswith("4:")
    call_command("audit", "verify", "--anchor", anchor)
    _tamper("DELETE FROM portal_auditevent WHERE id = %s", [AuditEvent.objects.order_by("-id").first().pk])
    call_command("audit", "verify")  # without the anchor the shorter chain still looks whole...
    with pytest.raises(CommandError, match="fewer than the anchor's 4"):
        call_command("audit", "verify", "--anchor", anchor)  # ...with it, the loss shows


def test_a_batch_writes_its_events_when_it_ends(world):
    with audit.batched():
        StudentGuardian.objects.filter(student=world.student_x).update(is_primary=True)
        assert not AuditEvent.objects.exists()
    assert AuditEvent.objects.filter(action="studentguardian.bulk_update").count() == 1


def test_the_student_page_event_names_the_guardian_contacts_it_showed(world, login):
    login(world.users["teacher_a"]).get(reverse("student_detail", args=[world.student_x.pk]))
    assert AuditEvent.objects.get().detail == {"guardians_shown": [world.guardian_x.pk]}


@pytest.mark.django_db(transaction=True)
def test_the_chain_head_is_found_through_the_index_however_stale_the_statistics():
    """A new database: the audit table is empty and its statistics say so. The chain keeps growing under the
    chain lock, and reading its last hash must not come to scan the whole table (it did: B1 halved)."""
    connection.close()  # a new connection, as a freshly started worker has: nothing planned on it yet
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE portal_auditevent")  # empty
    audit.append([audit.Entry("student.view", "portal.student", 1)])  # the first append on this connection
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO portal_auditevent (created_at, actor_id, actor_username, role, action, object_type, "
            "object_id, student_id, school_id, request_id, detail, prev_hash, hash) SELECT created_at, actor_id, "
            "actor_username, role, action, object_type, object_id, student_id, school_id, request_id, detail, "
            "prev_hash, md5(hash || g::text) FROM portal_auditevent, generate_series(1, 5000) g"
        )  # the chain has grown (its hashes do not matter here)
        cursor.execute("SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'portal_auditevent'")
        (before,) = cursor.fetchone()
        for n in range(3):
            audit.append([audit.Entry("student.view", "portal.student", n + 2)])
        cursor.execute("SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'portal_auditevent'")
        (after,) = cursor.fetchone()
    assert after == before  # three appends, no scan of the table
