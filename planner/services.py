"""Writes for the planner: posts, revisions, comments, media, campaigns and calendar feeds.

Services are keyword-only, typed, atomic, and validate everything before they save. Who may
do what is asked of ``accounts.permissions``; status moves go through ``planner.lifecycle``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from accounts import permissions
from accounts.models import Brand, Channel, Platform, User
from accounts.permissions import Action
from accounts.services import audit_record
from config.api import Conflict
from planner import lifecycle, selectors
from planner import media as media_rules
from planner.content import content_fingerprint, fingerprint
from planner.counting import CharCount, count_characters
from planner.models import (
    MAX_ALT_TEXT_CHARS,
    MAX_COMMENT_CHARS,
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    CalendarFeed,
    Campaign,
    Category,
    Comment,
    Media,
    Post,
    PostGroup,
    Revision,
)


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


#: Default of every optional field of :func:`post_update`: "leave this as it is".
UNCHANGED = _Unchanged()

#: The furthest ahead a post may be scheduled.
MAX_SCHEDULE_AHEAD = dt.timedelta(days=366 * 5)


@dataclass(frozen=True)
class MediaUpload:
    """A file to attach, with its alt text (required for images)."""

    file: UploadedFile
    alt_text: str = ""


@dataclass(frozen=True)
class _CheckedMedia:
    upload: MediaUpload
    mime_type: str
    size: int
    alt_text: str


# --- validation helpers ------------------------------------------------------------------


def _clean_string(value, *, field: str, label: str, max_chars: int, required: bool = True) -> str:
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


def _clean_category(category) -> str:
    if category not in Category.values:
        raise ValidationError(
            {"category": f"Choose one of: {', '.join(Category.values)}."}, code="invalid_choice"
        )
    return str(category)


def _clean_scheduled_at(value) -> dt.datetime | None:
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


def _clean_campaign(campaign: Campaign | None, *, brand: Brand) -> Campaign | None:
    if campaign is not None and campaign.brand_id != brand.pk:
        raise ValidationError({"campaign": "That campaign belongs to another brand."})
    return campaign


def character_count(text: str, channel: Channel) -> CharCount:
    """The text's length on the channel's platform, against its limit (the instance's own
    ``max_characters`` for Mastodon)."""
    max_characters = channel.max_characters if channel.platform == Platform.MASTODON else None
    return count_characters(text, channel.platform, max_characters=max_characters or None)


def _check_length(text: str, channel: Channel) -> None:
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


def _check_channel(channel: Channel, *, brand: Brand, actor: User) -> None:
    if channel.brand_id != brand.pk:
        raise ValidationError(
            {
                "channel": "That channel belongs to another brand. Posts never move between "
                "brands: copy the post to that channel instead."
            },
            code="other_brand",
        )
    permissions.require(actor, Action.DRAFT, channel)


def _check_media(
    uploads: Sequence[MediaUpload], channels: Sequence[Channel]
) -> list[_CheckedMedia]:
    """Type (read from the bytes), size and alt text of each upload, for every channel."""
    checked = []
    for index, upload in enumerate(uploads, start=1):
        name = (upload.file.name or f"file {index}")[:255]
        size = upload.file.size or 0
        if size <= 0:
            raise ValidationError({"media": f"{name} is empty."})
        if size > media_rules.MAX_UPLOAD_BYTES:
            raise ValidationError({"media": f"{name} is larger than any platform accepts."})
        upload.file.seek(0)
        head = upload.file.read(32)
        upload.file.seek(0)
        mime = media_rules.sniff_mime(head)
        if mime is None:
            raise ValidationError(
                {"media": f"{name} is not an image or video type Countersign can send."}
            )
        alt_text = _clean_string(
            upload.alt_text,
            field="alt_text",
            label="Alt text",
            max_chars=MAX_ALT_TEXT_CHARS,
            required=media_rules.kind_of(mime) == "image",
        )
        for channel in channels:
            limits = media_rules.limits_for(channel.platform)
            allowed = limits.types.get(mime)
            if allowed is None:
                raise ValidationError(
                    {
                        "media": f"{channel.handle} ({channel.get_platform_display()}) does not "
                        f"accept {mime}. It accepts {media_rules.describe(limits)}."
                    }
                )
            if size > allowed:
                raise ValidationError(
                    {
                        "media": f"{name} is {size:,} bytes; {channel.handle} "
                        f"({channel.get_platform_display()}) accepts {mime} "
                        f"up to {allowed:,} bytes."
                    }
                )
        checked.append(_CheckedMedia(upload=upload, mime_type=mime, size=size, alt_text=alt_text))
    for channel in channels:
        limits = media_rules.limits_for(channel.platform)
        if len(checked) > limits.max_items:
            raise ValidationError(
                {"media": f"{channel.handle} takes at most {limits.max_items} attachments."}
            )
    return checked


def _store(checked: _CheckedMedia) -> str:
    upload = checked.upload.file
    upload.seek(0)
    today = timezone.now()
    extension = media_rules.EXTENSIONS.get(checked.mime_type, "")
    # A random name: the uploader's file name is kept only as a label (original_name).
    return default_storage.save(f"posts/{today:%Y/%m}/{secrets.token_hex(12)}{extension}", upload)


def _media_summary(post: Post) -> str:
    return "\n".join(
        f"[{m.kind} {m.original_name or m.pk}] alt: {m.alt_text}" for m in post.media.order_by("pk")
    )


def _write_revision(post: Post, *, editor: User | None) -> Revision:
    """Snapshot the post as it is now as its next revision (the row is locked by the caller)."""
    post.revision += 1
    post.content_hash = content_fingerprint(post)
    post.save(update_fields=["revision", "content_hash", "updated_at"])
    return Revision.objects.create(
        post=post,
        number=post.revision,
        text=post.text,
        channel_id=post.channel_id,
        category=post.category,
        scheduled_at=post.scheduled_at,
        campaign_id=post.campaign_id,
        media_summary=_media_summary(post),
        content_hash=post.content_hash,
        editor=editor,
    )


# --- campaigns ---------------------------------------------------------------------------


@transaction.atomic
def campaign_create(
    *,
    brand: Brand,
    actor: User,
    name: str,
    colour: str = "",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> Campaign:
    if not (
        permissions.has_perm(actor, Action.DRAFT, brand)
        or permissions.has_perm(actor, Action.ADMIN, brand)
    ):
        permissions.require(actor, Action.DRAFT, brand)
    name = _clean_string(name, field="name", label="The name", max_chars=MAX_NAME_CHARS)
    campaign = Campaign(
        brand=brand,
        name=name,
        colour=colour or "",
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor,
    )
    campaign.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            campaign.save()
    except IntegrityError as exc:
        raise Conflict("The brand already has a campaign with that name.") from exc
    audit_record(action="campaign.created", actor=actor, brand=brand, obj=campaign)
    return campaign


# --- posts -------------------------------------------------------------------------------


def _new_post(
    *,
    brand: Brand,
    actor: User,
    channel: Channel,
    group: PostGroup,
    text: str,
    category: str,
    scheduled_at: dt.datetime | None,
    campaign: Campaign | None,
    media: Sequence[dict],
    action: str = "post.created",
    audit_data: dict | None = None,
) -> Post:
    post = Post(
        brand=brand,
        channel=channel,
        group=group,
        author=actor,
        last_editor=actor,
        text=text,
        category=category,
        campaign=campaign,
        scheduled_at=scheduled_at,
        content_hash=fingerprint(text=text, channel_id=channel.pk, category=category),
    )
    post.full_clean(exclude=["group", "author", "last_editor"])
    post.save()
    Media.objects.bulk_create(Media(post=post, **fields) for fields in media)
    _write_revision(post, editor=actor)
    audit_record(
        action=action,
        actor=actor,
        brand=brand,
        obj=post,
        data={"channel": channel.pk, "content_hash": post.content_hash, **(audit_data or {})},
    )
    return post


@transaction.atomic
def post_compose(
    *,
    brand: Brand,
    actor: User,
    channels: Sequence[Channel],
    text: str,
    category: str,
    scheduled_at: dt.datetime | None = None,
    campaign: Campaign | None = None,
    media: Sequence[MediaUpload] = (),
) -> list[Post]:
    """Compose once, one draft per channel, siblings in one group. All or nothing."""
    channels = list(dict.fromkeys(channels))
    if not channels:
        raise ValidationError({"channels": "Pick at least one channel."})
    text = _clean_string(text, field="text", label="The post", max_chars=MAX_TEXT_CHARS)
    category = _clean_category(category)
    scheduled_at = _clean_scheduled_at(scheduled_at)
    campaign = _clean_campaign(campaign, brand=brand)
    for channel in channels:
        _check_channel(channel, brand=brand, actor=actor)
    errors = []
    for channel in channels:
        try:
            _check_length(text, channel)
        except ValidationError as exc:
            errors.extend(exc.message_dict["text"])
    if errors:
        raise ValidationError({"text": errors}, code="too_long")
    stored = [
        {
            "file": _store(item),
            "kind": media_rules.kind_of(item.mime_type),
            "mime_type": item.mime_type,
            "size": item.size,
            "alt_text": item.alt_text,
            "original_name": (item.upload.file.name or "")[:255],
        }
        for item in _check_media(media, channels)
    ]
    group = PostGroup.objects.create(brand=brand, created_by=actor)
    return [
        _new_post(
            brand=brand,
            actor=actor,
            channel=channel,
            group=group,
            text=text,
            category=category,
            scheduled_at=scheduled_at,
            campaign=campaign,
            media=stored,
        )
        for channel in channels
    ]


def post_create(
    *,
    brand: Brand,
    actor: User,
    channel: Channel,
    text: str,
    category: str,
    scheduled_at: dt.datetime | None = None,
    campaign: Campaign | None = None,
    media: Sequence[MediaUpload] = (),
) -> Post:
    """One draft for one channel (its own group)."""
    return post_compose(
        brand=brand,
        actor=actor,
        channels=[channel],
        text=text,
        category=category,
        scheduled_at=scheduled_at,
        campaign=campaign,
        media=media,
    )[0]


def _lock(post: Post) -> Post:
    return (
        Post.objects.select_for_update(of=("self",))
        .select_related("brand", "channel", "channel__brand", "campaign")
        .get(pk=post.pk)
    )


@transaction.atomic
def post_update(
    *,
    post: Post,
    actor: User,
    text: str | _Unchanged = UNCHANGED,
    channel: Channel | _Unchanged = UNCHANGED,
    category: str | _Unchanged = UNCHANGED,
    scheduled_at: dt.datetime | _Unchanged | None = UNCHANGED,
    campaign: Campaign | _Unchanged | None = UNCHANGED,
) -> Post:
    """Edit a post: every change is a new revision and a new content hash.

    Content (text, channel, category, campaign) may change only in an editable state; the
    time only in a reschedulable one. The channel may change only within the post's brand.
    """
    post = _lock(post)
    brand = post.brand
    permissions.require(actor, Action.DRAFT, post.channel)
    changes: dict[str, object] = {}
    if text is not UNCHANGED:
        text = _clean_string(text, field="text", label="The post", max_chars=MAX_TEXT_CHARS)
        if text != post.text:
            changes["text"] = text
    if channel is not UNCHANGED:
        if channel is None:
            raise ValidationError({"channel": "A post needs a channel."})
        if channel.pk != post.channel_id:
            _check_channel(channel, brand=brand, actor=actor)
            changes["channel"] = channel
    if category is not UNCHANGED:
        category = _clean_category(category)
        if category != post.category:
            changes["category"] = category
    if campaign is not UNCHANGED:
        campaign = _clean_campaign(campaign, brand=brand)
        if (campaign.pk if campaign else None) != post.campaign_id:
            changes["campaign"] = campaign
    if scheduled_at is not UNCHANGED:
        scheduled_at = _clean_scheduled_at(scheduled_at)
        if scheduled_at != post.scheduled_at:
            changes["scheduled_at"] = scheduled_at
    if not changes:
        return post
    content = set(changes) - {"scheduled_at"}
    if content and not lifecycle.is_editable(post):
        raise lifecycle.TransitionRefused(
            f"A post that is {post.get_status_display().lower()} cannot be edited.",
            code="not_editable",
        )
    if "scheduled_at" in changes and not lifecycle.is_reschedulable(post):
        raise lifecycle.TransitionRefused(
            f"A post that is {post.get_status_display().lower()} cannot be rescheduled.",
            code="not_reschedulable",
        )
    target = changes.get("channel", post.channel)
    if "text" in changes or "channel" in changes:
        _check_length(changes.get("text", post.text), target)
    if "channel" in changes:
        _check_media_for_channel(post, target)
    before = {key: _audit_value(getattr(post, key)) for key in changes}
    for key, value in changes.items():
        setattr(post, key, value)
    post.last_editor = actor
    post.full_clean(exclude=["group", "author", "last_editor"])
    post.save()
    _write_revision(post, editor=actor)
    audit_record(
        action="post.rescheduled" if not content else "post.edited",
        actor=actor,
        brand=brand,
        obj=post,
        data={
            "revision": post.revision,
            "content_hash": post.content_hash,
            "changes": {key: [before[key], _audit_value(value)] for key, value in changes.items()},
        },
    )
    return post


def _audit_value(value) -> str | int | None:
    if value is None:
        return None
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _check_media_for_channel(post: Post, channel: Channel) -> None:
    limits = media_rules.limits_for(channel.platform)
    items = list(post.media.all())
    if len(items) > limits.max_items:
        raise ValidationError(
            {"channel": f"{channel.handle} takes at most {limits.max_items} attachments."}
        )
    for item in items:
        allowed = limits.types.get(item.mime_type)
        if allowed is None or item.size > allowed:
            raise ValidationError(
                {
                    "channel": f"{channel.handle} does not accept the attachment "
                    f"{item.original_name or item.pk} ({item.mime_type}, {item.size:,} bytes)."
                }
            )


def post_reschedule(*, post: Post, actor: User, scheduled_at: dt.datetime | None) -> Post:
    """Move a post to another time (the calendar's drag and drop): a revision of its own."""
    return post_update(post=post, actor=actor, scheduled_at=scheduled_at)


@transaction.atomic
def post_copy(*, post: Post, actor: User, channel: Channel) -> Post:
    """A new draft of the post's content on ``channel``, in that channel's brand.

    The original stays where it is: posts never move between brands, and the copy needs its
    own approvals. The campaign is kept only within the same brand.
    """
    if not permissions.has_perm(actor, Action.VIEW, post.brand):
        raise Http404("No such post.")
    brand = channel.brand
    _check_channel(channel, brand=brand, actor=actor)
    _check_length(post.text, channel)
    _check_media_for_channel(post, channel)
    group = PostGroup.objects.create(brand=brand, created_by=actor)
    return _new_post(
        brand=brand,
        actor=actor,
        channel=channel,
        group=group,
        text=post.text,
        category=post.category,
        scheduled_at=post.scheduled_at,
        campaign=post.campaign if post.brand_id == brand.pk else None,
        media=[
            {
                "file": item.file.name,
                "kind": item.kind,
                "mime_type": item.mime_type,
                "size": item.size,
                "alt_text": item.alt_text,
                "original_name": item.original_name,
            }
            for item in post.media.order_by("pk")
        ],
        action="post.copied",
        audit_data={"from_post": post.pk, "from_brand": post.brand_id},
    )


# --- media -------------------------------------------------------------------------------


@transaction.atomic
def media_attach(*, post: Post, actor: User, upload: MediaUpload) -> Media:
    post = _lock(post)
    permissions.require(actor, Action.DRAFT, post.channel)
    if not lifecycle.is_editable(post):
        raise lifecycle.TransitionRefused(
            f"A post that is {post.get_status_display().lower()} cannot be edited.",
            code="not_editable",
        )
    (checked,) = _check_media([upload], [post.channel])
    limits = media_rules.limits_for(post.channel.platform)
    if post.media.count() + 1 > limits.max_items:
        raise ValidationError(
            {"media": f"{post.channel.handle} takes at most {limits.max_items} attachments."}
        )
    item = Media.objects.create(
        post=post,
        file=_store(checked),
        kind=media_rules.kind_of(checked.mime_type),
        mime_type=checked.mime_type,
        size=checked.size,
        alt_text=checked.alt_text,
        original_name=(upload.file.name or "")[:255],
    )
    post.last_editor = actor
    post.save(update_fields=["last_editor", "updated_at"])
    _write_revision(post, editor=actor)
    audit_record(
        action="post.media_added",
        actor=actor,
        brand=post.brand,
        obj=post,
        data={"media": item.pk, "revision": post.revision, "content_hash": post.content_hash},
    )
    return item


@transaction.atomic
def media_remove(*, post: Post, actor: User, media_id: int) -> None:
    post = _lock(post)
    permissions.require(actor, Action.DRAFT, post.channel)
    if not lifecycle.is_editable(post):
        raise lifecycle.TransitionRefused(
            f"A post that is {post.get_status_display().lower()} cannot be edited.",
            code="not_editable",
        )
    deleted, _ = Media.objects.filter(post=post, pk=media_id).delete()
    if not deleted:
        raise ValidationError({"media": "That attachment is not on this post."})
    post.last_editor = actor
    post.save(update_fields=["last_editor", "updated_at"])
    _write_revision(post, editor=actor)
    audit_record(
        action="post.media_removed",
        actor=actor,
        brand=post.brand,
        obj=post,
        data={"media": media_id, "revision": post.revision, "content_hash": post.content_hash},
    )


# --- comments ----------------------------------------------------------------------------


@transaction.atomic
def comment_create(*, post: Post, actor: User, body: str) -> Comment:
    """Anyone in the brand can discuss its posts."""
    permissions.require(actor, Action.VIEW, post.brand)
    body = _clean_string(body, field="body", label="The comment", max_chars=MAX_COMMENT_CHARS)
    comment = Comment.objects.create(post=post, author=actor, body=body)
    audit_record(
        action="post.commented",
        actor=actor,
        brand=post.brand,
        obj=post,
        data={"comment": comment.pk},
    )
    return comment


# --- calendar feeds ----------------------------------------------------------------------


@transaction.atomic
def calendar_feed_create(*, user: User, brand: Brand) -> tuple[CalendarFeed, str]:
    """A new secret feed URL token for the person in the brand; any previous one is revoked.

    Returns the feed and the token. Only the token's hash is stored: the token is shown once.
    """
    permissions.require(user, Action.VIEW, brand)
    calendar_feed_revoke(user=user, brand=brand)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        user=user, brand=brand, token_hash=selectors.feed_token_hash(token), token_hint=token[:6]
    )
    audit_record(action="calendar_feed.created", actor=user, brand=brand, obj=feed)
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, user: User, brand: Brand) -> int:
    """Revoke the person's active feed in the brand; answers how many were revoked (0 or 1)."""
    active = list(
        CalendarFeed.objects.select_for_update().filter(
            user=user, brand=brand, revoked_at__isnull=True
        )
    )
    now = timezone.now()
    for feed in active:
        feed.revoked_at = now
        feed.save(update_fields=["revoked_at"])
        audit_record(action="calendar_feed.revoked", actor=user, brand=brand, obj=feed)
    return len(active)
