"""Every prepared statement of every app's sql.py against the schema the models make.

PostgreSQL prepares each one on the test database, so a column renamed or dropped, a table gone or a type changed
fails here; and each INSERT names every column of its table but the id and those the model leaves NULL, so a column
added to a model and not to the statement fails here too (the database would otherwise refuse the row, or fill it
with NULL where the model would not, only in use).
"""

import re

import pytest
from django.apps import apps
from django.db import connection

import counseling.sql
import portal.sql
import privacy.sql
import screening.sql
from portal.prepared import REGISTRY

SQL_MODULES = (portal.sql, counseling.sql, screening.sql, privacy.sql)
STATEMENTS = sorted(name for name, statement in REGISTRY.items() if not name.startswith("test_"))
_INSERT = re.compile(r"INSERT INTO (\w+) \(([^)]*)\)")


def _required(table: str) -> set[str]:
    """The columns of a model's table that an INSERT must name: all but the id and those whose model default is
    NULL (nullable, with no other default)."""
    model = next(m for m in apps.get_models(include_auto_created=True) if m._meta.db_table == table)
    return {
        f.column for f in model._meta.concrete_fields if not f.primary_key and not (f.null and f.get_default() is None)
    }


def test_every_app_sql_module_is_checked():
    """A new app's sql.py joins SQL_MODULES, or its statements go unchecked."""
    from pathlib import Path

    from django.conf import settings

    on_disk = {path.parent.name for path in Path(settings.BASE_DIR).glob("*/sql.py")}
    assert on_disk == {module.__name__.split(".")[0] for module in SQL_MODULES}
    assert {"session_load", "user_load", "audit_insert", "notification_write", "parent_booking",
            "booking_take_seat", "kiosk_battery", "kiosk_write"} <= set(STATEMENTS)  # fmt: skip


@pytest.mark.parametrize("name", STATEMENTS)
def test_the_statement_prepares_on_the_models_schema(name, db):
    with connection.cursor() as cursor:
        cursor.execute(f"PREPARE column_check AS {REGISTRY[name].server_sql}")
        cursor.execute("DEALLOCATE column_check")


def insert_mismatches(sql: str) -> dict[str, set[str]]:
    """Per table an INSERT in `sql` writes, the columns it must name and does not."""
    wrong = {}
    for table, listed in _INSERT.findall(" ".join(sql.split())):
        missing = _required(table) - {c.strip() for c in listed.split(",")}
        if missing:
            wrong[table] = missing
    return wrong


@pytest.mark.parametrize("name", STATEMENTS)
def test_every_insert_names_every_column_of_its_table(name):
    assert insert_mismatches(REGISTRY[name].sql) == {}


def test_an_insert_short_of_a_column_is_caught():
    full = " ".join(REGISTRY["booking_take_seat"].sql.split())
    short = full.replace(", status,", ",")
    assert short != full
    assert insert_mismatches(short) == {"counseling_booking": {"status"}}
