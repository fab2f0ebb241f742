from django.conf import settings
from django.core.management.base import CommandError
from django.test.utils import override_settings

from config.commands import DatabaseCommand
from planner.demo import demo_seed


class Command(DatabaseCommand):
    help = (
        "Load the demo brands, people, channels, policy and posts (idempotent). Creates the "
        "demo users only where missing and never changes an existing user's password. "
        "Refuses to run with DEBUG off unless given --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even with DEBUG off (a production database): adds the demo brands and "
            "any missing demo users, with the demo password",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo is for development: DEBUG is off, so this looks like a production "
                "database. It would add the demo brands and demo users with the public demo "
                "password. Nothing was changed. Run it again with --force if you mean it.",
                returncode=2,
            )
        # The demo's own notifications stay in the app; emailing them would only flood the
        # console of `make run`.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            result = demo_seed(password=settings.COUNTERSIGN["DEMO_PASSWORD"])
        names = ", ".join(brand.slug for brand in result["brands"])
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: brands {names}"))
        kept = result.get("kept") or []
        if kept:
            self.stdout.write(
                f"{len(kept)} demo user(s) already existed and were left as they were "
                f"(passwords unchanged): {', '.join(kept)}"
            )
