"""Sending one rendered message through one channel: e-mail (SMTP), SMS (an HTTP gateway), the inbox.

Each sender raises TransientError (worth retrying: network, timeouts, 4xx SMTP, 5xx/429 from the gateway)
or PermanentError (retrying cannot help: a refused address, a 4xx from the gateway, nothing configured).

The SMS gateway contract (docs: README, "SMS gateway"): POST SMS_GATEWAY_URL with JSON
    {"to": "13800000000", "text": "...", "language": "zh-hans", "idempotency_key": "<notification-7.sms@...>"}
and headers Authorization: Bearer SMS_GATEWAY_TOKEN and Idempotency-Key (the same key). Any 2xx means
accepted. A district puts its provider behind a small adapter that speaks this.

The demo (`make demo` sets DEMO_OUTBOX) sends nothing: e-mail and SMS are appended as plain text to that one file.
"""

from __future__ import annotations

import json
import logging
import smtplib
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

logger = logging.getLogger(__name__)


class TransientError(Exception):
    pass


class PermanentError(Exception):
    pass


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    sms: str
    message_id: str
    language: str


def send_email(address: str, message: Message) -> None:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Message-ID": message.message_id, "Content-Language": message.language},
    )
    try:
        get_connection(timeout=settings.EMAIL_TIMEOUT).send_messages([email])
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError("SMTPRecipientsRefused") from exc
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentError(f"SMTP {exc.smtp_code}") from exc
        raise TransientError(f"SMTP {exc.smtp_code}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientError(type(exc).__name__) from exc


def send_sms(address: str, message: Message) -> None:
    url = settings.SMS_GATEWAY_URL
    if not url:
        if settings.PRODUCTION:
            raise PermanentError("SMS_GATEWAY_URL is not configured")
        if settings.DEMO_OUTBOX:
            demo_outbox_write(channel="SMS", to=address, subject="", text=message.sms)
            return
        logger.info("SMS to %s****%s (no gateway configured, demo): %s", address[:3], address[-4:], message.sms)
        return
    payload = {"to": address, "text": message.sms, "language": message.language, "idempotency_key": message.message_id}
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}",
            "Idempotency-Key": message.message_id,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.SMS_GATEWAY_TIMEOUT):  # noqa: S310
            return
    except urllib.error.HTTPError as exc:
        if exc.code in (408, 429) or exc.code >= 500:
            raise TransientError(f"gateway HTTP {exc.code}") from exc
        raise PermanentError(f"gateway HTTP {exc.code}") from exc
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        raise TransientError(type(exc).__name__) from exc


# --- the demo's outbox ---------------------------------------------------------------------------------------
# One file rather than the console: seeding the demo asks hundreds of guardians for consent, and a newcomer should
# find those messages (and the links in them) in one place without losing the demo's own output among them.
# Plain text, not the MIME of Django's file backend (a file per connection, encoded subjects): a message reads as
# the recipient would read it, in Chinese.
# settings.py refuses DEMO_OUTBOX in production.

DEMO_OUTBOX_MARK = "===="  # opens each message in the file

# runserver answers each request in a thread of its own: a message is written whole, never interleaved.
_demo_outbox_lock = threading.Lock()


def demo_outbox_write(*, channel: str, to: str, subject: str, text: str) -> None:
    """Append one message to the demo's outbox file (settings.DEMO_OUTBOX)."""
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
    lines = [f"{DEMO_OUTBOX_MARK} {stamp} {channel} to {to}", *([f"Subject: {subject}"] if subject else []), text]
    path = Path(settings.DEMO_OUTBOX)
    with _demo_outbox_lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as outbox:
            outbox.write("\n".join(lines).rstrip() + "\n\n")


def demo_outbox_count() -> int:
    """How many messages the demo's outbox file holds (0 without one)."""
    path = Path(settings.DEMO_OUTBOX) if settings.DEMO_OUTBOX else None
    if path is None or not path.exists():
        return 0
    with path.open(encoding="utf-8") as outbox:
        return sum(line.startswith(DEMO_OUTBOX_MARK + " ") for line in outbox)


class DemoOutboxEmailBackend(BaseEmailBackend):
    """The demo's e-mail backend (settings.py picks it when DEMO_OUTBOX is set and EMAIL_URL is not)."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for email in email_messages:
            demo_outbox_write(
                channel="E-mail", to=", ".join(email.to), subject=str(email.subject), text=str(email.body)
            )
        return len(email_messages)
