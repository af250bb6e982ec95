from django.apps import AppConfig
from django.core import checks


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Publication and reports"

    def ready(self):
        checks.register(signing_key_check)
        checks.register(tsa_roots_check)


def signing_key_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`manage.py check` names a signing key that would make PDFs contradict their PDF/A-3b claim."""
    from reports.pdf.signing import signing_key_warnings

    return [checks.Warning(message, id="reports.W001") for message in signing_key_warnings()]


def tsa_roots_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`manage.py check` names a timestamp authority root file that cannot be read."""
    from reports.pdf.verification import tsa_roots_problem

    problem = tsa_roots_problem()
    return [checks.Warning(problem, id="reports.W002")] if problem else []
