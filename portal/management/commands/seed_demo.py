from django.core.management.base import BaseCommand

from portal.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Load the demo district (idempotent: running it again changes nothing)."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        logins = seed_demo()
        self.stdout.write(self.style.SUCCESS("Demo district ready. Sign in at http://127.0.0.1:8000/ with:"))
        width = max(len(login.username) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.username.ljust(width)}  {DEMO_PASSWORD}   {login.role} — {login.where}")
