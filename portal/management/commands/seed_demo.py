import base64

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Load the demo district (idempotent: running it again changes nothing)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="where the demo will be served")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        logins = seed_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo district ready. Sign in at {options['url']} with:"))
        width = max(len(login.username) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.username.ljust(width)}  {DEMO_PASSWORD}   {login.role} — {login.where}")
        self.stdout.write(
            "Staff accounts then ask for a second-factor code: the demo shows the current one on that page\n"
            f"(or add the secret {base64.b32encode(bytes.fromhex(settings.DEMO_TOTP_KEY)).decode()} "
            "to an authenticator app)."
        )
