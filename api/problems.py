"""One error format for the whole API: RFC 9457 problem details (`application/problem+json`).

Every refusal, of DRF or of a domain service, becomes
    {"type": ".../api/problems/#<slug>", "title": ..., "status": ..., "detail": ..., "instance": path}
and, for invalid input, `errors`: one {"pointer": JSON Pointer into the body, "detail": message} per
problem (the extension RFC 9457 §3 shows). The types are listed, with what a client should do about
each, at /api/problems/ (PROBLEM_TYPES, rendered by api/views.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from rest_framework import exceptions, status
from rest_framework.response import Response

from commitments.access import NOT_FOUND
from commitments.errors import (
    DomainError,
    FrozenFramework,
    InvalidTransition,
    NotAllowed,
    StaleEdit,
    StorageFailed,
    TooManyAttempts,
    UploadRefused,
    ValidationFailed,
)

CONTENT_TYPE = "application/problem+json"
log = logging.getLogger("pledgeproof.api")


@dataclass(frozen=True)
class ProblemType:
    slug: str
    title: str
    status: int
    advice: str  # what the client should do, shown at /api/problems/


PROBLEM_TYPES = {
    p.slug: p
    for p in (
        ProblemType(
            "invalid-request",
            "The request is not valid",
            400,
            "Fix the fields named in `errors` and send it again.",
        ),
        ProblemType(
            "malformed-body",
            "The request body cannot be read",
            400,
            "Send well-formed JSON (or multipart for uploads) of the stated Content-Type.",
        ),
        ProblemType(
            "unauthenticated",
            "Authentication needed",
            401,
            "Send a personal API token as `Authorization: Bearer pp_…`; "
            "`detail` says what was wrong with the one sent.",
        ),
        ProblemType(
            "forbidden",
            "Not allowed",
            403,
            "Your account (or your token's scope) may see this but not do this.",
        ),
        ProblemType(
            "not-found",
            "Not found",
            404,
            "Nothing is there, or it is not visible to your account: the two are not told apart.",
        ),
        ProblemType("method-not-allowed", "Method not allowed", 405, "See the `Allow` header."),
        ProblemType("not-acceptable", "Not acceptable", 406, "Accept `application/json`."),
        ProblemType(
            "conflict",
            "Not possible in the current state",
            409,
            "The object's state does not allow this now (e.g. a report already submitted): read it again.",
        ),
        ProblemType(
            "idempotency-key-in-use",
            "A request with this Idempotency-Key is still being processed",
            409,
            "Wait for the first request to finish, then retry with the same key.",
        ),
        ProblemType(
            "precondition-failed",
            "The object changed since you read it",
            412,
            "Your `If-Match` names an older version: GET it again (its `ETag`), reapply your change, "
            "and send it with the new ETag. Nothing was changed.",
        ),
        ProblemType(
            "payload-too-large",
            "The request body is too large",
            413,
            "Send less in one request: `detail` says the limit.",
        ),
        ProblemType(
            "unsupported-media-type",
            "Unsupported media type",
            415,
            "Send `application/json` (or `multipart/form-data` for uploads).",
        ),
        ProblemType(
            "idempotency-key-reused",
            "This Idempotency-Key was used for another request",
            422,
            "Use a new key for a new request; a key is for retrying the very same request.",
        ),
        ProblemType(
            "rate-limited",
            "Too many requests",
            429,
            "Wait the number of seconds in `Retry-After`, then retry.",
        ),
        ProblemType(
            "server-error",
            "Server error",
            500,
            "Retry later; if it persists, tell the program (the `instance` and the time help).",
        ),
        ProblemType("unavailable", "Temporarily unavailable", 503, "Retry later; nothing was saved."),
    )
}
_BY_STATUS = {p.status: p for p in reversed(PROBLEM_TYPES.values())}


class InvalidParameters(exceptions.ValidationError):
    """Query parameters (not the body) that are not valid: listed as {"parameter", "detail"}."""

    def __init__(self, problems: dict[str, list[str]]):
        super().__init__(problems)
        self.parameters = {name: [str(m) for m in messages] for name, messages in problems.items()}


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = PROBLEM_TYPES["precondition-failed"].advice
    default_code = "precondition-failed"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used for a different request."
    default_code = "idempotency-key-reused"


class IdempotencyKeyInUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still being processed."
    default_code = "idempotency-key-in-use"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload-too-large"


def type_uri(slug: str) -> str:
    return f"{reverse('api:problems')}#{slug}"


def problem(
    request: HttpRequest | None, status_code: int, detail: str, *, slug: str | None = None, **extra: Any
) -> dict[str, Any]:
    kind = PROBLEM_TYPES.get(slug or "") or _BY_STATUS.get(status_code)
    body: dict[str, Any] = {
        "type": type_uri(kind.slug) if kind else "about:blank",
        "title": kind.title if kind else "Error",
        "status": status_code,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.path
    body.update(extra)
    return body


def pointer_errors(detail: Any, path: str = "") -> list[dict[str, str]]:
    """DRF's nested error structure as a flat list of JSON Pointers (RFC 6901) and messages."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            if key == "non_field_errors":
                found += pointer_errors(value, path)
            else:
                escaped = str(key).replace("~", "~0").replace("/", "~1")
                found += pointer_errors(value, f"{path}/{escaped}")
        return found
    if isinstance(detail, list):
        if all(not isinstance(v, (dict, list)) for v in detail):
            return [{"pointer": f"#{path}", "detail": str(message)} for message in detail]
        found = []
        for index, value in enumerate(detail):
            if value:  # DRF gives {} for the list entries that were fine
                found += pointer_errors(value, f"{path}/{index}")
        return found
    return [{"pointer": f"#{path}", "detail": str(detail)}]


