"""The API's JSON parser: DRF's, refusing a body too large or nested too deeply before it is decoded.

Python's json decoder recurses once per level of nesting: a thousand brackets (2 KB) exhaust the interpreter's
stack and raise RecursionError, a 500 on endpoints anyone may call (the token exchange, the kiosk's
submissions). DRF also reads a JSON body from the request stream, where DATA_UPLOAD_MAX_MEMORY_SIZE is never
checked. So the body is read up to API_JSON_MAX_BYTES, its nesting measured on the text and only then decoded.
No request of ours nests more than three levels.
"""

from __future__ import annotations

import json
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding  # type: ignore[attr-defined]  # (3.18; stubs 3.16)
from rest_framework.utils.json import strict_constant

_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_SQUARE = bytes.maketrans(b"{}", b"[]")  # an object nests like an array; the decoder checks the pairs later


def nested_deeper_than(text: str, depth: int) -> bool:
    """Do the arrays and objects of a JSON text nest more than `depth` levels? Without recursion and at the
    speed of bytes operations: the check runs before decoding, on any text at all.

    The brackets outside strings are kept, then every innermost pair removed, once per level: what is left
    after `depth` rounds nested deeper. A run of openers longer than the levels left ends it at once (the
    thousand brackets of the probe). Invalid text may come out either way: the decoder then refuses it.
    """
    # Escaped backslashes, then escaped quotes, go first: every quote left opens or closes a string, and the
    # text between them is dropped with its brackets.
    data = text.encode("utf-8", "surrogatepass").replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = b"".join(data.split(b'"')[::2]).translate(_SQUARE, _NOT_BRACKETS)
    for left in range(depth, 0, -1):
        if not brackets:
            return False
        if b"[" * (left + 1) in brackets:
            return True
        brackets = brackets.replace(b"[]", b"")
    return b"[]" in brackets


class BoundedJSONParser(JSONParser):
    """JSONParser, answering 400 to a body over API_JSON_MAX_BYTES or nested over API_JSON_MAX_DEPTH levels."""

    def parse(self, stream: IO[bytes] | None, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = get_encoding(parser_context)
        limit = settings.API_JSON_MAX_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(_("The request body is larger than %(limit)s bytes.") % {"limit": limit})
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(_("The request body is not valid %(encoding)s text.") % {"encoding": encoding}) from exc
        depth = settings.API_JSON_MAX_DEPTH
        if nested_deeper_than(text, depth):
            raise ParseError(_("The JSON in the request body is nested more than %(depth)s levels deep.") % {
                "depth": depth
            })  # fmt: skip
        try:
            return json.loads(text, parse_constant=strict_constant if self.strict else None)
        except json.JSONDecodeError as exc:
            raise ParseError(_("The request body is not valid JSON (line %(line)s, column %(column)s).") % {
                "line": exc.lineno, "column": exc.colno
            }) from exc  # fmt: skip
        except (ValueError, RecursionError) as exc:  # NaN or Infinity; RecursionError only if the count is wrong
            raise ParseError(_("The request body is not valid JSON.")) from exc
