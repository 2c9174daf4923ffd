from django.core.management.base import BaseCommand, CommandError

from portal import audit


class Command(BaseCommand):
    help = (
        "Audit log tools. `audit head` prints the chain's length and last hash (keep it outside the database); "
        "`audit verify [--anchor COUNT:HASH]` walks the chain and names the first broken link."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check every event's hash and its link to the previous one")
        verify.add_argument("--anchor", help="COUNT:HASH printed by `audit head` earlier")
        sub.add_parser("head", help="print COUNT:HASH of the chain as it is now")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if options["action"] == "head":
            count, last = audit.head()
            self.stdout.write(f"{count}:{last}")
            return
        anchor = None
        if options.get("anchor"):
            count, _, digest = options["anchor"].partition(":")
            if not count.isdigit() or len(digest) != 64:
                raise CommandError("--anchor must be COUNT:HASH as printed by `audit head`")
            anchor = (int(count), digest)
        checked, broken = audit.verify(anchor=anchor)
        if broken is not None:
            where = f"event #{broken.event_id}" if broken.event_id else "the end of the chain"
            raise CommandError(f"audit chain broken at {where}: {broken.reason} ({checked} events checked)")
        erased, _ = audit.chain_start()
        trimmed = f" (after {erased} older events erased under the retention policy)" if erased else ""
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {checked} events verified{trimmed}"))
