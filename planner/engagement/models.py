"""The engagement inbox's data (imported by :mod:`planner.models`, app label ``planner``).

Text from the platforms is untrusted: it is stored exactly as received (no normalising,
no stripping) and only ever shown escaped. A remote item is stored once: a message by
``(channel, remote_id)``, a conversation by ``(channel, root_remote_id)``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

MAX_REMOTE_ID = 255
MAX_HANDLE = 255
MAX_QUERY = 200
MAX_REPLY_CHARS = 10_000
MAX_CHECKLIST_CHARS = 10_000


class ConversationKind(models.TextChoices):
    MENTION = "mention", "Mention"
    REPLY = "reply", "Reply"
    LISTENING = "listening", "Listening"


class ConversationStatus(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    NO_REPLY_NEEDED = "no_reply_needed", "No reply needed"
    ESCALATED = "escalated", "Escalated"
    CRISIS = "crisis", "Crisis"


class Direction(models.TextChoices):
    IN = "in", "From the customer"
    OUT = "out", "From the brand"


class ReplyStatus(models.TextChoices):
    """An outgoing message's send state; an incoming message has none ("")."""

    NONE = "", "—"
    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class ReplyApprovalMode(models.TextChoices):
    NONE = "none", "No approval"
    ONE = "one", "One approver"
    SAME_AS_POSTS = "same_as_posts", "Same as posts"


class SearchKind(models.TextChoices):
    BRAND = "brand", "Brand name"
    PRODUCT = "product", "Product"
    COMPETITOR = "competitor", "Competitor"


class FetchStream(models.TextChoices):
    NOTIFICATIONS = "notifications", "Notifications"
    SEARCH = "search", "Saved search"


class StrikeStep(models.IntegerChoices):
    ANSWERED = 1, "Inappropriate message answered"
    ASKED_TO_STOP = 2, "Asked to stop"
    REMOVED_REPORTED = 3, "Removed and reported"


