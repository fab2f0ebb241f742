"""Policy versions: the brand's rules as immutable, numbered snapshots."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from policy.engine.presets import CHOICES as PRESET_CHOICES


class PolicyVersion(models.Model):
    """One version of a brand's policy. Never changed once written: edits make a new version,
    and a published post points at the version it passed."""

    class Source(models.TextChoices):
        STARTER = "starter", "Starter policy"
        EDITOR = "editor", "Edited in Countersign"
        IMPORT = "import", "Imported from YAML"

    brand = models.ForeignKey(
        "accounts.Brand", on_delete=models.CASCADE, related_name="policy_versions"
    )
    number = models.PositiveIntegerField()
    rules = models.JSONField(default=list)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.EDITOR)
    note = models.CharField(max_length=300, blank=True)
    requires_recertification = models.BooleanField(
        default=False, help_text="Certifications earned on earlier versions lapse."
    )
    preset = models.CharField(
        max_length=20,
        blank=True,
        choices=PRESET_CHOICES,
        help_text="What the brand is (policy/engine/presets.py); later versions keep it.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(fields=["brand", "number"], name="policy_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="policy_version_number_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} policy v{self.number}"


class HashtagVocabulary(models.Model):
    """One hashtag the brand uses: its own, a campaign's, one it has published, or one an
    approver vetted. Hashtags outside the vocabulary are findings of ``hashtags`` rules.
    ``key`` is ``policy.engine.hashtags.tag_key(tag)``: one row per spelling family."""

    class Source(models.TextChoices):
        OWN = "own", "The brand's own"
        CAMPAIGN = "campaign", "A campaign's"
        PUBLISHED = "published", "Published before"
        APPROVED = "approved", "Approved by a person"

    brand = models.ForeignKey(
        "accounts.Brand", on_delete=models.CASCADE, related_name="hashtag_vocabulary"
    )
    tag = models.CharField(max_length=101, help_text="As first written, with '#'.")
    key = models.CharField(max_length=100)
    source = models.CharField(max_length=10, choices=Source.choices)
    note = models.CharField(max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "hashtag vocabulary"
        ordering = ["brand", "key"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "key"], name="hashtag_vocabulary_unique_key"),
            models.CheckConstraint(
                condition=Q(source__in=["own", "campaign", "published", "approved"]),
                name="hashtag_vocabulary_source_valid",
            ),
            models.CheckConstraint(condition=~Q(key=""), name="hashtag_vocabulary_key_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.brand}: {self.tag}"


class SensitiveMoment(models.Model):
    """A current event the brand (or, without a brand, every brand) goes quiet on: while
    ``starts_at <= now < ends_at`` its terms and tags block or warn. Past moments stop
    matching by themselves and stay as history."""

    class Severity(models.TextChoices):
        BLOCK = "block", "Block"
        WARN = "warn", "Warn"

    brand = models.ForeignKey(
        "accounts.Brand",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sensitive_moments",
        help_text="Empty: the whole installation.",
    )
    name = models.CharField(max_length=120)
    terms = models.JSONField(default=list, blank=True, help_text="Words and phrases.")
    tags = models.JSONField(default=list, blank=True, help_text="Hashtags, with '#'.")
    severity = models.CharField(max_length=5, choices=Severity.choices, default=Severity.BLOCK)
    note = models.CharField(max_length=500, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["brand", "ends_at"], name="moment_brand_ends")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="moment_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=["block", "warn"]), name="moment_severity_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand or 'everyone'}: {self.name}"

    def is_active(self, now) -> bool:
        return self.starts_at <= now < self.ends_at


class ApprovalStep(models.Model):
    """One ordered step of a brand's sign-off (e.g. "brand" then "legal").

    A brand with no steps uses a single implicit step: ``Brand.approvals_required`` approvers
    (raised per channel by ``Channel.approvals_required``). A later step sees a post only
    after the earlier ones are satisfied.
    """

    brand = models.ForeignKey(
        "accounts.Brand", on_delete=models.CASCADE, related_name="approval_steps"
    )
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=60)
    required = models.PositiveSmallIntegerField(default=1)
    role = models.CharField(
        max_length=20,
        default="approver",
        help_text="Approvers must hold this role in the brand (and be allowed on the channel).",
    )
    group = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Optionally, approvers must also be in this named group.",
    )

    class Meta:
        ordering = ["brand", "order"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "order"], name="approval_step_unique_order"),
            models.UniqueConstraint(fields=["brand", "name"], name="approval_step_unique_name"),
            models.CheckConstraint(
                condition=Q(required__gte=1) & Q(required__lte=10),
                name="approval_step_required_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand}: step {self.order} {self.name} ({self.required})"


# --- training: quizzes, attempts, certifications ---------------------------------------------


class Quiz(models.Model):
    """A trainer's quiz on the brand's policy. Passing it certifies the roles it names."""

    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="quizzes")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    pass_mark = models.PositiveSmallIntegerField(
        default=80, help_text="The score (percent of questions right) needed to pass."
    )
    cooldown_minutes = models.PositiveIntegerField(
        default=60, help_text="How long someone waits before taking the quiz again."
    )
    certifies_author = models.BooleanField("certifies authors", default=True)
    certifies_approver = models.BooleanField("certifies approvers", default=False)
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    policy_version = models.ForeignKey(
        PolicyVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The policy version the generated questions were made from and checked "
        "against (re-checked when the quiz is published).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "quizzes"
        ordering = ["brand", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark__gte=1) & Q(pass_mark__lte=100), name="quiz_pass_mark_range"
            ),
            models.CheckConstraint(
                condition=Q(cooldown_minutes__lte=60 * 24 * 90), name="quiz_cooldown_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand}: {self.title}"

    @property
    def certifies(self) -> list[str]:
        return [r for r in ("author", "approver") if getattr(self, f"certifies_{r}")]


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "One answer"
        MULTIPLE = "multiple", "Several answers"

    class Source(models.TextChoices):
        MANUAL = "manual", "Written by a trainer"
        GENERATED = "generated", "Generated from the policy"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    prompt = models.TextField(max_length=1000)
    sample_text = models.TextField(
        blank=True, max_length=5000, help_text="The post the question asks about, if any."
    )
    sample_channel = models.CharField(max_length=255, blank=True)
    sample_category = models.CharField(max_length=50, blank=True)
    technique = models.CharField(
        max_length=40, blank=True, help_text="How a generated sample was built (trainers only)."
    )
    explanation = models.TextField(blank=True, max_length=3000, help_text="Shown after answering.")

    class Meta:
        ordering = ["quiz", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["single", "multiple"]), name="question_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=["manual", "generated"]), name="question_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Q{self.order} of {self.quiz_id}: {self.prompt[:60]}"

    @property
    def is_generated(self) -> bool:
        return self.source == self.Source.GENERATED


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField(default=False)
    rule_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="Generated questions: the rule this choice names, or the may-go-out marker.",
    )

    class Meta:
        ordering = ["question", "order", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class Attempt(models.Model):
    """One submitted try at a quiz. Written whole, once, by ``attempt_submit``."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    policy_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(db_index=True)
    correct = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()
    score = models.PositiveSmallIntegerField(help_text="Percent of questions right, rounded down.")
    passed = models.BooleanField()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["quiz", "user", "submitted_at"], name="attempt_quiz_user")]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=100), name="attempt_score_range"),
            models.CheckConstraint(
                condition=Q(correct__lte=models.F("total")), name="attempt_correct_lte_total"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.quiz}: {self.score}%"


