import base64
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import channels
from portal.demo import DEMO_PASSWORD, Demo, seed_demo, site_link

# Seeding runs Celery tasks inline: each would log a line ("Task ... succeeded", and the in-memory broker's
# "No hostname was supplied"), some 300 of them, burying what the newcomer needs. Failures still show.
_CHATTY = ("celery.app.trace", "kombu.connection")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in _CHATTY]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _shown(path: str) -> str:
    """The outbox file as the reader typed the command: relative to where they stand, when it is below it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


class Command(BaseCommand):
    help = "Load the demo district (idempotent: running it again changes nothing). Links use SITE_URL."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--language", choices=[code for code, _name in settings.LANGUAGES], default=settings.LANGUAGE_CODE,
            help="the language of what it prints",
        )  # fmt: skip

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        with translation.override(options["language"]):
            with _quiet():
                demo = seed_demo()
            self.stdout.write("\n".join(self._summary(demo)))

    def _summary(self, demo: Demo) -> list[str]:
        """What runs where, who signs in, what to try without an account, and where the messages went."""
        lines = [self.style.SUCCESS(_("Demo district ready: %(url)s") % {"url": site_link("/")})]
        lines.append(_("Sign in with (user name, password, role, where):"))
        width = max(len(login.username) for login in demo.logins)
        for login in demo.logins:
            lines.append(f"  {login.username.ljust(width)}  {DEMO_PASSWORD}  {login.role} — {login.where}")
        secret = base64.b32encode(bytes.fromhex(settings.DEMO_TOTP_KEY)).decode()
        lines.append(
            _("Staff then give a second-factor code: the demo shows it on that page (authenticator secret %(secret)s).")
            % {"secret": secret}
        )
        lines.append(_("To try:") if demo.lines else "")
        lines += [f"  {line.what} — {line.link}" for line in demo.lines]
        lines += self._messages()
        return [line for line in lines if line]

    def _messages(self) -> list[str]:
        """Where the e-mail and SMS the demo sends go, as settings.py and portal/channels.py decide."""
        outbox = _shown(settings.DEMO_OUTBOX) if settings.DEMO_OUTBOX else ""
        email = outbox if settings.EMAIL_BACKEND == "portal.channels.DemoOutboxEmailBackend" else ""
        sms = outbox if outbox and not settings.SMS_GATEWAY_URL else ""
        count = channels.demo_outbox_count()
        where = {"path": outbox, "count": count}
        if email and sms:
            return [
                ngettext(
                    "E-mail and SMS are not sent: they are written to %(path)s (%(count)d message so far).",
                    "E-mail and SMS are not sent: they are written to %(path)s (%(count)d messages so far).",
                    count,
                )
                % where
            ]
        if settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
            email = _("this console")
        lines = [_("E-mail goes to %(where)s.") % {"where": email or _("the server EMAIL_URL names")}]
        if settings.SMS_GATEWAY_URL:
            lines.append(_("SMS go to the gateway SMS_GATEWAY_URL names."))
        elif sms:
            lines.append(
                ngettext(
                    "SMS are not sent: they are written to %(path)s (%(count)d message so far).",
                    "SMS are not sent: they are written to %(path)s (%(count)d messages so far).",
                    count,
                )
                % where
            )
        else:
            lines.append(_("SMS are not sent: they are logged on this console."))
        return lines