class ResponseSettings(models.Model):
    """A brand's business hours (in the brand's time zone) and response target."""

    brand = models.OneToOneField(
        "accounts.Brand", on_delete=models.CASCADE, related_name="response_settings"
    )
    business_days = models.JSONField(
        default=list, blank=True, help_text="ISO weekdays (1 = Monday … 7 = Sunday)."
    )
    start_hour = models.PositiveSmallIntegerField(default=9)
    end_hour = models.PositiveSmallIntegerField(default=17)
    target_business_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: one business day (end hour − start hour)."
    )
    due_soon_business_minutes = models.PositiveIntegerField(
        default=60, help_text="Highlight as due soon this long before the target."
    )
    reply_approval_mode = models.CharField(
        max_length=20, choices=ReplyApprovalMode.choices, default=ReplyApprovalMode.NONE
    )
    last_digest_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "response settings"
        verbose_name_plural = "response settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(start_hour__lt=F("end_hour")) & Q(end_hour__lte=24),
                name="response_settings_hours_valid",
            ),
            models.CheckConstraint(
                condition=Q(reply_approval_mode__in=ReplyApprovalMode.values),
                name="response_settings_mode_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Response settings of brand {self.brand_id}"


class ChannelReplySettings(models.Model):
    """A channel's own reply approval mode (overrides the brand's ``reply_approval_mode``)."""

    channel = models.OneToOneField(
        "accounts.Channel", on_delete=models.CASCADE, related_name="reply_settings"
    )
    reply_approval_mode = models.CharField(max_length=20, choices=ReplyApprovalMode.choices)

    class Meta:
        verbose_name_plural = "channel reply settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(reply_approval_mode__in=ReplyApprovalMode.values),
                name="channel_reply_mode_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.reply_approval_mode}"


class SavedSearch(models.Model):
    """Listening: a query run on one channel's platform (a leading ``#`` on Mastodon reads the
    hashtag timeline); results land in the inbox marked as not addressed to the brand."""

    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(
        "accounts.Channel", on_delete=models.CASCADE, related_name="saved_searches"
    )
    query = models.CharField(max_length=MAX_QUERY)
    kind = models.CharField(max_length=20, choices=SearchKind.choices, default=SearchKind.BRAND)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand", "query"]
        verbose_name_plural = "saved searches"
        constraints = [
            models.UniqueConstraint(fields=["channel", "query"], name="saved_search_unique_query"),
            models.CheckConstraint(
                condition=Q(kind__in=SearchKind.values), name="saved_search_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.query


class Conversation(models.Model):
    """One thread on one channel (keyed by its root post's remote id), with one customer."""

    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(
        "accounts.Channel", on_delete=models.CASCADE, related_name="conversations"
    )
    root_remote_id = models.CharField(max_length=MAX_REMOTE_ID)
    kind = models.CharField(max_length=20, choices=ConversationKind.choices)
    addressed_to_brand = models.BooleanField(
        default=True, help_text="False for listening results (not addressed to the brand)."
    )
    saved_search = models.ForeignKey(
        SavedSearch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20,
        choices=ConversationStatus.choices,
        default=ConversationStatus.OPEN,
        editable=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The customer: the account that started the thread (platform = the channel's platform).
    customer_platform = models.CharField(max_length=20)
    customer_remote_id = models.CharField(max_length=MAX_REMOTE_ID)
    customer_handle = models.CharField(max_length=MAX_HANDLE)
    customer_display_name = models.CharField(max_length=MAX_HANDLE, blank=True)
    # The list's cached figures (written by ingestion and the services, in the same
    # transaction as the message that changed them).
    last_message_excerpt = models.CharField(max_length=300, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(db_index=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    first_unanswered_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The oldest customer message not yet answered; empty when nothing waits.",
    )
    due_soon_at = models.DateTimeField(null=True, blank=True, editable=False)
    due_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the wait reaches the target."
    )
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_response_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_response_business_minutes = models.PositiveIntegerField(
        null=True, blank=True, editable=False
    )
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "root_remote_id"], name="conversation_unique_thread"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ConversationStatus.values), name="conversation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ConversationKind.values), name="conversation_kind_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["brand", "-last_activity_at", "-id"], name="conversation_brand_recent"
            ),
            models.Index(
                fields=["brand", "status", "-last_activity_at"], name="conversation_brand_status"
            ),
            models.Index(
                fields=["channel", "-last_activity_at"], name="conversation_channel_recent"
            ),
            models.Index(fields=["brand", "due_at"], name="conversation_brand_due"),
            models.Index(
                fields=["brand", "customer_platform", "customer_remote_id"],
                name="conversation_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"Conversation {self.pk} with {self.customer_handle}"


class Message(models.Model):
    """One post in a conversation: from the customer (``in``) or from the brand (``out``).

    An outgoing reply composed in Countersign starts as a draft without a remote id and is
    sent at most once (``send_in_flight`` is committed before the request; the idempotency key
    goes to the platform); its evidence is kept with it.
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    channel = models.ForeignKey("accounts.Channel", on_delete=models.CASCADE, related_name="+")
    remote_id = models.CharField(max_length=MAX_REMOTE_ID, blank=True)
    in_reply_to_remote_id = models.CharField(max_length=MAX_REMOTE_ID, blank=True)
    remote_url = models.URLField(max_length=500, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    author_remote_id = models.CharField(max_length=MAX_REMOTE_ID, blank=True)
    author_handle = models.CharField(max_length=MAX_HANDLE, blank=True)
    author_display_name = models.CharField(max_length=MAX_HANDLE, blank=True)
    text = models.TextField()
    remote_created_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    # Outgoing replies composed here.
    reply_status = models.CharField(
        max_length=20, choices=ReplyStatus.choices, default=ReplyStatus.NONE, blank=True
    )
    composed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    content_hash = models.CharField(max_length=64, blank=True)
    findings = models.JSONField(default=list, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    send_in_flight = models.BooleanField(default=False)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "remote_created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "remote_id"],
                condition=~Q(remote_id=""),
                name="message_unique_remote",
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="message_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(reply_status__in=ReplyStatus.values), name="message_reply_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction="out") | Q(reply_status=""),
                name="message_incoming_has_no_reply_status",
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "remote_created_at"], name="message_conv_time"),
            models.Index(fields=["reply_status"], name="message_reply_status"),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} ({self.direction}) in conversation {self.conversation_id}"


class ReplyApproval(models.Model):
    """One person's sign-off of one exact reply text (its content hash); an edit dismisses it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    content_hash = models.CharField(max_length=64)
    approved_at = models.DateTimeField()
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["message", "approved_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "approver"],
                condition=Q(dismissed_at__isnull=True),
                name="reply_approval_one_live_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"Approval of reply {self.message_id} by {self.approver_id}"


class FetchCursor(models.Model):
    """Where a channel's stream (its notifications, or one saved search) was last read up to,
    and when it may be read again (rate limits and back-off)."""

    channel = models.ForeignKey(
        "accounts.Channel", on_delete=models.CASCADE, related_name="fetch_cursors"
    )
    stream = models.CharField(max_length=20, choices=FetchStream.choices)
    saved_search = models.ForeignKey(
        SavedSearch, null=True, blank=True, on_delete=models.CASCADE, related_name="cursors"
    )
    cursor = models.CharField(
        max_length=500, blank=True, help_text="Mastodon: newest id seen; Bluesky: newest indexedAt."
    )
    next_allowed_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    backoff_seconds = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    rate_limit_remaining = models.IntegerField(null=True, blank=True)
    rate_limit_reset_at = models.DateTimeField(null=True, blank=True)
    #: When this stream was first read: the first read keeps what was written up to
    #: ``fetch.HISTORY`` before it (an established account's years of mentions are not
    #: made into overdue conversations); after that, nothing is left out.
    started_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "stream"],
                condition=Q(saved_search__isnull=True),
                name="fetch_cursor_unique_stream",
            ),
            models.UniqueConstraint(
                fields=["channel", "saved_search"],
                condition=Q(saved_search__isnull=False),
                name="fetch_cursor_unique_search",
            ),
            models.CheckConstraint(
                condition=Q(stream__in=FetchStream.values), name="fetch_cursor_stream_valid"
            ),
            models.CheckConstraint(
                condition=Q(stream="search", saved_search__isnull=False)
                | Q(stream="notifications", saved_search__isnull=True),
                name="fetch_cursor_search_matches_stream",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stream} cursor of channel {self.channel_id}"


class ModerationRecord(models.Model):
    """One customer account's strikes with a brand (the record shown when they write again)."""

    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="+")
    platform = models.CharField(max_length=20)
    customer_remote_id = models.CharField(max_length=MAX_REMOTE_ID)
    customer_handle = models.CharField(max_length=MAX_HANDLE)
    strikes = models.PositiveSmallIntegerField(default=0, editable=False)
    last_strike_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand", "customer_handle"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "platform", "customer_remote_id"],
                name="moderation_record_unique_account",
            ),
            models.CheckConstraint(
                condition=Q(strikes__lte=3), name="moderation_record_strikes_lte_3"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_handle}: {self.strikes} strike(s)"


