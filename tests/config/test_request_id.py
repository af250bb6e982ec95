"""Every response names its request id (X-Request-ID), and every log line of the request carries it."""

import json
import logging
import re
import subprocess
import sys
from contextlib import ExitStack, contextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.log_format import JsonFormatter, RequestIdFilter, TextFormatter
from config.request_id import safe_request_id
from tests.config.support import ROOT, clean_env

pytestmark = pytest.mark.django_db

FRESH = re.compile(r"[0-9a-f]{32}")
TEXT_LINE = re.compile(
    r"(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?P<level>[A-Z]+) (?P<logger>[\w.-]+) "
    r"\[(?P<request_id>[^\]]+)\] (?P<message>.*)"
)


def test_a_request_without_an_id_gets_a_fresh_one(client):
    first = client.get("/methodology/")["X-Request-ID"]
    second = client.get("/methodology/")["X-Request-ID"]

    assert FRESH.fullmatch(first) and FRESH.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    "incoming", ["abc-123", "7f3c9a1e-5b2d-4046-9f1c-2b8e6d0a4c11", "lb.1:req_9", "x" * 128]
)
def test_a_safe_incoming_id_is_kept(client, incoming):
    assert client.get("/methodology/", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "hostile",
    [
        "x" * 129,  # oversized
        "a" * 100_000,
        "abc\nFORGED 2026-01-01T00:00:00.000Z CRITICAL django [-] fake",  # a forged log line
        "abc\r\nSet-Cookie: x=1",
        "réquête-ü",  # unicode
        "抄",
        "two words",
        "<script>",
        "",
    ],
    ids=["129", "100k", "newline", "crlf", "latin", "cjk", "space", "markup", "empty"],
)
def test_a_hostile_incoming_id_is_replaced_by_a_fresh_one(client, hostile):
    response = client.get("/methodology/", HTTP_X_REQUEST_ID=hostile)

    assert response.status_code == 200
    assert FRESH.fullmatch(response["X-Request-ID"])


@given(st.text(max_size=200))
def test_the_id_used_is_always_safe_and_is_the_incoming_one_only_when_that_is_safe(incoming):
    used = safe_request_id(incoming)

    assert re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", used)
    assert (used == incoming) == bool(re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", incoming))


@contextmanager
def _captured(formatter: logging.Formatter, logger_name: str):
    """The lines `logger_name` logs while in the block, formatted by `formatter`; the logger is
    yielded with them."""
    lines: list[str] = []

    class ListHandler(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = ListHandler()
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield logger, lines
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def request_log():
    """What django.request logs, formatted as in production (settings.LOGGING's formatters)."""
    with ExitStack() as stack:

        def start(formatter):
            _logger, lines = stack.enter_context(_captured(formatter, "django.request"))
            return lines

        yield start


def test_a_log_line_has_time_level_logger_and_the_request_id(client, request_log):
    lines = request_log(TextFormatter())

    response = client.get("/organisations/no-such-organisation/", HTTP_X_REQUEST_ID="probe-42")

    assert response.status_code == 404
    (line,) = lines
    fields = TEXT_LINE.fullmatch(line).groupdict()
    assert fields["level"] == "WARNING"
    assert fields["logger"] == "django.request"
    assert fields["request_id"] == "probe-42" == response["X-Request-ID"]
    assert fields["message"] == "Not Found: /organisations/no-such-organisation/"


def test_a_json_log_line_has_the_same_fields(client, request_log):
    lines = request_log(JsonFormatter())

    response = client.get("/organisations/no-such-organisation/")

    (line,) = lines
    entry = json.loads(line)
    assert set(entry) == {"time", "level", "logger", "request_id", "message"}
    assert (entry["level"], entry["logger"]) == ("WARNING", "django.request")
    assert entry["request_id"] == response["X-Request-ID"]


def test_a_message_cannot_forge_a_second_log_line():
    with _captured(TextFormatter(), "pledgeproof.test-forgery") as (logger, lines):
        logger.warning("Not Found: /x\n2026-01-01T00:00:00.000Z CRITICAL django [-] forged")
        try:
            raise ValueError("boom\nmore")
        except ValueError:
            logger.exception("Failed")

    forged, failed = lines
    assert "\n" not in forged
    assert forged.endswith("Not Found: /x\\n2026-01-01T00:00:00.000Z CRITICAL django [-] forged")
    first, *trace = failed.split("\n")
    assert TEXT_LINE.fullmatch(first)
    assert trace and all(line.startswith("  ") for line in trace)  # a traceback is never a new entry


def test_outside_a_request_the_id_is_a_dash():
    with _captured(TextFormatter(), "pledgeproof.test-outside") as (logger, lines):
        logger.warning("From a task")

    assert TEXT_LINE.fullmatch(lines[0]).group("request_id") == "-"


def _logged_by_a_command(**env: str) -> subprocess.CompletedProcess:
    code = "import logging; logging.getLogger('pledgeproof.probe').warning('hello')"
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=clean_env(DEBUG="1", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_every_line_the_settings_log_has_the_four_fields(log_format):
    result = _logged_by_a_command(LOG_FORMAT=log_format)

    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines
    for line in lines:
        if log_format == "json":
            entry = json.loads(line)
            fields = {key: entry[key] for key in ("time", "level", "logger", "request_id", "message")}
        else:
            fields = TEXT_LINE.fullmatch(line).groupdict()
        assert fields["request_id"] == "-"
    assert fields["logger"] == "pledgeproof.probe"
    assert (fields["level"], fields["message"]) == ("WARNING", "hello")


def test_an_unknown_log_format_stops_start_up_naming_the_variable():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean_env(DEBUG="1", LOG_FORMAT="xml"),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "LOG_FORMAT must be one of text, json; got 'xml'." in result.stderr
