"""Posts (one draft per channel), their revisions, comments, media, campaigns and calendar feeds.

Times are stored in UTC and shown in the brand's time zone. ``Post.status`` belongs to
:mod:`planner.lifecycle`: nothing else assigns it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from accounts.models import HEX_COLOUR

MAX_TEXT_CHARS = 10_000
MAX_COMMENT_CHARS = 5_000
MAX_NAME_CHARS = 200
MAX_ALT_TEXT_CHARS = 1_500
MAX_REASON_CHARS = 1_000


class Category(models.TextChoices):
    PROMOTIONAL = "promotional", "Promotional"
    ENGAGEMENT = "engagement", "Engagement"
    USER_GENERATED = "user_generated", "User-generated"
    SUPPORT = "support", "Support"
    NEWS = "news", "News"


class Status(models.TextChoices):
    """Every state of the post lifecycle (DESIGN.md); moves are in planner.lifecycle."""

    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    HELD = "held", "Held"
    FAILED = "failed", "Failed"


class HeldCode(models.TextChoices):
    """Why a held post is held, as a code the pages act on (the reason is the words)."""

    CHECK = "", "A check failed"
    RECONNECT = "reconnect", "The channel needs reconnecting"


class Campaign(models.Model):
    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=MAX_NAME_CHARS)
    colour = models.CharField(max_length=7, blank=True, validators=[HEX_COLOUR])
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand", "name"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "name"], name="campaign_unique_name"),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="campaign_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "A campaign cannot end before it starts."})


class PostGroup(models.Model):
    """Siblings composed together: one draft per channel, each edited on its own afterwards."""

    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"group {self.pk}"


class Post(models.Model):
    """One post for one channel. It never moves to another brand."""

    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="posts")
    channel = models.ForeignKey("accounts.Channel", on_delete=models.PROTECT, related_name="posts")
    group = models.ForeignKey(PostGroup, on_delete=models.PROTECT, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=MAX_TEXT_CHARS)
    category = models.CharField(max_length=20, choices=Category.choices)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    scheduled_at = models.DateTimeField(null=True, blank=True, help_text="UTC; empty: undated.")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    held_reason = models.CharField(max_length=1000, blank=True, editable=False)
    held_code = models.CharField(
        max_length=20, blank=True, default="", choices=HeldCode.choices, editable=False
    )
    remote_url = models.URLField(max_length=500, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, editable=False)
    revision = models.PositiveIntegerField(default=0, editable=False)
    # Review: the policy result the post was submitted with (its warnings travel with it to
    # the approvers), and the reason it was last sent back.
    review_findings = models.JSONField(default=list, blank=True, editable=False)
    review_policy_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    rejection_reason = models.TextField(max_length=MAX_REASON_CHARS, blank=True, editable=False)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    rejected_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Publishing: the dispatcher's claim is a lease on this row (see planner.lifecycle).
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    publish_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="post_status_valid"),
            models.CheckConstraint(
                condition=Q(held_code__in=HeldCode.values), name="post_held_code_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="post_category_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["brand", "scheduled_at"], name="post_brand_scheduled"),
            models.Index(fields=["channel", "scheduled_at"], name="post_channel_scheduled"),
            models.Index(fields=["brand", "status"], name="post_brand_status"),
            models.Index(fields=["status", "scheduled_at"], name="post_status_due"),
            models.Index(fields=["status", "lease_expires_at"], name="post_status_lease"),
        ]

    def __str__(self) -> str:
        return f"Post {self.pk} on {self.channel_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("post_detail", kwargs={"slug": self.brand.slug, "pk": self.pk})

    def clean(self) -> None:
        # A post's channel and campaign belong to the post's own brand, always.
        errors = {}
        if self.channel_id and self.brand_id and self.channel.brand_id != self.brand_id:
            errors["channel"] = "That channel belongs to another brand."
        if self.campaign_id and self.brand_id and self.campaign.brand_id != self.brand_id:
            errors["campaign"] = "That campaign belongs to another brand."
        if errors:
            raise ValidationError(errors)


class Revision(models.Model):
    """A snapshot of a post after each edit (number 1 is the post as first saved)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    channel = models.ForeignKey("accounts.Channel", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, choices=Category.choices)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    media_summary = models.TextField(blank=True, help_text="Attachments and their alt text.")
    content_hash = models.CharField(max_length=64)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["post", "number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="revision_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="revision_number_gte_1"),
        ]

    def __str__(self) -> str:
        return f"Post {self.post_id} r{self.number}"


