"""Free text at rest: ciphertext in the database, empty values round-trip, rotation, wrong keys raise."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from portal.encryption import DecryptionError
from portal.models import InboxMessage
from tests import factories

KEY_1, KEY_2, KEY_3 = (Fernet.generate_key().decode() for _ in range(3))


def _raw_body(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM portal_inboxmessage WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def key_1(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_1]
    return settings


def test_the_database_holds_ciphertext_and_the_app_reads_text(db, key_1):
    message = factories.InboxMessageFactory(body="孩子说最近不想上学")
    raw = _raw_body(message.pk)
    assert raw.startswith("gAAAAA") and "上学" not in raw
    assert InboxMessage.objects.get(pk=message.pk).body == "孩子说最近不想上学"
    assert Fernet(KEY_1).decrypt(raw.encode()).decode() == "孩子说最近不想上学"


def test_empty_text_round_trips(db, key_1):
    message = factories.InboxMessageFactory(body="")
    assert _raw_body(message.pk) == ""
    assert InboxMessage.objects.get(pk=message.pk).body == ""


def test_rotation_re_encrypts_every_value_with_the_new_key(db, key_1, capsys):
    messages = [factories.InboxMessageFactory(body=f"note {n}") for n in range(7)]
    factories.InboxMessageFactory(body="")
    key_1.FIELD_ENCRYPTION_KEYS = [KEY_2, KEY_1]  # new key first: it encrypts, both decrypt
    call_command("encryption", "rotate")
    assert "portal.InboxMessage.body: 7 values re-encrypted" in capsys.readouterr().out
    key_1.FIELD_ENCRYPTION_KEYS = [KEY_2]  # the old key can go
    assert [InboxMessage.objects.get(pk=m.pk).body for m in messages] == [f"note {n}" for n in range(7)]
    assert Fernet(KEY_2).decrypt(_raw_body(messages[0].pk).encode()) == b"note 0"


def test_a_value_no_key_decrypts_raises_instead_of_showing_ciphertext(db, key_1):
    message = factories.InboxMessageFactory(body="secret")
    key_1.FIELD_ENCRYPTION_KEYS = [KEY_3]
    with pytest.raises(DecryptionError):
        InboxMessage.objects.get(pk=message.pk)


def test_rotation_with_a_missing_key_stops_and_changes_nothing(db, key_1):
    message = factories.InboxMessageFactory(body="secret")
    before = _raw_body(message.pk)
    key_1.FIELD_ENCRYPTION_KEYS = [KEY_3]
    with pytest.raises(DecryptionError):
        call_command("encryption", "rotate")
    assert _raw_body(message.pk) == before


def test_rotation_keeps_a_value_saved_while_it_ran(db, key_1, monkeypatch):
    from portal import encryption

    message = factories.InboxMessageFactory(body="old text")
    key_1.FIELD_ENCRYPTION_KEYS = [KEY_2, KEY_1]
    real_rotate = encryption.rotate

    def rotate_while_someone_saves(token):
        InboxMessage.objects.filter(pk=message.pk).update(body="NEW text")  # a save between read and write
        return real_rotate(token)

    monkeypatch.setattr(encryption, "rotate", rotate_while_someone_saves)
    encryption.rotate_all()
    assert InboxMessage.objects.get(pk=message.pk).body == "NEW text"


def test_a_malformed_key_fails_the_system_check(settings):
    from portal.checks import encryption_keys

    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    assert [e.id for e in encryption_keys(None)] == ["portal.E001"]
    settings.FIELD_ENCRYPTION_KEYS = ["Qi2jnVmMCJa1UgoknIGlwtTwHSydCUplXQltTTZItr8="]
    settings.PRODUCTION = True
    assert [e.id for e in encryption_keys(None)] == ["portal.E002"]
