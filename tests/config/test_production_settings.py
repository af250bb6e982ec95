"""The production settings added with gunicorn: malformed values stop start-up, naming the variable."""

import runpy
import subprocess
import sys

import pytest

from config.settings import trusted_origin_fault
from tests.config.support import ROOT, clean_env

GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"


def _check(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean_env(DEBUG="1", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "origin,fault",
    [
        ("pledgeproof.example.org", "must start with https://"),
        ("ftp://pledgeproof.example.org", "must start with https://"),
        ("https://", "has no host name"),
        ("https://pledgeproof.example.org/", "must be a scheme and a host only"),
        ("https://pledgeproof.example.org/login", "must be a scheme and a host only"),
        ("https://user:pw@pledgeproof.example.org", "must be a scheme and a host only"),
        ("https://pledgeproof.example.org:port", "is not a valid URL"),
    ],
)
def test_a_malformed_trusted_origin_is_named_with_its_fault(origin, fault):
    assert fault in trusted_origin_fault(origin)


@pytest.mark.parametrize(
    "origin", ["https://pledgeproof.example.org", "https://*.example.org", "http://localhost:8000"]
)
def test_scheme_and_host_origins_are_accepted(origin):
    assert trusted_origin_fault(origin) == ""


@pytest.mark.parametrize(
    "env,message",
    [
        (
            {"CSRF_TRUSTED_ORIGINS": "https://ok.example.org,pledgeproof.example.org"},
            "CSRF_TRUSTED_ORIGINS: 'pledgeproof.example.org' must start with https://",
        ),
        ({"TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}, "TRUSTED_PROXIES: 'proxy.internal' is not an IP"),
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL must be one of debug, info, warning, error, critical"),
    ],
)
def test_a_malformed_production_setting_stops_start_up(env, message):
    result = _check(**env)

    assert result.returncode != 0
    assert message in result.stderr


def _gunicorn_settings(monkeypatch, **env: str) -> dict:
    for name in ("PORT", "GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def test_gunicorn_listens_on_port_with_a_bounded_number_of_workers(monkeypatch):
    conf = _gunicorn_settings(monkeypatch, PORT="9001")

    assert conf["bind"] == ["0.0.0.0:9001"]
    assert 1 <= conf["workers"] <= 8
    assert conf["timeout"] == 60
    assert "request_id=%({x-request-id}o)s" in conf["access_log_format"]
    assert conf["logconfig_dict"]["formatters"]["default"]["()"] == "config.log_format.TextFormatter"


def test_gunicorn_reads_its_settings_from_the_environment(monkeypatch):
    conf = _gunicorn_settings(
        monkeypatch,
        GUNICORN_BIND="127.0.0.1:7000",
        WEB_CONCURRENCY="3",
        GUNICORN_TIMEOUT="120",
        LOG_FORMAT="json",
    )

    assert conf["bind"] == ["127.0.0.1:7000"]
    assert (conf["workers"], conf["timeout"]) == (3, 120)
    assert conf["logconfig_dict"]["formatters"]["default"]["()"] == "config.log_format.JsonFormatter"


@pytest.mark.parametrize("value", ["many", "0", "-2"])
def test_a_malformed_worker_count_stops_gunicorn_naming_the_variable(monkeypatch, value):
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY must be"):
        _gunicorn_settings(monkeypatch, WEB_CONCURRENCY=value)


def test_an_unknown_log_format_stops_gunicorn_naming_the_variable(monkeypatch):
    with pytest.raises(SystemExit, match="LOG_FORMAT must be one of text, json; got 'xml'"):
        _gunicorn_settings(monkeypatch, LOG_FORMAT="xml")
