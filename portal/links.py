"""This site's links in a message's text: found, and named by the page they open.

A notification's body carries the full address of the page it is about (e-mail and SMS need it). In the portal's
own inbox an address is no use as text (on a phone it runs off the card): each becomes a button named for its page
("Open the case"), and the first is the message's one-click action from the inbox list.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The page a link opens, by URL name; any other page of the site is "Open".
LABELS: dict[str, Promise] = {
    "crisis:case": _("Open the case"),
    "crisis:acknowledge": _("Confirm you have read it"),
    "crisis:queues": _("Send help to the school"),
    "crisis:assignments": _("Open my assignments"),
    "counseling:mailbox_message": _("Read the message"),
    "counseling:booking_ics": _("Add to my calendar"),
    "screening:consent": _("Answer the consent request"),
    "screening:parent_form": _("Fill in the form"),
    "screening_short": _("Open the form"),
    "roster_import_detail": _("Open the import"),
}


def _pattern() -> re.Pattern[str]:
    return re.compile(re.escape(settings.SITE_URL.rstrip("/")) + r"(/[^\s<>\"'()]*)")


def split(text: str) -> list[str | tuple[str, str]]:
    """The text cut into plain parts and (path, label) links to this site's pages, in order."""
    parts: list[str | tuple[str, str]] = []
    last = 0
    for match in _pattern().finditer(text):
        path = match.group(1)
        if not is_page(path):
            continue
        parts.append(text[last : match.start()])
        parts.append((path, str(label(path))))
        last = match.end()
    parts.append(text[last:])
    return [p for p in parts if p != ""]


def first_page(text: str) -> str:
    """The path of the first page of this site the text links to (up to InboxMessage.link's 300 characters),
    or ""."""
    return next((p[0] for p in split(text) if isinstance(p, tuple) and len(p[0]) <= 300), "")


def is_page(path: str) -> bool:
    """A path of this site that names one of its pages (never another host: "//host" is refused)."""
    if not path.startswith("/") or path.startswith("//"):
        return False
    try:
        resolve(path.split("?", 1)[0])
    except Resolver404:
        return False
    return True


def label(path: str) -> Promise | str:
    try:
        match = resolve(path.split("?", 1)[0])
    except Resolver404:
        return pgettext_lazy("open a link", "Open")
    return LABELS.get(match.view_name, pgettext_lazy("open a link", "Open"))
