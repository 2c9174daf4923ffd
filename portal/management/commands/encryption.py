from django.core.management.base import BaseCommand

from portal import encryption


class Command(BaseCommand):
    help = (
        "Field encryption tools. `encryption rotate` re-encrypts every value with the first FIELD_ENCRYPTION_KEYS key."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rotate", help="re-encrypt every encrypted value with the newest key")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        for field, count in encryption.rotate_all().items():
            self.stdout.write(f"{field}: {count} values re-encrypted")
        self.stdout.write(
            self.style.SUCCESS("rotation done: the old key can now be removed from FIELD_ENCRYPTION_KEYS")
        )
