"""Request bodies of the review actions: only their own fields, anything else is a 400."""

from __future__ import annotations

from django.utils.translation import ngettext
from rest_framework import serializers

from planner.models import (
    MAX_REASON_CHARS,
)
from planner.posts.serializers import CONTENT_HASH, StrictCharField


class StrictInput(serializers.Serializer):
    """A request body that may carry only the serializer's own fields: anything else (a
    forged ``status``, say) is a 400 that names it."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unexpected = sorted(
                str(name).encode("utf-8", "replace").decode("utf-8")[:40]
                for name in set(data) - set(self.fields)
            )
            if unexpected:
                raise serializers.ValidationError(
                    {
                        "non_field_errors": [
                            ngettext(
                                "Unexpected field: %s.", "Unexpected fields: %s.", len(unexpected)
                            )
                            % ", ".join(unexpected)[:200]
                        ]
                    }
                )
        return super().to_internal_value(data)


class SubmitSerializer(StrictInput):
    pass


class ApproveSerializer(StrictInput):
    content_hash = StrictCharField(
        max_length=64,
        required=False,
        validators=[CONTENT_HASH],
        help_text="The content hash of the version you reviewed; a 409 if the post changed.",
    )


class RejectSerializer(StrictInput):
    reason = StrictCharField(max_length=MAX_REASON_CHARS)
