"""Log lines an operator can search: every line has its time (UTC, ISO 8601), level, logger and the
id of the request it belongs to ("-" outside a request: a Celery task, a command).

Two formats, chosen by LOG_FORMAT: `text` (one readable line) or `json` (one JSON object a line, for
a log collector). This module imports nothing from Django, so that gunicorn's own loggers
(config/gunicorn.conf.py) use the same format before the application is loaded.
"""

import contextvars
import datetime
import json
import logging

# Set by config.request_id.RequestIdMiddleware for the duration of a request.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id`: the current request's id, or "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


def _utc_time(record: logging.LogRecord) -> str:
    moment = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """`2026-12-03T08:00:00.123Z WARNING pledgeproof.cache [9f1c…] message` on one line: newlines in
    the message are escaped, so that text from a request cannot forge another log line. A traceback
    follows on indented lines, which no reader takes for a new entry."""

    def __init__(self, *args, **kwargs):
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        RequestIdFilter().filter(record)
        record.message = record.getMessage().replace("\r", "\\r").replace("\n", "\\n")
        record.asctime = _utc_time(record)
        line = self.formatMessage(record)
        details = []
        if record.exc_info:
            details.append(self.formatException(record.exc_info))
        if record.stack_info:
            details.append(self.formatStack(record.stack_info))
        for detail in details:
            line += "".join(f"\n  {part}" for part in detail.splitlines())
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, request_id, message (and exception, if any)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def format(self, record: logging.LogRecord) -> str:
        RequestIdFilter().filter(record)
        entry = {
            "time": _utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": record.request_id,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


FORMATTERS = {"text": TextFormatter, "json": JsonFormatter}


def logging_config(*, log_format: str, level: str, extra_loggers: dict | None = None) -> dict:
    """A dictConfig for Django's LOGGING and gunicorn's logconfig_dict alike."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "config.log_format.RequestIdFilter"}},
        "formatters": {"default": {"()": f"config.log_format.{FORMATTERS[log_format].__name__}"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": extra_loggers or {},
    }
