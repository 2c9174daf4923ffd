"""A role's home page is its worklist (UX rule 1): what needs this person today, oldest deadline first.

Each app adds its part of the list (crisis: cases awaiting assessment and follow-ups due; counseling: today's
appointments) from its AppConfig.ready, so the portal's home knows no other app's models. A student's page takes
sections the same way (STUDENT_SECTIONS: privacy's requests for a copy of the record). A section gets the
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
# The same on a student's page (portal.views.student_detail): what an app offers about this student to this user.
STUDENT_SECTIONS: list[Callable[[AnyUser, Any], Section | None]] = []


def worklist(user: AnyUser) -> list[Section]:
    return sorted((s for s in (section(user) for section in SECTIONS) if s is not None), key=lambda s: s.order)


def render(request: HttpRequest, user: AnyUser) -> list[SafeString]:
    """Each section of the user's worklist as HTML, in order."""
    return _html(request, worklist(user))


def render_student(request: HttpRequest, user: AnyUser, student: Any) -> list[SafeString]:
    """Each app's section of a student's page for this user, as HTML, in order."""
    sections = (section(user, student) for section in STUDENT_SECTIONS)
    return _html(request, sorted((s for s in sections if s is not None), key=lambda s: s.order))


def _html(request: HttpRequest, sections: list[Section]) -> list[SafeString]:
    return [mark_safe(render_to_string(s.template, s.context, request)) for s in sections]  # noqa: S308
