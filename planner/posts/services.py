"""Writes for posts: compose, edit, reschedule, copy, media, comments, campaigns and
calendar feeds.

Services are keyword-only, typed, atomic, and validate everything before they save. Who may
do what is asked of ``accounts.permissions``; status moves go through ``planner.lifecycle``;
an edit of content under review is handed to ``planner.review.services``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from accounts import permissions
from accounts.models import Brand, Channel, User
from accounts.permissions import Action
from accounts.services import audit_record
from config.errors import Conflict
from planner import lifecycle
from planner import media as media_rules
from planner.content import content_fingerprint, fingerprint
from planner.counting import CharCount
from planner.models import (
    MAX_ALT_TEXT_CHARS,
    MAX_COMMENT_CHARS,
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    CalendarFeed,
    Campaign,
    Comment,
    Media,
    Post,
    PostGroup,
    Revision,
)
from planner.posts import selectors
from planner.posts.checks import (
    character_count,
    check_channel,
    check_length,
    check_not_past,
    clean_campaign,
    clean_category,
    clean_scheduled_at,
    clean_string,
    lock_post,
)
from planner.review.services import lint_or_refuse, review_after_edit
from planner.strategy.selectors import link_tracking, tagged_text
from platforms.base import MediaItem


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


#: Default of every optional field of :func:`post_update`: "leave this as it is".
UNCHANGED = _Unchanged()

#: A time this close to now is "post it now": a risky action that needs the handles typed.
SOON_MINUTES = 15


@dataclass(frozen=True)
class MediaUpload:
    """A file to attach, with its alt text (required for images)."""

    file: UploadedFile
    alt_text: str = ""
    #: Already read (a chunked upload reads it once it is complete); else read here.
    metadata: media_rules.Metadata | None = None


#: At compose time the signed public address does not exist yet; it will at send time.
PUBLIC_URL_PLACEHOLDER = "https://countersign.invalid/media/signed-at-send"


@dataclass(frozen=True)
class _CheckedMedia:
    upload: MediaUpload
    mime_type: str
    size: int
    alt_text: str
    metadata: media_rules.Metadata = field(default_factory=media_rules.Metadata)

    def fields(self) -> dict:
        """The Media row's fields, the file (and a video's poster frame) stored."""
        return {
            "file": _store(self),
            "kind": media_rules.kind_of(self.mime_type),
            "mime_type": self.mime_type,
            "size": self.size,
            "alt_text": self.alt_text,
            "original_name": (self.upload.file.name or "")[:255],
            "width": self.metadata.width,
            "height": self.metadata.height,
            "duration": self.metadata.duration,
            "frame_rate": self.metadata.frame_rate,
            "poster": _store_poster(self),
        }

    def as_item(self) -> MediaItem:
        """What the platform rules check: the facts of the file, at a public address."""
        return MediaItem(
            b"",
            self.mime_type,
            self.alt_text,
            size=self.size,
            width=self.metadata.width,
            height=self.metadata.height,
            duration=self.metadata.duration,
            frame_rate=self.metadata.frame_rate,
            url=PUBLIC_URL_PLACEHOLDER,
        )


class ConfirmationNeeded(Conflict):
    """A time within :data:`SOON_MINUTES` needs the handle of every channel typed out;
    ``details['confirm_handles']`` lists the handles still to type."""

    code = "confirm_handles"


class StaleEdit(Conflict):
    """The post changed since the editor loaded it; ``details`` carries the current revision,
    the current content and what changed since the editor's revision."""

    code = "stale_edit"


def _handle_key(handle: str) -> str:
    return str(handle).strip().lower().lstrip("@")


def parse_handles(raw) -> list[str]:
    """Typed handles, from a string ("@a, @b") or a list of strings; anything else is none."""
    if isinstance(raw, str):
        return [part for part in raw.replace(",", " ").split() if part]
    if isinstance(raw, list | tuple):
        return [str(part) for part in raw if isinstance(part, str) and part.strip()]
    return []