class Approval(models.Model):
    """One person's sign-off of one exact version of a post (its content hash).

    Rows are never deleted: an edit of the content, or a rejection, dismisses them (they stay
    as history). Whether the approvals are enough is decided by ``policy.approvals.tally``.
    """

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approvals")
    # PROTECT: deleting an approver must not erase who approved (people with history are
    # deactivated instead).
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    step_order = models.PositiveSmallIntegerField(default=1)
    step_name = models.CharField(max_length=60, blank=True)
    content_hash = models.CharField(max_length=64)
    revision = models.PositiveIntegerField()
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    approved_at = models.DateTimeField()
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["post", "approved_at", "id"]
        constraints = [
            # One person counts once: at most one live approval per person and post (a
            # dismissed one stays as history and does not stand in the way of a new one).
            models.UniqueConstraint(
                fields=["post", "approver"],
                condition=Q(dismissed_at__isnull=True),
                name="approval_one_live_per_person",
            ),
            models.CheckConstraint(
                condition=Q(step_order__gte=1), name="approval_step_order_gte_1"
            ),
        ]
        indexes = [models.Index(fields=["post", "dismissed_at"], name="approval_post_live")]

    def __str__(self) -> str:
        return f"Approval of post {self.post_id} r{self.revision} by {self.approver_id}"

    @property
    def is_live(self) -> bool:
        return self.dismissed_at is None


class ReviewSeen(models.Model):
    """The revision of a post an approver last looked at: the inbox shows what changed since."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    revision = models.PositiveIntegerField()
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = "seen revision"
        verbose_name_plural = "seen revisions"
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="review_seen_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} saw post {self.post_id} r{self.revision}"


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=MAX_COMMENT_CHARS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment {self.pk} on post {self.post_id}"


class Media(models.Model):
    """An attachment, uploaded once to Countersign. Its type, size and metadata (read with
    ffprobe) are checked against each channel's platform rules (the adapters' ``media_rules``,
    see planner.media); a video has a poster frame. The file never changes once stored."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to="posts/%Y/%m/", max_length=300)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    alt_text = models.TextField(max_length=MAX_ALT_TEXT_CHARS, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds (video).")
    frame_rate = models.FloatField(null=True, blank=True, help_text="Frames a second (video).")
    poster = models.FileField(upload_to="posters/%Y/%m/", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["post", "id"]
        verbose_name_plural = "media"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["image", "video"]), name="media_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind="image") | ~Q(alt_text=""), name="media_image_needs_alt_text"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} of post {self.post_id}"


class CalendarFeed(models.Model):
    """A person's secret ICS feed URL for one brand. Only a hash of the token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "brand"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"Feed {self.token_hint}… for {self.user_id} in {self.brand_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Delivery(models.Model):
    """A post's one send to its platform: the deterministic idempotency key (stored before
    any network call), each attempt's outcome, and the evidence record once published."""

    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="delivery")
    idempotency_key = models.CharField(max_length=64, unique=True)
    content_hash = models.CharField(max_length=64, help_text="The content this key was made for.")
    remote_account_id = models.CharField(max_length=255, blank=True)
    remote_id = models.CharField(max_length=255, blank=True)
    remote_url = models.URLField(max_length=500, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    attempts = models.JSONField(default=list, blank=True, help_text="One entry per attempt.")
    evidence = models.JSONField(default=dict, blank=True)
    send_in_flight = models.BooleanField(
        default=False,
        help_text="A send may have reached the platform and has no recorded outcome yet "
        "(committed before the request; the per-post mutex).",
    )

    class Meta:
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"Delivery of post {self.post_id}"


# --- strategy: content mix targets, tracked links, customer content (planner.strategy) ------

#: The default content mix when a brand has set none: promotional at most 20% of a channel's
#: posts over any rolling 14 days.
DEFAULT_MIX_TARGETS = {"promotional": 20}
DEFAULT_MIX_WINDOW_DAYS = 14


class MixTarget(models.Model):
    """The most a category may be of a channel's posts over any rolling window (per brand)."""

    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=20, choices=Category.choices)
    max_percent = models.PositiveSmallIntegerField(help_text="At most this share, in percent.")
    window_days = models.PositiveSmallIntegerField(default=DEFAULT_MIX_WINDOW_DAYS)

    class Meta:
        ordering = ["brand", "category"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "category"], name="mix_target_unique"),
            models.CheckConstraint(
                condition=Q(max_percent__lte=100), name="mix_target_percent_lte_100"
            ),
            models.CheckConstraint(
                condition=Q(window_days__gte=1) & Q(window_days__lte=90),
                name="mix_target_window_1_90",
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="mix_target_category_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} ≤ {self.max_percent}% / {self.window_days} d"


class LinkTracking(models.Model):
    """A brand's UTM rules: links to its own domains get utm_source (the platform),
    utm_medium, utm_campaign (the post's campaign slug) and an optional utm_content."""

    brand = models.OneToOneField(
        "accounts.Brand", on_delete=models.CASCADE, related_name="link_tracking"
    )
    enabled = models.BooleanField(default=True)
    domains = models.JSONField(default=list, blank=True, help_text="The brand's own hosts.")
    medium = models.CharField(max_length=50, default="social")
    content = models.CharField(max_length=100, blank=True, help_text="Optional utm_content.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Link tracking of brand {self.brand_id}"


class CustomerCredit(models.Model):
    """Where a user-generated post's content came from and who allowed its use."""

    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="customer_credit")
    author_handle = models.CharField(max_length=255)
    source_url = models.URLField(max_length=500)
    permission_from = models.CharField(max_length=255, blank=True, help_text="Who gave it.")
    permission_at = models.DateTimeField(null=True, blank=True, help_text="When.")
    permission_how = models.CharField(
        max_length=500, blank=True, help_text="How (a reply, an email, a signed form…)."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Credit of post {self.post_id} to {self.author_handle}"

    @property
    def has_permission(self) -> bool:
        return bool(self.permission_from.strip() and self.permission_at and self.permission_how)


# --- feeds to drafts (planner.feeds) ---------------------------------------------------------


class Feed(models.Model):
    """An RSS/Atom feed whose new items become drafts on the chosen channels."""

    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=500)
    channels = models.ManyToManyField("accounts.Channel", related_name="+")
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.NEWS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    etag = models.CharField(max_length=500, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    last_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_ok_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=500, blank=True, editable=False)
    failures = models.PositiveSmallIntegerField(default=0, editable=False)
    stopped_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Stopped after repeated failures."
    )

    class Meta:
        ordering = ["brand", "url"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "url"], name="feed_unique_url"),
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="feed_category_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.url


