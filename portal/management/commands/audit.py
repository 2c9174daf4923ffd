from django.core.management.base import BaseCommand, CommandError

from portal import audit


class Command(BaseCommand):
    help = "Audit log tools. `audit verify` walks the hash chain and names the first broken link."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check every event's hash and its link to the previous one")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        checked, broken = audit.verify()
        if broken is not None:
            raise CommandError(
                f"audit chain broken at event #{broken.event_id}: {broken.reason} "
                f"({checked} events before it are intact)"
            )
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {checked} events verified"))
