"""Encrypted free text, seen from outside the app: a database dump holds no plaintext of it.

A canary (ASCII and Chinese) is written into every EncryptedTextField, through the services where people type
the text (so that a copy leaking into an audit row, a notification or a log table would show up too) and
through the models for the rest. The rows are committed and Debian's pg_dump reads the test database.
"""

import datetime as dt
import json
import os
import shutil
import subprocess

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from counseling import services as counseling
from crisis import services as crisis
from crisis.models import GuardianNotice, NoticeVia
from portal.encryption import DecryptionError, encrypted_fields

pytestmark = pytest.mark.django_db(transaction=True)

CANARY_ASCII = "CANARY-a7f3c9e1-psy"
CANARY_ZH = "金丝雀孩子说想离家出走"
CANARY = f"{CANARY_ASCII} {CANARY_ZH}"
CONTROL = "对照明文学校"  # written to a column that is not encrypted: proves the dump has the rows at all
ZERO_LIKE = ["0", "0.0", "false", " ", "\u3000", "None", "null", ""]
NEW_KEY, WRONG_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _rows_through_the_services(world) -> None:
    """Text typed by people goes in the way they type it."""
    by = world.users["counselor_a"]
    crisis.referral_create(student=world.student_w, referred_by=world.users["teacher_a"], concern=CANARY)
    crisis.follow_up_log(case=world.case_x, by=by, date=timezone.localdate(), contact_type="phone",
                         summary=CANARY, next_step=CANARY)  # fmt: skip
    world.ack_x  # noqa: B018 -- a notice to X's guardian
    crisis.notice_record_contact(notice=GuardianNotice.objects.latest("id"), via=NoticeVia.PHONE, outcome=CANARY,
                                 by=by)  # fmt: skip
    crisis.incident_report(case=world.case_x, by=by, what_happened=CANARY, actions_taken=CANARY,
                           outside_help=CANARY)  # fmt: skip
    referral = crisis.outside_referral_create(case=world.case_x, by=by, place_kind="hospital", organisation="医院",
                                              referred_on=timezone.localdate(), reason=CANARY)  # fmt: skip
    crisis.outside_referral_outcome(referral=referral, outcome="admitted", outcome_on=timezone.localdate(),
                                    note=CANARY, by=by)  # fmt: skip
    counseling.session_record_create(
        student=world.student_x, author=by, held_on=timezone.localdate(), attendance="attended",
        session_type="individual", summary=CANARY, private_notes=CANARY,
    )  # fmt: skip
    message = counseling.mailbox_post(school=world.school_a, body=CANARY).message
    counseling.mailbox_reply(message=message, reply=CANARY, by=by)
    counseling.booking_codes_issue(students=[world.student_x])
    world.campaign_a  # noqa: B018 -- participations, each with a code


def _every_encrypted_row_holds(value: str) -> dict[str, int]:
    """Write value into every row of every encrypted field through the model; the rows written per field."""
    written = {}
    for model, field in encrypted_fields():
        rows = list(model.objects.all())
        for row in rows:
            setattr(row, field.attname, value)
            row.save(update_fields=[field.attname])
        written[f"{model._meta.label}.{field.name}"] = len(rows)
    return written


def _pg_dump() -> bytes:
    binary = shutil.which("pg_dump")
    assert binary, "Debian's postgresql-client provides pg_dump"
    db = connection.settings_dict
    command = [binary, "--data-only", "--encoding=UTF8", "--no-owner", "--dbname", db["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    return subprocess.run(command, env=env, capture_output=True, check=True, timeout=120).stdout


def _needles(text: str) -> list[bytes]:
    """The text as UTF-8, and as a JSON document escapes it (a json column keeps the escapes)."""
    return [text.encode(), json.dumps(text)[1:-1].encode()]


def test_no_canary_in_a_pg_dump_of_the_committed_rows(world):
    _rows_through_the_services(world)
    world.school_a.name = CONTROL
    world.school_a.save()
    written = _every_encrypted_row_holds(CANARY)
    empty = [name for name, count in written.items() if not count]
    assert not empty, f"no row to test for {empty}: create one above"
    for model, field in encrypted_fields():  # the app reads the canary back everywhere
        assert set(model.objects.values_list(field.attname, flat=True)) == {CANARY}

    dump = _pg_dump()
    assert CONTROL.encode() in dump  # the dump has the data...
    assert dump.count(b"gAAAAA") >= sum(written.values())  # ...with a Fernet token for every encrypted value...
    for needle in [*_needles(CANARY_ASCII), *_needles(CANARY_ZH)]:  # ...and no canary, anywhere
        assert needle not in dump, needle


def test_rotation_over_every_row_then_the_old_key_can_go_and_a_wrong_key_raises(world, settings):
    _rows_through_the_services(world)
    written = _every_encrypted_row_holds(CANARY)
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, old]
    call_command("encryption", "rotate")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    for model, field in encrypted_fields():
        assert set(model.objects.values_list(field.attname, flat=True)) == {CANARY}, field
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {field.column} FROM {model._meta.db_table}")  # noqa: S608
            raw = [row[0] for row in cursor.fetchall()]
        assert len(raw) == written[f"{model._meta.label}.{field.name}"]
        assert all(Fernet(NEW_KEY).decrypt(token.encode()).decode() == CANARY for token in raw), field

    settings.FIELD_ENCRYPTION_KEYS = [WRONG_KEY]
    for model, field in encrypted_fields():
        with pytest.raises(DecryptionError):
            list(model.objects.values_list(field.attname, flat=True))


@pytest.mark.parametrize("value", ZERO_LIKE, ids=repr)
def test_zero_like_and_blank_values_round_trip_in_every_encrypted_field(world, value):
    _rows_through_the_services(world)
    _every_encrypted_row_holds(value)
    for model, field in encrypted_fields():
        assert set(model.objects.values_list(field.attname, flat=True)) == {value}, field
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {field.column} FROM {model._meta.db_table}")  # noqa: S608
            raw = {row[0] for row in cursor.fetchall()}
        # "" is stored as it is; anything else, even a lone space, only as ciphertext.
        assert raw == {""} if value == "" else all(token.startswith("gAAAAA") for token in raw), (field, raw)


def test_a_truthy_looking_canary_is_not_mistaken_for_empty(world):
    """The strings "0" and " " are text a counselor typed, not "nothing": the field keeps them, encrypted."""
    record = counseling.session_record_create(
        student=world.student_x, author=world.users["counselor_a"], held_on=timezone.localdate() - dt.timedelta(1),
        attendance="attended", session_type="individual", summary="0", private_notes="\u3000",
    )  # fmt: skip
    record.refresh_from_db()
    assert (record.summary, record.private_notes) == ("0", "\u3000")