def soon_confirmation_check(
    *,
    channels: Sequence[Channel],
    scheduled_at: dt.datetime | None,
    confirm_handles: Sequence[str] | None,
) -> None:
    """The one place that decides whether a time is so close that the person must type who it
    posts as: every channel's handle, when ``scheduled_at`` is within :data:`SOON_MINUTES`
    (or has passed). Web form, API and the calendar's drag all come through here.

    ``confirm_handles`` is what the person typed; ``None`` means no person is asking (demo
    data, internal code), and nothing is checked. Raises :class:`ConfirmationNeeded`.
    """
    if confirm_handles is None or scheduled_at is None:
        return
    if scheduled_at > timezone.now() + dt.timedelta(minutes=SOON_MINUTES):
        return
    typed = {_handle_key(h) for h in confirm_handles}
    missing = []
    for channel in channels:
        key = _handle_key(channel.handle)
        if key not in typed and f"@{key}" not in missing:
            missing.append(f"@{key}")
    if missing:
        raise ConfirmationNeeded(
            f"This would go out within {SOON_MINUTES} minutes. Type "
            + ", ".join(missing)
            + " to confirm it is the account you mean.",
            details={"confirm_handles": missing},
        )


def _check_media(
    uploads: Sequence[MediaUpload], channels: Sequence[Channel]
) -> list[_CheckedMedia]:
    """Type (read from the bytes), size, metadata (ffprobe) and alt text of each upload,
    checked against every channel's platform rules (the adapters' ``media_rules``), with a
    message naming the channel and its platform."""
    checked = []
    for index, upload in enumerate(uploads, start=1):
        name = (upload.file.name or f"file {index}")[:255]
        size = upload.file.size or 0
        if size <= 0:
            raise ValidationError({"media": f"{name} is empty."})
        if size > media_rules.max_upload_bytes():
            raise ValidationError({"media": f"{name} is larger than any platform accepts."})
        upload.file.seek(0)
        head = upload.file.read(32)
        upload.file.seek(0)
        mime = media_rules.sniff_mime(head)
        if mime is None:
            raise ValidationError(
                {"media": f"{name} is not an image or video type Countersign can send."}
            )
        alt_text = clean_string(
            upload.alt_text,
            field="alt_text",
            label="Alt text",
            max_chars=MAX_ALT_TEXT_CHARS,
            required=media_rules.kind_of(mime) == "image",
        )
        for channel in channels:
            rules = media_rules.rules_for(channel.platform)
            if not rules.accepts(mime):
                raise ValidationError(
                    {
                        "media": f"{channel.handle} ({channel.get_platform_display()}) does not "
                        f"accept {mime}. It accepts {media_rules.describe(rules)}."
                    }
                )
            allowed = media_rules.limit_for(rules, mime)
            if allowed and size > allowed:
                raise ValidationError(
                    {
                        "media": f"{name} is {size:,} bytes; {channel.handle} "
                        f"({channel.get_platform_display()}) accepts {mime} "
                        f"up to {allowed:,} bytes."
                    }
                )
        metadata = upload.metadata or media_rules.read_metadata(upload.file)
        checked.append(
            _CheckedMedia(
                upload=upload, mime_type=mime, size=size, alt_text=alt_text, metadata=metadata
            )
        )
    for channel in channels:
        _check_against_platform(channel, [item.as_item() for item in checked], field="media")
    return checked


def _check_against_platform(channel: Channel, items: list[MediaItem], *, field: str) -> None:
    """The platform's own rules on the whole set (count, kinds, duration, aspect ratio,
    frame rate, ...), one message per problem, naming the channel."""
    rules = media_rules.rules_for(channel.platform)
    if items and len(items) > rules.max_items:
        raise ValidationError(
            {field: f"{channel.handle} takes at most {rules.max_items} attachments."}
        )
    if not items and getattr(media_rules.client_class(channel.platform), "media_required", False):
        raise ValidationError(
            {
                field: f"{channel.handle} ({channel.get_platform_display()}) posts need an "
                "image or a video."
            }
        )
    problems = media_rules.problems_for(
        rules, label=f"{channel.handle} ({channel.get_platform_display()})", items=items
    )
    if problems:
        raise ValidationError({field: problems})


def _store(checked: _CheckedMedia) -> str:
    upload = checked.upload.file
    upload.seek(0)
    today = timezone.now()
    extension = media_rules.EXTENSIONS.get(checked.mime_type, "")
    # A random name: the uploader's file name is kept only as a label (original_name).
    return default_storage.save(f"posts/{today:%Y/%m}/{secrets.token_hex(12)}{extension}", upload)


