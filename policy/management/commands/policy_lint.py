"""policy_lint BRAND_SLUG [--channel HANDLE] [--category C] (TEXT | -) [--jsonl]

Prints {"blocked", "findings": [...]} as JSON. Exit 0 when not blocked, 1 when blocked,
2 on bad usage. With --jsonl, reads one JSON object a line from stdin
({"text", "channel"?, "category"?}) and writes one result a line, in order; a line that is not
valid input gets {"error": ...} in its place and the exit status is 2.
"""

import json
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from accounts.models import Brand, Channel
from policy.services import policy_ensure, policy_lint


class UsageError(Exception):
    pass


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("brand_slug")
        parser.add_argument("text", nargs="?", help="the post text, or - to read stdin")
        parser.add_argument("--channel", help="lint as for this channel handle (or platform)")
        parser.add_argument("--category", help="lint as for this category")
        parser.add_argument("--jsonl", action="store_true", help="lint a stream, one JSON a line")

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except UsageError as exc:
            sys.stderr.write(f"policy_lint: {exc}\n")
            sys.exit(2)

    def handle(self, *args, brand_slug, text, channel, category, jsonl, **options):
        brand = Brand.objects.filter(slug=brand_slug).first()
        if brand is None:
            raise UsageError(f"no brand with slug {brand_slug!r}")
        version = policy_ensure(brand=brand)
        channels = {c.handle.lower().lstrip("@"): c for c in Channel.objects.filter(brand=brand)}

        def resolve(handle):
            if handle in (None, ""):
                return None
            if not isinstance(handle, str):
                raise ValidationError("channel must be a string")
            return channels.get(handle.lower().lstrip("@"), handle)

        if jsonl:
            if text is not None:
                raise UsageError("give either TEXT or --jsonl, not both")
            sys.exit(self._stream(brand, version, resolve, channel, category))
        if text is None:
            raise UsageError("give the text to lint, or - to read it from stdin")
        if text == "-":
            text = sys.stdin.read()
        try:
            linted = policy_lint(
                brand=brand, text=text, channel=resolve(channel), category=category, version=version
            )
        except ValidationError as exc:
            raise UsageError(" ".join(exc.messages)) from exc
        self.stdout.write(json.dumps(linted.result.to_dict(), ensure_ascii=False))
        sys.exit(1 if linted.result.blocked else 0)

    def _stream(self, brand, version, resolve, default_channel, default_category) -> int:
        status = 0
        out = self.stdout
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise ValidationError('each line must be an object with a "text" string')
                category = item.get("category", default_category)
                if category is not None and not isinstance(category, str):
                    raise ValidationError("category must be a string")
                linted = policy_lint(
                    brand=brand,
                    text=item["text"],
                    channel=resolve(item.get("channel", default_channel)),
                    category=category,
                    version=version,
                )
            except (ValueError, ValidationError) as exc:
                messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
                out.write(json.dumps({"error": " ".join(messages)}))
                status = 2
                continue
            out.write(json.dumps(linted.result.to_dict(), ensure_ascii=False))
            if linted.result.blocked and status == 0:
                status = 1
        out.flush()
        return status
