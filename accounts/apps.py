from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts, brands and channels"

    def ready(self) -> None:
        from accounts import checks  # noqa: F401  (registers system checks)