def _store_poster(checked: _CheckedMedia) -> str:
    """A video's first frame as a JPEG beside it ("" when ffmpeg cannot make one)."""
    if media_rules.kind_of(checked.mime_type) != "video":
        return ""
    frame = media_rules.poster_frame(checked.upload.file)
    checked.upload.file.seek(0)
    if not frame:
        return ""
    from django.core.files.base import ContentFile

    today = timezone.now()
    return default_storage.save(
        f"posters/{today:%Y/%m}/{secrets.token_hex(12)}.jpg", ContentFile(frame)
    )


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
    name = clean_string(name, field="name", label="The name", max_chars=MAX_NAME_CHARS)
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
    # the campaign's name written as a tag (#SpringBake) is one of the brand's own
    from policy import services as policy_services

    policy_services.hashtags_learn(
        brand_id=brand.pk,
        tags=["".join(c for c in name if c.isalnum() or c == "_")],
        source="campaign",
    )
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


@dataclass(frozen=True)
class ComposeRefusal:
    """A ticked channel the text is too long for: nothing was saved for it."""

    channel: Channel
    count: CharCount
    message: str


@dataclass(frozen=True)
class ComposeResult:
    posts: list[Post]
    refused: list[ComposeRefusal]


def _too_long(text: str, channel: Channel) -> ComposeRefusal | None:
    count = character_count(text, channel)
    if not count.over:
        return None
    if count.limit is not None and count.length > count.limit:
        figures = f"{count.length:,}/{count.limit:,} characters"
    else:
        figures = f"{count.byte_length:,}/{count.byte_limit:,} bytes"
    return ComposeRefusal(
        channel=channel, count=count, message=f"Not saved for {channel.handle}: {figures}."
    )


@transaction.atomic
def post_compose_fitting(
    *,
    brand: Brand,
    actor: User,
    channels: Sequence[Channel],
    text: str,
    category: str,
    scheduled_at: dt.datetime | None = None,
    campaign: Campaign | None = None,
    media: Sequence[MediaUpload] = (),
    confirm_handles: Sequence[str] | None = None,
    all_or_nothing: bool = False,
) -> ComposeResult:
    """Compose once for several channels: a draft for every channel the text fits, and, for
    each channel it is too long for, a refusal with its count instead of a draft. Only when it
    fits none (or, with ``all_or_nothing``, any) is nothing saved: a ValidationError with
    every count. Everything else (the text itself, the time, the confirmation, the media)
    is all or nothing. With ``confirm_handles`` given (a person is asking: the web form, the
    API), a time more than :data:`SOON_MINUTES` in the past is refused; one within them is
    "now" and needs the confirmation like any time that close."""
    channels = list(dict.fromkeys(channels))
    if not channels:
        raise ValidationError({"channels": "Pick at least one channel."})
    text = clean_string(text, field="text", label="The post", max_chars=MAX_TEXT_CHARS)
    category = clean_category(category)
    scheduled_at = clean_scheduled_at(scheduled_at)
    campaign = clean_campaign(campaign, brand=brand)
    for channel in channels:
        check_channel(channel, brand=brand, actor=actor)
    if confirm_handles is not None:  # a person is asking (not demo data or a feed)
        # A time up to SOON_MINUTES ago is "now" (and asks for the handle, below), as a
        # form filled in over a few minutes or a client's "post it now" sends it.
        check_not_past(scheduled_at, grace=dt.timedelta(minutes=SOON_MINUTES))
    soon_confirmation_check(
        channels=channels, scheduled_at=scheduled_at, confirm_handles=confirm_handles
    )
    # Links to the brand's own domains carry its UTM rules (per channel: utm_source is the
    # platform); the tagged text is what is counted, saved, approved and sent.
    rules = link_tracking(brand=brand)
    texts = {
        channel.pk: tagged_text(
            brand=brand, channel=channel, campaign=campaign, text=text, rules=rules
        )
        for channel in channels
    }
    refused = [
        r for r in (_too_long(texts[channel.pk], channel) for channel in channels) if r is not None
    ]
    fitting = [c for c in channels if c.pk not in {r.channel.pk for r in refused}]
    if refused and (all_or_nothing or not fitting):
        errors = []
        for channel in channels:
            try:
                check_length(texts[channel.pk], channel)
            except ValidationError as exc:
                errors.extend(exc.message_dict["text"])
        raise ValidationError({"text": errors}, code="too_long")
    stored = [item.fields() for item in _check_media(media, fitting)]
    group = PostGroup.objects.create(brand=brand, created_by=actor)
    posts = [
        _new_post(
            brand=brand,
            actor=actor,
            channel=channel,
            group=group,
            text=texts[channel.pk],
            category=category,
            scheduled_at=scheduled_at,
            campaign=campaign,
            media=stored,
        )
        for channel in fitting
    ]
    return ComposeResult(posts=posts, refused=refused)


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
    confirm_handles: Sequence[str] | None = None,
) -> list[Post]:
    """Compose once, one draft per channel, siblings in one group. All or nothing: a text too
    long for any of the channels saves none (see :func:`post_compose_fitting` for the
    composer's save-what-fits)."""
    return post_compose_fitting(
        brand=brand,
        actor=actor,
        channels=channels,
        text=text,
        category=category,
        scheduled_at=scheduled_at,
        campaign=campaign,
        media=media,
        confirm_handles=confirm_handles,
        all_or_nothing=True,
    ).posts


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
    confirm_handles: Sequence[str] | None = None,
) -> Post:
    """One draft for one channel (its own group). ``confirm_handles``: see
    :func:`soon_confirmation_check` (the API passes what the client sent)."""
    return post_compose(
        brand=brand,
        actor=actor,
        channels=[channel],
        text=text,
        category=category,
        scheduled_at=scheduled_at,
        campaign=campaign,
        media=media,
        confirm_handles=confirm_handles,
    )[0]


