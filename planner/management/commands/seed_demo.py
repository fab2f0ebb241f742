from django.conf import settings
from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from planner.demo import demo_seed


class Command(BaseCommand):
    help = "Load the demo brands, people, channels, policy and posts (idempotent)."

    def handle(self, *args, **options):
        # The demo's own notifications stay in the app; emailing them would only flood the
        # console of `make run`.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            result = demo_seed(password=settings.COUNTERSIGN["DEMO_PASSWORD"])
        names = ", ".join(brand.slug for brand in result["brands"])
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: brands {names}"))
