"""Writing and verifying the audit log.

Each event carries the hash of the one before it. Writers take a PostgreSQL advisory lock
for the rest of their transaction before reading the last hash (portal.sql.audit_chain_lock), so
concurrent writers are serialised and the chain never forks; the lock is released at commit or
rollback, so a rolled-back event leaves no gap.

Events hold who, what kind of record, which one, when and the request id: never content.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from portal import sql
from portal.models import AuditEvent

logger = logging.getLogger(__name__)
GENESIS = "0" * 64
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    role: str
    request_id: str


SYSTEM = Actor(None, "system", "system", "")
_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("audit_request", default=None)
_actor_override: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("audit_actor", default=None)
_extra_detail: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("audit_detail", default={})  # noqa: B039
_batch: contextvars.ContextVar[list[tuple[Actor, dict[str, Any], list[Entry]]] | None] = contextvars.ContextVar(
    "audit_batch", default=None
)


def request_id_for(request: HttpRequest) -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Give every request an id (or keep the proxy's) and make it the audit context."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        request.request_id = request_id_for(request)  # type: ignore[attr-defined]
        token = _request.set(request)
        try:
            response = self.get_response(request)
            if response.status_code in REFUSED:
                record_refusal(request, response.status_code)
        finally:
            _request.reset(token)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


# Refused: not signed in (API), forbidden, out of scope or absent (404 on a route that exists), a method the
# route does not take, throttled. A 404 for an address that is no route at all is noise, not a refusal.
REFUSED = frozenset({401, 403, 404, 405, 429})


# A script retrying, or a stale tab polling, must not flood the log: at most one refusal event per person (or
# address, signed out) and route in each minute of the clock. The refusals in between are counted in the cache and
# folded into that person's next event on the route ("earlier_refusals"), counted for up to a day.
REFUSAL_WINDOW_SECONDS = 60
REFUSAL_COUNT_SECONDS = 24 * 60 * 60


def record_refusal(request: HttpRequest, status: int) -> None:
    """A refused request's event: who, which route, which ids; never the path (it may hold a token). At most one
    per person and route per window; it carries how many refusals were only counted since the last one."""
    match = getattr(request, "resolver_match", None)
    if match is None and status == 404:
        return
    route = match.view_name if match else ""
    earlier = _refusals_since_last_event(request, route)
    if earlier is None:
        return
    ids = sorted(int(v) for v in (match.kwargs.values() if match else ()) if str(v).isdigit() and len(str(v)) < 19)
    detail: dict[str, Any] = {"status": status, "method": request.method, "route": route, "ids": ids}
    if earlier:
        detail["earlier_refusals"] = earlier
    append([Entry("request.refused", "request", status, detail=detail)])


def _refusals_since_last_event(request: HttpRequest, route: str) -> int | None:
    """None: an event for this person and route was written within the window, so this refusal is only counted.
    Otherwise how many were counted since that event (taken off the count atomically: what another process adds
    meanwhile stays for the next event). With the cache unreachable every refusal is written, none lost."""
    from portal.security import client_ip

    user = getattr(request, "user", None)
    who = f"user:{user.pk}" if user is not None and user.is_authenticated else f"address:{client_ip(request)}"
    key = f"audit-refused:{who}:{route}"
    window = int(time.time() // REFUSAL_WINDOW_SECONDS)  # the clock's minute: the same on every web process
    try:
        if not cache.add(f"{key}:{window}", 1, timeout=2 * REFUSAL_WINDOW_SECONDS):
            cache.add(f"{key}:count", 0, timeout=REFUSAL_COUNT_SECONDS)
            cache.incr(f"{key}:count")
            return None
        earlier = int(cache.get(f"{key}:count") or 0)
        if earlier:
            cache.decr(f"{key}:count", earlier)
        return earlier
    except Exception:  # noqa: BLE001 - a cache error must not cost an event: write it
        logger.warning("refusal events unthrottled: the cache is unreachable", exc_info=True)
        return 0


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """For tasks and commands: whose action the events record (defaults to "system")."""
    token = _actor_override.set(actor)
    try:
        yield
    finally:
        _actor_override.reset(token)


@contextlib.contextmanager
def context(**detail: Any) -> Iterator[None]:
    """Add non-sensitive detail (e.g. the import id) to every event written inside the block."""
    token = _extra_detail.set({**_extra_detail.get(), **detail})
    try:
        yield
    finally:
        _extra_detail.reset(token)


def current_actor() -> Actor:
    override = _actor_override.get()
    if override is not None:
        return override
    request = _request.get()
    if request is None:
        return SYSTEM
    user = getattr(request, "user", None)
    request_id = getattr(request, "request_id", "")
    if user is None or not user.is_authenticated:
        return Actor(None, "anonymous", "anonymous", request_id)
    return Actor(user.pk, user.get_username(), role_label(user), request_id)


def role_label(user: Any) -> str:
    from portal.access import roles_of

    roles = roles_of(user)
    held = sorted(roles.all_roles) + (["parent"] if roles.is_parent else [])
    if user.is_superuser:
        held.append("platform_admin")
    return ",".join(held) or "none"


# An event's columns in the order they are hashed (after prev_hash) and inserted.
_COLUMNS = ("created_at", "actor_id", "actor_username", "role", "action", "object_type", "object_id", "student_id",
            "school_id", "request_id", "detail")  # fmt: skip


def _canonical(prev_hash: str, row: tuple[Any, ...]) -> bytes:
    created = row[0].astimezone(dt.UTC).isoformat(timespec="microseconds")
    fields = [prev_hash, created, *row[1:6], str(row[6]), *row[7:]]
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _hash(prev_hash: str, row: tuple[Any, ...]) -> str:
    # Keyed (HMAC): someone who can write the table but does not hold the key cannot forge a chain.
    return hmac.new(_chain_key(), _canonical(prev_hash, row), hashlib.sha256).hexdigest()


def compute_hash(event: AuditEvent) -> str:
    return _hash(event.prev_hash, tuple(getattr(event, column) for column in _COLUMNS))


def _chain_key() -> bytes:
    key = settings.AUDIT_CHAIN_KEY or f"audit-chain:{settings.SECRET_KEY}"
    return hashlib.sha256(key.encode()).digest()


@dataclass
class Entry:
    action: str
    object_type: str
    object_id: Any
    student_id: int | None = None
    school_id: int | None = None
    detail: dict[str, Any] | None = None


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """Hold the events of a long transaction and chain them when the block ends.

    The chain lock is held from the first append until commit; appending at the end of a long
    transaction (an import) keeps every other audited page from waiting behind it.
    """
    if _batch.get() is not None:
        yield
        return
    held: list[tuple[Actor, dict[str, Any], list[Entry]]] = []
    token = _batch.set(held)
    try:
        yield
    finally:
        _batch.reset(token)
    _write(held)


@contextlib.contextmanager
def atomic() -> Iterator[None]:
    """A transaction (or savepoint) whose audit events are chained as it ends, still inside it.

    The chain's lock is then the last lock a writer takes: a service that locks rows (a slot, a student)
    never holds the chain while waiting for a row another writer holds while waiting for the chain. Events
    of a block that rolls back are dropped with it; a nested block hands its events to the outer one.
    """
    outer = _batch.get()
    held: list[tuple[Actor, dict[str, Any], list[Entry]]] = []
    token: contextvars.Token[list[tuple[Actor, dict[str, Any], list[Entry]]] | None] | None = _batch.set(held)
    try:
        with transaction.atomic():
            yield
            _batch.reset(token)  # type: ignore[arg-type]
            token = None
            if outer is not None:
                outer.extend(held)
            else:
                _write(held)
    finally:
        if token is not None:
            _batch.reset(token)


def append(entries: Iterable[Entry]) -> None:
    """Append events to the chain inside the caller's transaction (or a new one)."""
    entries = list(entries)
    if not entries:
        return
    held = _batch.get()
    if held is not None:
        held.append((current_actor(), _extra_detail.get(), entries))
        return
    _write([(current_actor(), _extra_detail.get(), entries)])


