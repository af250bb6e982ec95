"""A request id for every request, in every log line it causes and in its X-Request-ID header.

A proxy in front may already have given the request an id (X-Request-ID); it is kept when it is
safe to copy into logs and headers: 1 to 128 characters of letters, digits and `-_.:`.
Anything else (too long, a newline that would forge a log line, other characters) is replaced
by a fresh id, and the response says which id was used.
"""

import re
import uuid
from collections.abc import Callable

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from config.log_format import request_id_var

HEADER = "X-Request-ID"
_SAFE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def safe_request_id(incoming: str | None) -> str:
    """`incoming` when it is safe to log and echo, else a new random id."""
    if incoming and _SAFE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that everything after it, redirects and errors included, logs the id.

    The id stays set until the response is finished (request_finished), not only while the
    middleware runs: Django logs "Not Found" and "Internal Server Error" after the whole middleware
    chain has returned.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = safe_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _request_id_forget(**kwargs) -> None:
    request_id_var.set("-")


request_finished.connect(_request_id_forget, dispatch_uid="pledgeproof-request-id-forget")
