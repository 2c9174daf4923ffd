"""Django's PostgreSQL backend with a health check that costs no round trip (portal/postgres/base.py), and the
connection's settings as a URL for the processes the tests and the bench start (Celery workers, gunicorn, the
installed package)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode


def database_url(name: str | None = None, *, server: dict[str, Any] | None = None) -> str:
    """A DATABASE_URL for database `name` (by default the one in use) on the server in use (or on
    `server`, a connection's settings_dict).

    Settings and libpq both read it. HOST is a host name, or (the checkout's own server, localdb.py) the folder of
    a Unix socket, which a libpq URI carries as ?host= after an empty host part; settings turn it back into HOST.
    """
    from django.db import connection

    db = server or connection.settings_dict
    user = quote(db["USER"] or "postgres", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    query = {key: value for key, value in db["OPTIONS"].items() if isinstance(value, str | int)}
    if host.startswith("/"):
        query = {"host": host, **({"port": db["PORT"]} if db["PORT"] else {}), **query}
        netloc = f"{user}{password}@"
    else:
        netloc = f"{user}{password}@{f'[{host}]' if ':' in host else host}:{db['PORT'] or 5432}"
    url = f"postgres://{netloc}/{quote(name or db['NAME'], safe='')}"
    return f"{url}?{urlencode(query, safe='/', quote_via=quote)}" if query else url
