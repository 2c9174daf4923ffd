"""The API's JSON parser: DRF's, refusing a body too large or nested too deeply before it is decoded.

Python's json decoder recurses once per level of nesting: a thousand brackets (2 KB) exhaust the interpreter's
stack and raise RecursionError, a 500 on endpoints anyone may call (the token exchange, the kiosk's
submissions). DRF also reads a JSON body from the request stream, where DATA_UPLOAD_MAX_MEMORY_SIZE is never
checked. So the body is read up to API_JSON_MAX_BYTES, its nesting measured on the text (strings removed, then
the brackets counted) and only then decoded. No request of ours nests more than a few levels.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding  # type: ignore[attr-defined]  # (3.18; stubs 3.16)
from rest_framework.utils.json import strict_constant

# A JSON string (its brackets are text, not structure). Possessive, so an unterminated one fails in one pass.
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_depth(text: str) -> int:
    """How deeply the arrays and objects of a JSON text nest (0 for a bare value). Linear in the text's length,
    without recursion: run before decoding, on text that may not be JSON at all."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


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
        if nesting_depth(text) > depth:
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
