"""Settings read the environment; a malformed value stops start-up with a clear message.

Each case starts `manage.py` in a fresh process with a clean environment (only PATH and the like
from the shell running the tests), so that a DEBUG or SECRET_KEY exported there cannot change
the result.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks.security.base import check_secret_key
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from config.settings import DEVELOPMENT_SECRET_KEY, secret_key_weakness

ROOT = Path(__file__).resolve().parent.parent
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "PLEDGEPROOF_CHROMIUM")


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def strong_key() -> str:
    return secrets.token_urlsafe(50)


@pytest.mark.parametrize(
    "env,message",
    [
        ({"DEBUG": "maybe"}, "DEBUG must be one of"),
        ({"DEBUG": "1", "EVIDENCE_MAX_UPLOAD_MB": "lots"}, "EVIDENCE_MAX_UPLOAD_MB must be a whole number"),
        (
            {"DEBUG": "1", "EVIDENCE_PDF_IMAGES": "sometimes"},
            "EVIDENCE_PDF_IMAGES must be one of refuse, allow; got 'sometimes'.",
        ),
        (
            {"DEBUG": "1", "PDF_VERIFY_UPLOADS_PER_MINUTE": "0"},
            "PDF_VERIFY_UPLOADS_PER_MINUTE must be at least 1; got 0.",
        ),
        ({"DEBUG": "1", "DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL"),
        ({"DEBUG": "1", "PDF_RENDER_TIME_LIMIT": "5"}, "PDF_RENDER_TIME_LIMIT must be at least 10; got 5."),
        ({"DEBUG": "1", "PDF_RENDER_MAX_ATTEMPTS": "many"}, "PDF_RENDER_MAX_ATTEMPTS must be a whole number"),
        (
            {"DEBUG": "1", "PLEDGEPROOF_TSA_URL": "tsa.example/stamp"},
            "PLEDGEPROOF_TSA_URL must be an http(s) address, not 'tsa.example/stamp'",
        ),
        (
            {"DEBUG": "1", "PLEDGEPROOF_TSA_URL": "ftp://tsa.example/"},
            "PLEDGEPROOF_TSA_URL must be an http(s) address",
        ),
    ],
)
def test_a_malformed_setting_stops_start_up_naming_the_variable(env, message):
    result = _manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_debug_is_off_when_the_variable_is_unset():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print('DEBUG is', settings.DEBUG)",
        SECRET_KEY=strong_key(),
    )
    assert result.returncode == 0, result.stderr
    assert "DEBUG is False" in result.stdout


def test_with_nothing_set_start_up_stops_and_asks_for_a_secret_key():
    result = _manage("check")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    "key,reason",
    [
        ("", "is not set"),
        ("changeme", "is too short (8 of at least 50 characters)"),
        ("x" * 20 + "yz" * 14, "is too short (48 of at least 50 characters)"),
        ("django-insecure-" + secrets.token_urlsafe(50), "starts with 'django-insecure-'"),
        ("abcd" * 20, "has too few different characters (4 of at least 5)"),
        (DEVELOPMENT_SECRET_KEY, "is the development key"),
    ],
    ids=["missing", "changeme", "short", "django-insecure", "low-variety", "development-key"],
)
def test_a_missing_or_weak_secret_key_stops_start_up_with_debug_off(key, reason):
    result = _manage("check", DEBUG="0", SECRET_KEY=key, ALLOWED_HOSTS="pledgeproof.example")
    assert result.returncode != 0
    assert f"ImproperlyConfigured: SECRET_KEY {reason}" in result.stderr
    # The message says how to make a good one.
    assert 'python -c "import secrets; print(secrets.token_urlsafe(50))"' in result.stderr
    if key:
        assert key not in result.stderr  # named by its fault, never printed


def test_a_strong_secret_key_starts_with_debug_off():
    result = _manage("check", DEBUG="0", SECRET_KEY=strong_key(), ALLOWED_HOSTS="pledgeproof.example")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_with_debug_on_the_development_key_is_used_when_none_is_given():
    result = _manage("shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)", DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == DEVELOPMENT_SECRET_KEY


def production_environment() -> dict[str, str]:
    """The variables the README's "Production settings" block exports, with a fresh secret key."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Production settings", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    exported = dict(re.findall(r"^export (\w+)=(.+)$", block, re.MULTILINE))
    assert "secrets.token_urlsafe(50)" in exported.pop("SECRET_KEY")
    return {name: value.split()[0] for name, value in exported.items()} | {"SECRET_KEY": strong_key()}


def test_the_production_settings_the_readme_documents_pass_the_deploy_checks():
    env = production_environment()
    assert env["DEBUG"] == "0"
    assert {"ALLOWED_HOSTS", "SITE_URL", "DATABASE_URL"} <= set(env)
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


KEYS = st.one_of(
    st.text(min_size=40, max_size=60),
    st.text(alphabet="abcdef", min_size=45, max_size=55),
    st.builds(lambda rest: "django-insecure-" + rest, st.text(min_size=30, max_size=50)),
    st.just(DEVELOPMENT_SECRET_KEY),
    st.just(""),
)


@given(key=KEYS)
def test_start_up_refuses_exactly_the_keys_djangos_deploy_check_warns_about(key):
    with override_settings(SECRET_KEY=key):
        django_warns = bool(check_secret_key(None))
    assert bool(secret_key_weakness(key)) == django_warns