def _changes(
    post: Post, *, actor: User, text, channel, category, campaign, scheduled_at
) -> dict[str, object]:
    """The fields given (not ``UNCHANGED``), cleaned, that differ from the post's."""
    brand = post.brand
    changes: dict[str, object] = {}
    if text is not UNCHANGED:
        text = clean_string(text, field="text", label="The post", max_chars=MAX_TEXT_CHARS)
        if text != post.text:
            changes["text"] = text
    if channel is not UNCHANGED:
        if channel is None:
            raise ValidationError({"channel": "A post needs a channel."})
        if channel.pk != post.channel_id:
            check_channel(channel, brand=brand, actor=actor)
            changes["channel"] = channel
    if category is not UNCHANGED:
        category = clean_category(category)
        if category != post.category:
            changes["category"] = category
    if campaign is not UNCHANGED:
        campaign = clean_campaign(campaign, brand=brand)
        if (campaign.pk if campaign else None) != post.campaign_id:
            changes["campaign"] = campaign
    if scheduled_at is not UNCHANGED:
        scheduled_at = clean_scheduled_at(scheduled_at)
        if scheduled_at != post.scheduled_at:
            changes["scheduled_at"] = scheduled_at
    if {"text", "channel", "campaign"} & set(changes):
        # The brand's UTM rules, for the (new) channel and campaign: what is saved is tagged.
        tagged = tagged_text(
            brand=brand,
            channel=changes.get("channel", post.channel),
            campaign=changes.get("campaign", post.campaign),
            text=changes.get("text", post.text),
        )
        if tagged != post.text:
            changes["text"] = tagged
        else:
            changes.pop("text", None)
    return changes