class AttemptAnswer(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(
        Question, null=True, on_delete=models.SET_NULL, related_name="answers"
    )
    choice_ids = models.JSONField(default=list)
    is_correct = models.BooleanField()

    class Meta:
        ordering = ["attempt", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "question"], name="attempt_answer_unique_question"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}/{self.question_id}: {'right' if self.is_correct else 'wrong'}"


class Certification(models.Model):
    """Proof that someone passed a quiz: names the policy version it was earned on and the
    roles it covers. It lapses after the brand's validity period, or when a later policy
    version requires re-certification (see ``selectors.certification_state``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certifications"
    )
    brand = models.ForeignKey(
        "accounts.Brand", on_delete=models.CASCADE, related_name="certifications"
    )
    quiz = models.ForeignKey(
        Quiz, null=True, blank=True, on_delete=models.SET_NULL, related_name="certifications"
    )
    attempt = models.OneToOneField(
        Attempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="certification"
    )
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.RESTRICT, related_name="+")
    certifies_author = models.BooleanField(default=False)
    certifies_approver = models.BooleanField(default=False)
    earned_at = models.DateTimeField(db_index=True)
    reminded_before_at = models.DateTimeField(
        null=True, blank=True, help_text="When the 'lapses soon' email went out."
    )
    reminded_lapsed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the 'has lapsed' email went out."
    )

    class Meta:
        ordering = ["-earned_at", "-id"]
        indexes = [models.Index(fields=["brand", "user", "earned_at"], name="cert_brand_user")]
        constraints = [
            models.CheckConstraint(
                condition=Q(certifies_author=True) | Q(certifies_approver=True),
                name="certification_has_a_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} certified {'/'.join(self.roles)} in {self.brand}"

    @property
    def roles(self) -> list[str]:
        return [r for r in ("author", "approver") if getattr(self, f"certifies_{r}")]