def _write(groups: list[tuple[Actor, dict[str, Any], list[Entry]]]) -> None:
    """Chain every held group in one go: one lock, one read of the last hash, one insert."""
    if not any(entries for _, _, entries in groups):
        return
    now = timezone.now()
    rows = [
        (now, actor.user_id, actor.username, actor.role, entry.action, entry.object_type, str(entry.object_id),
         entry.student_id, entry.school_id, actor.request_id, {**extra, **(entry.detail or {})})
        for actor, extra, entries in groups for entry in entries
    ]  # fmt: skip
    # Inside the caller's transaction as it is (no savepoint: a failed insert fails the whole write, as it must);
    # a transaction of its own otherwise.
    with contextlib.nullcontext() if connection.in_atomic_block else transaction.atomic():
        previous = sql.audit_chain_lock() or GENESIS
        chained = []
        for row in rows:
            digest = _hash(previous, row)
            chained.append((*row[:10], json.dumps(row[10]), previous, digest))
            previous = digest
        sql.audit_insert(chained)


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _subjects(model: type[models.Model], ids: list[Any]) -> list[tuple[Any, int | None, int | None]]:
    """(row id, student id, school id) for each row: the student (and school) the record concerns."""
    from portal.models import Guardian, Student, StudentGuardian

    if model is Student:
        rows = Student.objects.filter(pk__in=ids).values_list("pk", "pk", "school_id")
    elif model is Guardian:
        rows = StudentGuardian.objects.filter(guardian_id__in=ids).values_list(
            "guardian_id", "student_id", "guardian__school_id"
        )
    elif getattr(model, "AUDIT_STUDENT", None):
        # Other apps' records name the path to their student (e.g. Case: "student", FollowUp: "case__student").
        path = model.AUDIT_STUDENT  # type: ignore[attr-defined]
        rows = model._default_manager.filter(pk__in=ids).values_list("pk", path, f"{path}__school_id")
    else:
        return [(pk, None, None) for pk in ids]
    found = list(rows)
    seen = {row[0] for row in found}
    # Rows already gone (deleted) or unlinked guardians still get named.
    return found + [(pk, None, None) for pk in ids if pk not in seen]


