from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from accounts.throttles import sign_in_failure_count

        # Counting failures per address, as axes counts them per address and account: the
        # signal is the one place every failed authenticate() (web, admin, API) passes through.
        user_login_failed.connect(sign_in_failure_count, dispatch_uid="accounts.sign_in_failure_count")
