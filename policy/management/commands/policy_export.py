from django.core.management.base import CommandError

from accounts.models import Brand
from config.commands import DatabaseCommand
from policy.engine import dump_policy_yaml
from policy.services import policy_ensure


class Command(DatabaseCommand):
    help = (
        "Print the brand's current policy as YAML (the format policy_import reads). "
        "Exit 2 when there is no such brand."
    )

    def add_arguments(self, parser):
        parser.add_argument("brand_slug")

    def handle(self, *args, brand_slug, **options):
        brand = Brand.objects.filter(slug=brand_slug).first()
        if brand is None:
            raise CommandError(f"No brand with slug {brand_slug!r}.", returncode=2)
        version = policy_ensure(brand=brand)
        self.stdout.write(dump_policy_yaml(version.rules), ending="")
