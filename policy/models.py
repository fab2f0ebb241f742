"""Policy versions: the brand's rules as immutable, numbered snapshots."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


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
