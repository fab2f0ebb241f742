import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Brand
from policy.services import policy_import


class Command(BaseCommand):
    help = (
        "Import a YAML policy file as the brand's next policy version ('-' reads stdin). "
        "Exits 0 when imported, 2 when refused (nothing is imported)."
    )

    def add_arguments(self, parser):
        parser.add_argument("brand_slug")
        parser.add_argument("file", help="path to the YAML file, or - for standard input")
        parser.add_argument("--note", default="", help="a note kept with the version")
        parser.add_argument(
            "--requires-recertification",
            action="store_true",
            help="certifications earned on earlier versions lapse",
        )

    def handle(self, *args, brand_slug, file, note, requires_recertification, **options):
        brand = Brand.objects.filter(slug=brand_slug).first()
        if brand is None:
            raise CommandError(f"No brand with slug {brand_slug!r}.", returncode=2)
        try:
            if file == "-":
                text = sys.stdin.read()
            else:
                with open(file, encoding="utf-8") as handle:
                    text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: cannot read: {exc}", returncode=2) from exc
        try:
            version = policy_import(
                brand=brand,
                yaml_text=text,
                actor=None,
                note=note,
                requires_recertification=requires_recertification,
            )
        except ValidationError as exc:
            raise CommandError(
                f"{file}: {' '.join(exc.messages)} (nothing was imported)", returncode=2
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(version.rules)} rules as {brand.slug} policy v{version.number}."
            )
        )
