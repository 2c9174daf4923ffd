"""An inbox message's text with this site's links as buttons to their pages (portal.links)."""

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from portal import links

register = template.Library()


@register.filter
def message_body(text: str) -> SafeString:
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", (text or "").strip()):
        pieces: list[str] = []
        for part in links.split(paragraph):
            if isinstance(part, tuple):
                pieces.append(format_html('<a class="btn" href="{}">{}</a>', *part))
            else:
                pieces.append(str(escape(part)).replace("\n", "<br>"))
        paragraphs.append(format_html("<p>{}</p>", mark_safe("".join(pieces))))  # noqa: S308 - escaped above
    return mark_safe("".join(paragraphs))  # noqa: S308 - each paragraph built by format_html
