"""The database backend checks a kept connection before each request by looking at its socket (no SELECT 1):
a connection the server ended must still be noticed, and replaced before the request's first query."""

import time

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_connection_the_server_ended_is_noticed_without_a_query_and_replaced():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    assert connection.is_usable()  # healthy and idle: nothing waiting on its socket
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])  # as a restart or an idle timeout would
    finally:
        other.close()
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not connection.is_usable()
    connection.health_check_done = False  # a new request begins (django.db.close_old_connections)
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:  # the request's first query runs on a new connection
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
