from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "policy"
    verbose_name = "Policy, approvals rules and training"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from policy.models import HashtagVocabulary, SensitiveMoment

        for model in (HashtagVocabulary, SensitiveMoment):
            post_save.connect(_lint_context_changed, sender=model, dispatch_uid=f"lint-{model}")
            post_delete.connect(_lint_context_changed, sender=model, dispatch_uid=f"lint-d-{model}")


def _lint_context_changed(sender, instance, **kwargs) -> None:
    """A cache's side effect: a vocabulary tag or a moment was written or removed, so the
    brand's (a moment for every brand: every brand's) lint context is read again."""
    from policy import services

    services.lint_context_changed(brand_id=instance.brand_id)