def _check_changes_allowed(
    post: Post, changes: dict[str, object], *, confirm_handles: Sequence[str] | None
) -> None:
    """The post's state allows these changes, a new time is not in the past (and ahead for
    a post that may fall due), a time within minutes has its handle typed, and the content
    fits the (new) channel."""
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
    if (
        "scheduled_at" in changes
        and post.status in lifecycle.FUTURE_ONLY
        and changes["scheduled_at"] is not None
        and changes["scheduled_at"] <= timezone.now()
    ):
        raise ValidationError(
            {
                "scheduled_at": f"This post is {post.get_status_display().lower()}: pick a "
                "time in the future, or clear it to keep the post unscheduled."
            }
        )
    if "scheduled_at" in changes:
        check_not_past(changes["scheduled_at"])
    target = changes.get("channel", post.channel)
    if "scheduled_at" in changes or "channel" in changes:
        soon_confirmation_check(
            channels=[target],
            scheduled_at=changes.get("scheduled_at", post.scheduled_at),
            confirm_handles=confirm_handles,
        )
    if "text" in changes or "channel" in changes:
        check_length(changes.get("text", post.text), target)
    if "channel" in changes:
        _check_media_for_channel(post, target)


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
    expected_revision: int | None = None,
    expected_content_hash: str | None = None,
    confirm_handles: Sequence[str] | None = None,
) -> Post:
    """Edit a post: every change is a new revision (and, for content, a new content hash).

    ``expected_revision`` / ``expected_content_hash``: the version the editor started from
    (the edit form's hidden field, the API's ``If-Match`` or body field). When the post has
    moved on since, nothing is saved: :class:`StaleEdit` (409) says what changed. A move of
    the time into the past is refused; a move to within :data:`SOON_MINUTES` (or a change of
    channel of a post due that soon) needs ``confirm_handles`` (see
    :func:`soon_confirmation_check`).

    Content (text, channel, category, campaign) may change only in an editable state; the
    time only in a reschedulable one. The channel may change only within the post's brand.
    A change of the content hash of a post under review dismisses its approvals and sends an
    approved post back to review (see :func:`review_after_edit`); the new content must pass
    the policy. Moving only the time keeps approvals (the time is not part of the hash).
    """
    post = lock_post(post)
    brand = post.brand
    permissions.require(actor, Action.DRAFT, post.channel)
    _check_fresh(
        post, expected_revision=expected_revision, expected_content_hash=expected_content_hash
    )
    changes = _changes(
        post,
        actor=actor,
        text=text,
        channel=channel,
        category=category,
        campaign=campaign,
        scheduled_at=scheduled_at,
    )
    if not changes:
        return post
    _check_changes_allowed(post, changes, confirm_handles=confirm_handles)
    target = changes.get("channel", post.channel)
    hashed = bool({"text", "channel", "category"} & set(changes))
    linted = None
    if hashed and post.status in lifecycle.UNDER_REVIEW:
        linted = lint_or_refuse(
            brand=brand,
            text=changes.get("text", post.text),
            channel=target,
            category=changes.get("category", post.category),
            what="This change",
        )
    old_hash = post.content_hash
    before = {key: _audit_value(getattr(post, key)) for key in changes}
    for key, value in changes.items():
        setattr(post, key, value)
    if hashed:
        post.last_editor = actor  # whoever last edited the content never counts as approver
    post.full_clean(exclude=["group", "author", "last_editor"])
    post.save()
    _write_revision(post, editor=actor)
    audit_record(
        action="post.rescheduled" if set(changes) == {"scheduled_at"} else "post.edited",
        actor=actor,
        brand=brand,
        obj=post,
        data={
            "revision": post.revision,
            "content_hash": post.content_hash,
            "changes": {key: [before[key], _audit_value(value)] for key, value in changes.items()},
        },
    )
    review_after_edit(post, actor=actor, old_hash=old_hash, linted=linted)
    return post


def _revision_snapshot(rev: Revision | None) -> dict:
    if rev is None:
        return {}
    return {
        "text": rev.text,
        "channel": rev.channel_id,
        "category": rev.category,
        "campaign": rev.campaign_id,
        "scheduled_at": rev.scheduled_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        if rev.scheduled_at
        else None,
        "media": rev.media_summary,
    }


def _check_fresh(
    post: Post, *, expected_revision: int | None, expected_content_hash: str | None
) -> None:
    """Refuse an edit made on top of a version that is no longer the post's (row locked)."""
    stale_revision = expected_revision is not None and expected_revision != post.revision
    stale_hash = expected_content_hash is not None and expected_content_hash != post.content_hash
    if not (stale_revision or stale_hash):
        return
    revisions = {
        rev.number: rev
        for rev in Revision.objects.filter(post=post).select_related("editor").order_by("number")
    }
    current = revisions.get(post.revision)
    seen = revisions.get(expected_revision) if stale_revision else None
    if seen is None and stale_hash:
        seen = next(
            (r for r in reversed(revisions.values()) if r.content_hash == expected_content_hash),
            None,
        )
    before, now = _revision_snapshot(seen), _revision_snapshot(current)
    changed = {
        key: {"was": before.get(key), "now": value}
        for key, value in now.items()
        if seen is not None and before.get(key) != value
    }
    who = current.editor.username if current and current.editor_id else "someone else"
    since = f"revision {seen.number}" if seen is not None else "the version you started from"
    raise StaleEdit(
        f"This post changed while you were editing it: {who} saved revision {post.revision} "
        f"after {since}. Nothing was saved; look at what changed and make your edit again "
        "on top of it.",
        details={
            "revision": post.revision,
            "content_hash": post.content_hash,
            "your_revision": seen.number if seen is not None else None,
            "changed_by": who if current and current.editor_id else None,
            "changed": changed,
            "current": now,
        },
    )


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
    items = list(post.media.all())
    rules = media_rules.rules_for(channel.platform)
    for item in items:
        allowed = (
            media_rules.limit_for(rules, item.mime_type) if rules.accepts(item.mime_type) else 0
        )
        if not allowed or item.size > allowed:
            raise ValidationError(
                {
                    "channel": f"{channel.handle} does not accept the attachment "
                    f"{item.original_name or item.pk} ({item.mime_type}, {item.size:,} bytes)."
                }
            )
    _check_against_platform(
        channel,
        [media_rules.media_item(item, url=PUBLIC_URL_PLACEHOLDER) for item in items],
        field="channel",
    )