class ModerationStrike(models.Model):
    """One step of the three: answered → asked to stop → removed and reported."""

    record = models.ForeignKey(ModerationRecord, on_delete=models.CASCADE, related_name="steps")
    step = models.PositiveSmallIntegerField(choices=StrikeStep.choices)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    platform_action = models.CharField(
        max_length=50, blank=True, help_text="e.g. report, block, mute, hide (empty: none)."
    )
    platform_action_ok = models.BooleanField(null=True, blank=True)
    platform_result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["record", "step"]
        constraints = [
            models.UniqueConstraint(fields=["record", "step"], name="moderation_strike_once"),
            models.CheckConstraint(
                condition=Q(step__gte=1) & Q(step__lte=3), name="moderation_strike_step_1_3"
            ),
        ]

    def __str__(self) -> str:
        return f"Strike {self.step} on record {self.record_id}"


class ModerationHide(models.Model):
    """One message hidden on the platform (a comment under the brand's post on Facebook or
    Instagram: only its author and their friends still see it), kept on its author's
    moderation record. Once per message: the row is committed before the platform is
    asked; a hide the platform refused may be tried again."""

    record = models.ForeignKey(ModerationRecord, on_delete=models.CASCADE, related_name="hides")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    platform_action_ok = models.BooleanField(
        null=True, blank=True, help_text="Empty while the platform is being asked."
    )
    platform_result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["record", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["message"], name="moderation_hide_once"),
        ]

    def __str__(self) -> str:
        return f"Message {self.message_id} hidden (record {self.record_id})"


class CrisisChecklist(models.Model):
    """A brand's written crisis steps, one a line, shown beside a crisis conversation."""

    brand = models.OneToOneField(
        "accounts.Brand", on_delete=models.CASCADE, related_name="crisis_checklist"
    )
    steps = models.TextField(max_length=MAX_CHECKLIST_CHARS, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Crisis checklist of brand {self.brand_id}"

    @property
    def step_list(self) -> list[str]:
        return [line.strip() for line in self.steps.splitlines() if line.strip()]