def entries_for(
    model: type[models.Model],
    ids: Iterable[int],
    *,
    verb: str,
    detail: dict[str, Any] | None = None,
    subjects: list[tuple[Any, int | None, int | None]] | None = None,
) -> list[Entry]:
    """One entry per row written, each tied to the student (and school) the record concerns.

    A caller that already holds each row's (id, student id, school id) passes them as `subjects`.
    """
    action = f"{model._meta.model_name}.{verb}"
    rows = subjects if subjects is not None else _subjects(model, list(ids))
    return [Entry(action, _label(model), pk, student, school, detail) for pk, student, school in rows]


def record_rows(
    model: type[models.Model], ids: Iterable[int], *, verb: str, detail: dict[str, Any] | None = None
) -> None:
    append(entries_for(model, ids, verb=verb, detail=detail))


def record_read(
    model: type[models.Model],
    ids: Iterable[int],
    *,
    verb: str = "view",
    detail: dict[str, Any] | None = None,
    subjects: list[tuple[Any, int | None, int | None]] | None = None,
) -> None:
    """One read, one event: a list, an export or a printout names every row it showed and the students they
    concern (the leader's access log finds the student there), instead of one hashed event per row.

    A caller that already holds each row's (id, student id, school id) passes them as `subjects`.
    """
    ids = list(ids)
    if len(ids) <= 1:
        record_rows(model, ids, verb=verb, detail=detail)
        return
    subjects = subjects if subjects is not None else _subjects(model, ids)
    students = sorted({student for _, student, _ in subjects if student is not None})
    schools = {school for _, _, school in subjects if school is not None}
    entry = Entry(
        f"{model._meta.model_name}.{verb}", _label(model), "list",
        student_id=students[0] if len(students) == 1 else None,
        school_id=next(iter(schools)) if len(schools) == 1 else None,
        detail={**(detail or {}), "rows": len(ids), "ids": ids, "students": students},
    )  # fmt: skip
    append([entry])


def record_view(obj: models.Model, **detail: Any) -> None:
    """A sensitive record was shown to someone: one event."""
    record_rows(type(obj), [obj.pk], verb="view", detail=detail or None)


@dataclass
class Break:
    event_id: int
    reason: str


def head() -> tuple[int, str]:
    """How many events the chain holds and the hash of the last: store it outside the database
    (monitoring, a printed report) and pass it to verify(anchor=...) later, so removing the newest
    events or emptying the table is found too. Events erased by retention still count: an anchor names a
    position from the chain's first event ever."""
    erased, _ = chain_start()
    count = AuditEvent.objects.count()
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
    return erased + count, last


# Retention erases the chain's oldest events (privacy.retention.audit_trim). It first appends this event, whose
# detail names the last event to go ("through", "through_hash") and how many went so far ("erased_total"): the
# shortened chain starts from that hash.
TRIMMED = "auditevent.trim"


def chain_start() -> tuple[int, str]:
    """Where the chain starts now: how many events retention erased from its start, and the hash its first event
    links to. An event that links to anything but GENESIS must be vouched for by a trim event in the chain (which
    only the holder of the key can write); without one the start stays GENESIS and verify() finds the gap."""
    first = AuditEvent.objects.order_by("id").values_list("prev_hash", flat=True).first()
    if first is None or first == GENESIS:
        return 0, GENESIS
    trimmed = (
        AuditEvent.objects.filter(action=TRIMMED, detail__through_hash=first).values_list("detail", flat=True).first()
    )
    if trimmed is None:
        return 0, GENESIS
    return int(trimmed["erased_total"]), first


def verify(*, chunk_size: int = 5000, anchor: tuple[int, str] | None = None) -> tuple[int, Break | None]:
    """Walk the chain in id order; return how many events were checked and the first broken link.

    With an anchor (count, hash) taken earlier by head(), the event at that position must still carry
    that hash, and the chain must be at least that long. A chain trimmed by retention starts where its trim
    event says (chain_start); an anchor on an erased event can no longer be checked, except the last erased one.
    """
    erased, previous = chain_start()
    if anchor is not None and erased and anchor[0] == erased and anchor[1] != previous:
        first = AuditEvent.objects.order_by("id").values_list("id", flat=True).first() or 0
        return 0, Break(first, "it is not the event recorded in the anchor (the chain was rewritten)")
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
        if event.prev_hash != previous:
            return checked, Break(
                event.pk, "its link to the previous event is broken (an event was removed or reordered)"
            )
        if compute_hash(event) != event.hash:
            return checked, Break(event.pk, "its content does not match its hash (the event was altered)")
        previous = event.hash
        checked += 1
        if anchor is not None and erased + checked == anchor[0] and event.hash != anchor[1]:
            return checked, Break(event.pk, "it is not the event recorded in the anchor (the chain was rewritten)")
    if anchor is not None and erased + checked < anchor[0]:
        reason = f"the chain holds {erased + checked} events, fewer than the anchor's {anchor[0]} (events were removed)"
        return checked, Break(0, reason)
    return checked, None
