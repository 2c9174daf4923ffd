"""Django's PostgreSQL backend with a health check that costs no round trip (portal/postgres/base.py)."""
