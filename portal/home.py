"""A role's home page is its worklist (UX rule 1): what needs this person today, oldest deadline first.

Each app adds its part of the list (crisis: cases awaiting assessment and follow-ups due; counseling: today's
appointments) from its AppConfig.ready, so the portal's home knows no other app's models. A section gets the
signed-in user and returns None when it has nothing to say to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from portal.access import AnyUser


@dataclass(frozen=True)
class Section:
    template: str  # rendered with `context`, in the order of `order`
    order: int
    context: dict[str, Any] = field(default_factory=dict)


SECTIONS: list[Callable[[AnyUser], Section | None]] = []


def worklist(user: AnyUser) -> list[Section]:
    return sorted((s for s in (section(user) for section in SECTIONS) if s is not None), key=lambda s: s.order)


def render(request: HttpRequest, user: AnyUser) -> list[SafeString]:
    """Each section of the user's worklist as HTML, in order."""
    return [mark_safe(render_to_string(s.template, s.context, request)) for s in worklist(user)]  # noqa: S308
