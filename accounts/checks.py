"""System checks: every platform a channel can have must have a complete client backend."""

from django.core import checks


@checks.register()
def every_platform_has_a_client(app_configs, **kwargs):
    from accounts.models import Platform
    from platforms.registry import registry_problems

    return [
        checks.Error(problem, id="accounts.E001")
        for problem in registry_problems(tuple(Platform.values))
    ]