def post_reschedule(
    *,
    post: Post,
    actor: User,
    scheduled_at: dt.datetime | None,
    confirm_handles: Sequence[str] | None = None,
) -> Post:
    """Move a post to another time (the calendar's drag and drop): a revision of its own.
    Never into the past; within minutes only with the handle confirmed."""
    return post_update(
        post=post, actor=actor, scheduled_at=scheduled_at, confirm_handles=confirm_handles
    )


@transaction.atomic
def copied_time(scheduled_at: dt.datetime | None) -> dt.datetime | None:
    """The time a copy keeps (see :func:`post_copy`): the original's, unless it is within
    :data:`SOON_MINUTES` or has passed."""
    if scheduled_at is None or scheduled_at <= timezone.now() + dt.timedelta(minutes=SOON_MINUTES):
        return None
    return scheduled_at


def post_copy(*, post: Post, actor: User, channel: Channel) -> Post:
    """A new draft of the post's content on ``channel``, in that channel's brand.

    The original stays where it is: posts never move between brands, and the copy needs its
    own approvals. The campaign is kept only within the same brand. The time is kept only
    when it is more than :data:`SOON_MINUTES` ahead: a time that has passed (a published
    post's) or one that close would need the new account's handle typed, so the copy is an
    undated draft instead (composing such a time is refused; see ``post_compose_fitting``).
    """
    if not permissions.has_perm(actor, Action.VIEW, post.brand):
        raise Http404("No such post.")
    brand = channel.brand
    check_channel(channel, brand=brand, actor=actor)
    campaign = post.campaign if post.brand_id == brand.pk else None
    text = tagged_text(brand=brand, channel=channel, campaign=campaign, text=post.text)
    check_length(text, channel)
    _check_media_for_channel(post, channel)
    group = PostGroup.objects.create(brand=brand, created_by=actor)
    return _new_post(
        brand=brand,
        actor=actor,
        channel=channel,
        group=group,
        text=text,
        category=post.category,
        scheduled_at=copied_time(post.scheduled_at),
        campaign=campaign,
        media=[
            {
                "file": item.file.name,
                "kind": item.kind,
                "mime_type": item.mime_type,
                "size": item.size,
                "alt_text": item.alt_text,
                "original_name": item.original_name,
                "width": item.width,
                "height": item.height,
                "duration": item.duration,
                "frame_rate": item.frame_rate,
                "poster": item.poster.name,
            }
            for item in post.media.order_by("pk")
        ],
        action="post.copied",
        audit_data={"from_post": post.pk, "from_brand": post.brand_id},
    )


# --- media -------------------------------------------------------------------------------


@transaction.atomic
def media_attach(*, post: Post, actor: User, upload: MediaUpload) -> Media:
    post = lock_post(post)
    permissions.require(actor, Action.DRAFT, post.channel)
    if not lifecycle.is_editable(post):
        raise lifecycle.TransitionRefused(
            f"A post that is {post.get_status_display().lower()} cannot be edited.",
            code="not_editable",
        )
    (checked,) = _check_media([upload], [post.channel])
    existing = [
        media_rules.media_item(m, url=PUBLIC_URL_PLACEHOLDER) for m in post.media.order_by("pk")
    ]
    _check_against_platform(post.channel, [*existing, checked.as_item()], field="media")
    old_hash = post.content_hash
    item = Media.objects.create(post=post, **checked.fields())
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
    review_after_edit(post, actor=actor, old_hash=old_hash)
    return item


@transaction.atomic
def media_remove(*, post: Post, actor: User, media_id: int) -> None:
    post = lock_post(post)
    permissions.require(actor, Action.DRAFT, post.channel)
    if not lifecycle.is_editable(post):
        raise lifecycle.TransitionRefused(
            f"A post that is {post.get_status_display().lower()} cannot be edited.",
            code="not_editable",
        )
    old_hash = post.content_hash
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
    review_after_edit(post, actor=actor, old_hash=old_hash)


# --- comments ----------------------------------------------------------------------------


@transaction.atomic
def comment_create(*, post: Post, actor: User, body: str) -> Comment:
    """Anyone in the brand can discuss its posts."""
    permissions.require(actor, Action.VIEW, post.brand)
    body = clean_string(body, field="body", label="The comment", max_chars=MAX_COMMENT_CHARS)
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
