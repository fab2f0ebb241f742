"""Validation shared by the post and review services: clean input, the channel's brand and
role, the platform's length, the row lock.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import permissions
from accounts.models import Brand, Channel, User
from accounts.permissions import Action
from planner.counting import CharCount, count_characters
from planner.models import (
    Campaign,
    Category,
    Post,
)

#: The furthest ahead a post may be scheduled.
MAX_SCHEDULE_AHEAD = dt.timedelta(days=366 * 5)

#: A move to a time this little in the past is taken as "now" (forms keep whole minutes).
PAST_GRACE = dt.timedelta(minutes=1)


def check_not_past(scheduled_at: dt.datetime | None, grace: dt.timedelta = PAST_GRACE) -> None:
    """A post cannot be given a time that has passed (``grace``: how long ago still counts as
    "now"; a minute for a move, whose form keeps whole minutes)."""
    if scheduled_at is not None and scheduled_at < timezone.now() - grace:
        raise ValidationError(
            {
                "scheduled_at": "That time has already passed: a post cannot be scheduled "
                "in the past. Pick a time from now on, or clear the time to keep it as an "
                "undated draft."
            },
            code="past",
        )


# --- validation helpers ------------------------------------------------------------------


def clean_string(value, *, field: str, label: str, max_chars: int, required: bool = True) -> str:
    """The string exactly as given (never stripped), or a ValidationError naming ``field``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: f"{label} must be text."})
    if "\x00" in value:
        raise ValidationError({field: f"{label} cannot contain NUL characters."})
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            {field: f"{label} is not valid Unicode (a lone surrogate)."}
        ) from None
    if required and not value.strip():
        raise ValidationError({field: f"{label} cannot be empty."})
    if len(value) > max_chars:
        raise ValidationError(
            {field: f"{label} is {len(value):,} characters; the most allowed is {max_chars:,}."}
        )
    return value


def clean_category(category) -> str:
    if category not in Category.values:
        raise ValidationError(
            {"category": f"Choose one of: {', '.join(Category.values)}."}, code="invalid_choice"
        )
    return str(category)


def clean_scheduled_at(value) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        raise ValidationError({"scheduled_at": "Give a date and time."})
    if timezone.is_naive(value):
        raise ValidationError(
            {"scheduled_at": "The time needs a time zone (an offset such as +01:00, or Z)."}
        )
    value = value.astimezone(dt.UTC)
    if value > timezone.now() + MAX_SCHEDULE_AHEAD:
        raise ValidationError({"scheduled_at": "That is more than five years ahead."})
    if value.year < 2000:
        raise ValidationError({"scheduled_at": "That date is too far in the past."})
    return value


def clean_campaign(campaign: Campaign | None, *, brand: Brand) -> Campaign | None:
    if campaign is not None and campaign.brand_id != brand.pk:
        raise ValidationError({"campaign": "That campaign belongs to another brand."})
    return campaign


def character_count(text: str, channel: Channel, *, reply: bool = False) -> CharCount:
    """The text's length on the channel's platform, against its limit (the instance's own
    ``max_characters`` where the platform lets the instance set it, e.g. Mastodon; with
    ``reply``, a comment's limit where the platform's differs from a post's)."""
    from platforms.registry import PLATFORMS

    client = PLATFORMS.get(channel.platform)
    max_characters = channel.max_characters if client and client.limit_from_instance else None
    if reply and client and client.reply_text_limit:
        max_characters = min(max_characters or client.reply_text_limit, client.reply_text_limit)
    return count_characters(text, channel.platform, max_characters=max_characters or None)


def check_length(text: str, channel: Channel) -> None:
    count = character_count(text, channel)
    if not count.over:
        return
    where = f"{channel.handle} ({channel.get_platform_display()})"
    if count.limit is not None and count.length > count.limit:
        message = (
            f"Too long for {where}: {count.length:,} characters, the limit is {count.limit:,} "
            f"({count.length - count.limit:,} over)."
        )
    else:
        message = (
            f"Too long for {where}: {count.byte_length:,} bytes, the limit is "
            f"{count.byte_limit:,} bytes."
        )
    raise ValidationError({"text": message}, code="too_long")


def check_channel(channel: Channel, *, brand: Brand, actor: User) -> None:
    if channel.brand_id != brand.pk:
        raise ValidationError(
            {
                "channel": "That channel belongs to another brand. Posts never move between "
                "brands: copy the post to that channel instead."
            },
            code="other_brand",
        )
    permissions.require(actor, Action.DRAFT, channel)


def lock_post(post: Post) -> Post:
    return (
        Post.objects.select_for_update(of=("self",))
        .select_related("brand", "channel", "channel__brand", "campaign")
        .get(pk=post.pk)
    )
