"""System checks: every platform a channel can have must have a publisher backend."""

from django.core import checks


@checks.register()
def every_platform_has_a_client(app_configs, **kwargs):
    from accounts.models import Platform

    try:
        from accounts.platforms.registry import PLATFORMS
    except ImportError as exc:  # pragma: no cover - only while the package is missing
        return [checks.Error(f"Platform clients cannot be imported: {exc}", id="accounts.E001")]
    return [
        checks.Error(
            f"Platform {value!r} has no client in accounts.platforms.registry.PLATFORMS",
            id="accounts.E002",
        )
        for value in Platform.values
        if value not in PLATFORMS
    ]