def _slug_of(exc: exceptions.APIException) -> str | None:
    return {
        exceptions.ValidationError: "invalid-request",
        exceptions.ParseError: "malformed-body",
        exceptions.NotAuthenticated: "unauthenticated",
        exceptions.AuthenticationFailed: "unauthenticated",
        exceptions.Throttled: "rate-limited",
    }.get(type(exc), exc.default_code if exc.default_code in PROBLEM_TYPES else None)


def _domain(exc: DomainError) -> tuple[int, str, dict[str, Any]]:
    if isinstance(exc, NotAllowed):
        return 403, "forbidden", {}
    if isinstance(exc, (InvalidTransition, StaleEdit, FrozenFramework)):
        return 409, "conflict", {}
    if isinstance(exc, StorageFailed):
        return 503, "unavailable", {}
    if isinstance(exc, ValidationFailed):
        return 400, "invalid-request", {"errors": pointer_errors(exc.problems)}
    if isinstance(exc, UploadRefused):
        return 400, "invalid-request", {"errors": [{"pointer": "#/file", "detail": str(exc)}]}
    if isinstance(exc, TooManyAttempts):
        return 429, "rate-limited", {}
    return 400, "invalid-request", {}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error an API view raises, as problem details."""
    request = context.get("request")
    headers: dict[str, str] = {}
    if isinstance(exc, (Http404, exceptions.NotFound)):
        status_code, slug, detail, extra = 404, "not-found", NOT_FOUND, {}
    elif isinstance(exc, DjangoPermissionDenied):
        status_code, slug, detail, extra = 403, "forbidden", str(exc) or "Not allowed.", {}
    elif isinstance(exc, (RequestDataTooBig, TooManyFieldsSent)):
        status_code, slug, detail, extra = 413, "payload-too-large", str(exc), {}
    elif isinstance(exc, DomainError):
        status_code, slug, extra = _domain(exc)
        detail = str(exc)
        if isinstance(exc, TooManyAttempts):
            headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, exceptions.APIException):
        status_code, slug, extra = exc.status_code, _slug_of(exc), {}
        if isinstance(exc, InvalidParameters):
            detail = "A query parameter is not valid: see `errors`."
            extra = {
                "errors": [
                    {"parameter": name, "detail": message}
                    for name, messages in exc.parameters.items()
                    for message in messages
                ]
            }
        elif isinstance(exc, exceptions.ValidationError):
            detail = "The request is not valid: see `errors`."
            extra = {"errors": pointer_errors(exc.detail)}
        elif isinstance(exc, exceptions.NotAuthenticated):
            detail = "Sign in, or send a personal API token (`Authorization: Bearer pp_…`)."
        else:
            detail = str(exc.detail)
        auth_header = getattr(context.get("view"), "get_authenticate_header", None)
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)) and auth_header:
            value = auth_header(request)
            if value:
                headers["WWW-Authenticate"] = value
            else:
                status_code = 403
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    else:
        return None  # a bug: Django's 500 handler (api_server_error below) answers
    from rest_framework.views import set_rollback  # not at import: DRF's settings import this module

    set_rollback()
    return Response(
        problem(request, status_code, detail, slug=slug, **extra),
        status=status_code,
        headers=headers,
        content_type=CONTENT_TYPE,
    )


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def api_not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse(problem(request, 404, NOT_FOUND), status=404, content_type=CONTENT_TYPE)


def api_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        problem(request, 500, "Something went wrong on our side; nothing you sent was at fault."),
        status=500,
        content_type=CONTENT_TYPE,
    )
