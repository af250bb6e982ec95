"""Settings read the environment; a malformed value stops start-up with a clear message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _check(**env):
    full = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    full.update(env)
    full["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=full, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "env,message",
    [
        ({"DEBUG": "maybe"}, "DEBUG must be one of"),
        ({"EVIDENCE_MAX_UPLOAD_MB": "lots"}, "EVIDENCE_MAX_UPLOAD_MB must be a whole number"),
        (
            {"EVIDENCE_PDF_IMAGES": "sometimes"},
            "EVIDENCE_PDF_IMAGES must be one of refuse, allow; got 'sometimes'.",
        ),
        ({"PDF_VERIFY_UPLOADS_PER_MINUTE": "0"}, "PDF_VERIFY_UPLOADS_PER_MINUTE must be at least 1; got 0."),
        ({"DEBUG": "0", "ALLOWED_HOSTS": "pledgeproof.example"}, "SECRET_KEY must be set"),
        ({"DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL"),
    ],
)
def test_a_malformed_setting_stops_start_up_naming_the_variable(env, message):
    result = _check(**env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_defaults_start_with_no_environment_at_all():
    result = _check()
    assert result.returncode == 0, result.stderr


def test_a_production_configuration_passes_the_deploy_checks():
    full = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    full.update(
        DEBUG="0",
        SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        ALLOWED_HOSTS="pledgeproof.example",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
