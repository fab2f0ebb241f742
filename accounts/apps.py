from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts, brands and channels"

    def ready(self) -> None:
        # System checks; API tokens revoked on password change or deactivation.
        from accounts import checks, tokens  # noqa: F401
        from accounts.permissions import forget_codenames

        # Permission rows are (re)written by migrate and by a test database's flush.
        post_migrate.connect(forget_codenames, dispatch_uid="accounts.forget_codenames")
