import sys

import yaml
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from accounts.models import Brand
from config.commands import DatabaseCommand
from policy import services as policy_services
from policy.engine.schema import PolicyFormatError, decode_policy_bytes
from policy.services import policy_import


class Command(DatabaseCommand):
    help = (
        "Import a YAML policy file as the brand's next policy version ('-' reads stdin). "
        "Exit 0 when imported; 2 when nothing is imported: the file is refused (with the line "
        "and column), cannot be read, or there is no such brand."
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
        limit = policy_services.MAX_POLICY_BYTES
        try:
            if file == "-":
                stdin = getattr(sys.stdin, "buffer", None)
                raw = stdin.read(limit + 1) if stdin is not None else sys.stdin.read(limit + 1)
            else:
                with open(file, "rb") as handle:
                    raw = handle.read(limit + 1)
        except OSError as exc:
            raise CommandError(f"{file}: cannot read: {exc.strerror or exc}", returncode=2) from exc
        if len(raw) > limit:
            raise CommandError(
                f"{file}: the policy file is larger than {limit // 1_000_000} MB "
                "(nothing was imported)",
                returncode=2,
            )
        if isinstance(raw, bytes):
            try:
                text = decode_policy_bytes(raw)
            except PolicyFormatError as exc:
                raise CommandError(f"{file}: {exc} (nothing was imported)", returncode=2) from exc
        else:
            text = raw
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
        except yaml.YAMLError as exc:  # the parser's own refusals, should any get through
            raise CommandError(
                f"{file}: {_where(text, exc)}not valid YAML: "
                f"{getattr(exc, 'problem', None) or exc} (nothing was imported)",
                returncode=2,
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(version.rules)} rules as {brand.slug} policy v{version.number}."
            )
        )


def _where(text: str, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: "
    position = getattr(exc, "position", None)  # a ReaderError: an unacceptable character
    if isinstance(position, int) and 0 <= position <= len(text):
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        return f"line {line}, column {column}: "
    return ""
