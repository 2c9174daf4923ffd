"""Short codes people type (a child's screening or booking code, a mailbox reply code, a certificate's
verification code), and the keyed digests they are looked up by."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed by children


def new_code(length: int = 8, *, group: int = 4) -> str:
    """A random code from ALPHABET, grouped with dashes for reading aloud (group=0: no dashes)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(length))
    if not group:
        return raw
    return "-".join(raw[i : i + group] for i in range(0, length, group))


def normalise(code: str) -> str:
    """What a person typed, as stored: upper case, letters and digits only."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def digest(purpose: str, code: str) -> str:
    """A keyed digest of a code for one purpose: the table can be searched by it, and a stolen table does not
    give the codes away without the server's secret."""
    key = hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, normalise(code).encode(), hashlib.sha256).hexdigest()
