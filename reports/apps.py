from django.apps import AppConfig
from django.core import checks


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Publication and reports"

    def ready(self):
        checks.register(signing_key_check)


def signing_key_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`manage.py check` names a signing key that would make PDFs contradict their PDF/A-3b claim."""
    from reports.pdf.signing import signing_key_warnings

    return [checks.Warning(message, id="reports.W001") for message in signing_key_warnings()]