class FeedItem(models.Model):
    """One item of a feed, taken once (its drafts are the posts of ``group``)."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(max_length=64, help_text="sha256 of the item's id (or link).")
    title = models.CharField(max_length=500, blank=True)
    link = models.URLField(max_length=500, blank=True)
    group = models.ForeignKey(
        PostGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    drafts = models.PositiveSmallIntegerField(default=0)
    problem = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["feed", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["feed", "key"], name="feed_item_once"),
        ]

    def __str__(self) -> str:
        return self.title or self.link or self.key


# --- metrics (planner.metrics) --------------------------------------------------------------


class MetricSnapshot(models.Model):
    """A published post's public metrics, fetched at 1 h, 24 h and 7 days after publishing."""

    class Age(models.TextChoices):
        HOUR = "1h", "1 hour"
        DAY = "24h", "24 hours"
        WEEK = "7d", "7 days"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="metric_snapshots")
    age = models.CharField(max_length=3, choices=Age.choices)
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    quotes = models.PositiveIntegerField(default=0)
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["post", "fetched_at"]
        constraints = [
            models.UniqueConstraint(fields=["post", "age"], name="metric_snapshot_once"),
            models.CheckConstraint(
                condition=Q(age__in=["1h", "24h", "7d"]), name="metric_snapshot_age_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Metrics of post {self.post_id} at {self.age}"


class PostMetrics(models.Model):
    """The latest metrics of a published post, with what the dashboard filters and groups on
    (written with each snapshot, in the same transaction): one row per published post."""

    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="metrics")
    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey("accounts.Channel", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    published_at = models.DateTimeField()
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    quotes = models.PositiveIntegerField(default=0)
    engagement = models.PositiveIntegerField(default=0)
    # When it was published, on the brand's clock (for "best days and hours" without a time
    # zone conversion per row): ISO weekday 1-7 and hour 0-23.
    local_weekday = models.PositiveSmallIntegerField(default=1)
    local_hour = models.PositiveSmallIntegerField(default=0)
    age = models.CharField(max_length=3, choices=MetricSnapshot.Age.choices)
    fetched_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "post metrics"
        indexes = [
            models.Index(fields=["brand", "published_at"], name="post_metrics_brand_time"),
        ]

    def __str__(self) -> str:
        return f"Metrics of post {self.post_id}"


class FollowerCount(models.Model):
    """A channel's follower count, once a day."""

    channel = models.ForeignKey(
        "accounts.Channel", on_delete=models.CASCADE, related_name="follower_counts"
    )
    day = models.DateField()
    followers = models.PositiveIntegerField()
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["channel", "day"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "day"], name="follower_count_daily"),
        ]

    def __str__(self) -> str:
        return f"{self.followers} followers of {self.channel_id} on {self.day}"


# --- the engagement inbox (planner.engagement) ------------------------------------------------

from planner.engagement.models import (  # noqa: E402, F401
    ChannelReplySettings,
    Conversation,
    ConversationKind,
    ConversationStatus,
    CrisisChecklist,
    Direction,
    FetchCursor,
    FetchStream,
    Message,
    ModerationHide,
    ModerationRecord,
    ModerationStrike,
    ReplyApproval,
    ReplyApprovalMode,
    ReplyStatus,
    ResponseSettings,
    SavedSearch,
    SearchKind,
    StrikeStep,
)
