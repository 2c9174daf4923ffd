"""portal.postgres.database_url: the URL that processes started by the tests (workers, the installed package) get,
read back by settings (django-environ) and by libpq, for a server on TCP and for one on a Unix socket (localdb.py)."""

import environ
import pytest
from django.db import connection
from psycopg2.extensions import parse_dsn

from portal.postgres import database_url

# A connection's settings_dict, and the port both readers must find ("": libpq's default for that socket folder).
SERVERS = {
    "tcp": ({"HOST": "127.0.0.1", "PORT": 5432, "USER": "postgres", "PASSWORD": ""}, "5432"),
    "tcp, default port": ({"HOST": "localhost", "PORT": "", "USER": "postgres", "PASSWORD": ""}, "5432"),
    "tcp, awkward password": ({"HOST": "db.internal", "PORT": 6432, "USER": "u@x", "PASSWORD": "p:w/ @"}, "6432"),
    "ipv6": ({"HOST": "::1", "PORT": 5432, "USER": "postgres", "PASSWORD": ""}, "5432"),
    "socket": ({"HOST": "/work/a b/.pgdata", "PORT": "", "USER": "postgres", "PASSWORD": ""}, ""),
    "socket, own port": ({"HOST": "/run/pg", "PORT": 5433, "USER": "postgres", "PASSWORD": ""}, "5433"),
}


@pytest.mark.parametrize(("server", "port"), SERVERS.values(), ids=SERVERS.keys())
def test_settings_and_libpq_read_back_the_server_and_the_database(server, port):
    url = database_url("portal_fresh", server={**server, "NAME": "portal", "OPTIONS": {}})

    parsed = environ.Env.db_url_config(url)
    options = parsed.get("OPTIONS", {})
    host = options.pop("host", parsed["HOST"])  # as portal/settings.py does
    assert (host, parsed["USER"], parsed["PASSWORD"], parsed["NAME"]) == (
        server["HOST"], server["USER"], server["PASSWORD"], "portal_fresh"
    )  # fmt: skip
    assert str(parsed["PORT"] or options.get("port", "")) == port

    libpq = parse_dsn(url)
    assert (libpq["host"], libpq["user"], libpq.get("password", ""), libpq["dbname"]) == (
        server["HOST"], server["USER"], server["PASSWORD"], "portal_fresh"
    )  # fmt: skip
    assert libpq.get("port", "") == port


def test_by_default_the_database_the_tests_use():
    assert database_url().split("?")[0].endswith(f"/{connection.settings_dict['NAME']}")
