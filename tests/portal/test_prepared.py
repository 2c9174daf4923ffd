"""Prepared statements (the kiosk's hot path): planned once per connection, and never lost on a new one."""

import pytest
from django.db import connection, transaction

from portal.prepared import Prepared

pytestmark = pytest.mark.django_db(transaction=True)

DOUBLE = Prepared("test_double", "SELECT %s::int * 2, %s::text[]")


def _prepared_on_server() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def test_a_statement_is_prepared_once_per_connection_and_again_on_a_new_one():
    with connection.cursor() as cursor:
        DOUBLE.execute(cursor, [21, ["a", None]])
        assert cursor.fetchone() == (42, ["a", None])
        DOUBLE.execute(cursor, [5, []])
        assert cursor.fetchone() == (10, [])
    assert "test_double" in _prepared_on_server()
    connection.close()  # a new connection (CONN_MAX_AGE ran out, or the server restarted): prepared again
    with connection.cursor() as cursor:
        assert "test_double" not in _prepared_on_server()
        DOUBLE.execute(cursor, [1, ["b"]])
        assert cursor.fetchone() == (2, ["b"])


def test_a_rolled_back_transaction_keeps_the_statement_prepared():
    with pytest.raises(RuntimeError), transaction.atomic(), connection.cursor() as cursor:  # noqa: PT012
        DOUBLE.execute(cursor, [1, []])
        raise RuntimeError
    with connection.cursor() as cursor:
        DOUBLE.execute(cursor, [3, []])
        assert cursor.fetchone() == (6, [])
