from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts, brands and channels"

    def ready(self) -> None:
        # System checks; API tokens revoked on password change or deactivation.
        from accounts import checks, tokens  # noqa: F401
