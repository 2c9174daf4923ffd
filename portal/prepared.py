"""Server-side prepared statements, for the few statements on the hottest paths (each app's sql.py).

A query joining five tables took PostgreSQL longer to plan than to run (0.6 ms against 0.13 ms on the kiosk's
row lock; docs/benchmarks.md). A prepared statement is planned once per database connection; connections are kept
(CONN_MAX_AGE), so nearly every request only executes.

A statement is prepared on a connection the first time it is used there, in a round trip of its own, and only
marked prepared once that succeeded. PREPARE is not undone by a rollback. Behind a pooler in transaction mode
(PgBouncer), connections are shared between clients: leave this out there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)

# A placeholder and its cast, if any: "%s" or "%s::bigint[]". EXECUTE needs the cast again on arrays.
_PLACEHOLDER = re.compile(r"%s(::\w+(?:\[\])?)?")


REGISTRY: dict[str, Prepared] = {}


class Prepared:
    def __init__(self, name: str, sql: str) -> None:
        """`sql` with %s placeholders, as for cursor.execute. Every statement is kept in REGISTRY, where the tests
        find them all to prepare on the test database and hold their columns to the models."""
        if name in REGISTRY:
            raise ValueError(f"a prepared statement named {name} exists already")
        REGISTRY[name] = self
        self.name = name
        self.sql = sql
        casts = [m.group(1) or "" for m in _PLACEHOLDER.finditer(sql)]
        numbers = iter(range(1, len(casts) + 1))
        # The statement as the server takes it, with $1, $2... for its parameters.
        self.server_sql = _PLACEHOLDER.sub(lambda m: f"${next(numbers)}{m.group(1) or ''}", sql)
        # What runs it, with %s placeholders for its parameters: usable inside a longer string of statements.
        self.call_sql = f"EXECUTE {name} ({', '.join(f'%s{c}' for c in casts)})" if casts else f"EXECUTE {name}"

    def prepare(self, cursor: Any) -> None:
        """Make sure the statement is prepared on this connection."""
        raw = connection.connection
        state: tuple[Any, set[str]] | None = getattr(connection, "_prepared_on", None)
        if state is None or state[0] is not raw:  # a new connection: nothing is prepared on it yet
            state = (raw, set())
            connection._prepared_on = state  # type: ignore[attr-defined]
        if self.name not in state[1]:
            cursor.execute(f"PREPARE {self.name} AS {self.server_sql}")
            state[1].add(self.name)

    def execute(self, cursor: Any, params: Sequence[Any]) -> None:
        self.prepare(cursor)
        cursor.execute(self.call_sql, params)


def columns(model: type[Model], alias: str) -> str:
    """A select list of the model's columns, in the order `instance` reads them."""
    return ", ".join(f"{alias}.{f.column}" for f in model._meta.concrete_fields)


def instance(model: type[M], values: Sequence[Any]) -> M:
    """A model instance from the values `columns(model, ...)` selected, built as the ORM builds it (from_db, after
    each field's converters)."""
    names, converters = _reader(model)
    if converters:
        values = list(values)
        for i, field, convert in converters:
            values[i] = convert(values[i], field, connection)
    return model.from_db(connection.alias, names, values)


@functools.cache
def _reader(model: type[Model]) -> tuple[list[str], list[tuple[int, Any, Any]]]:
    """The model's field names and the converters of its fields, once per model."""
    fields = model._meta.concrete_fields
    converters = [(i, f, c) for i, f in enumerate(fields) for c in f.get_db_converters(connection)]  # type: ignore[attr-defined]
    return [f.attname for f in fields], converters


def split(row: Sequence[Any], *models: type[Model]) -> list[Sequence[Any]]:
    """A row of consecutive `columns(model, ...)` select lists cut into each model's values, in order, and then
    whatever the row holds after them."""
    parts = []
    start = 0
    for model in models:
        end = start + len(model._meta.concrete_fields)
        parts.append(row[start:end])
        start = end
    return [*parts, row[start:]]
