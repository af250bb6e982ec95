"""What the OpenAPI schema says about every endpoint besides its own body: the problem responses
it may give, and the headers of optimistic concurrency and idempotent retries. Endpoints name
these here rather than each writing its own."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.idempotency import KEY_MAX as IDEMPOTENCY_KEY_MAX
from api.problems import CONTENT_TYPE as PROBLEM_CONTENT_TYPE
from api.problems import PROBLEM_TYPES
from api.serializers import ProblemSerializer

_TITLES = {p.status: p.title for p in reversed(PROBLEM_TYPES.values())}


def problems(*statuses: int) -> dict[tuple[int, str], OpenApiResponse]:
    """Problem-details responses (`application/problem+json`) for these statuses; 400, 401 and
    429 come with every endpoint (a bad query or header, a bad token, the rate limit)."""
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            response=ProblemSerializer, description=_TITLES.get(code, "Error")
        )
        for code in sorted({*statuses, 400, 401, 429})
    }


# What a request header itself can answer, on every operation that takes it: a retry whose key is in
# use (409) or was used for another request (422); an If-Match naming another version (412).
HEADER_PROBLEMS = {IDEMPOTENCY_HEADER: (409, 422), "If-Match": (412,)}


def header_problems_hook(result, generator, request, public):
    """drf-spectacular postprocessing hook: each operation taking Idempotency-Key or If-Match
    documents the problems those headers give, so no endpoint can forget to (schemathesis checks
    that every status answered is documented)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            headers = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "header"}
            for header, codes in HEADER_PROBLEMS.items():
                if header not in headers:
                    continue
                for code in codes:
                    operation["responses"].setdefault(
                        str(code),
                        {
                            "content": {
                                PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
                            },
                            "description": _TITLES.get(code, "Error"),
                        },
                    )
    return result


PUBLIC = (400, 429)  # public endpoints: no 401 in practice, but keep it declared by problems()
READ = (401, 403, 404)
WRITE = (400, 401, 403, 404, 409, 413, 415)

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag from your last GET: the update is refused with 412 if the object changed since.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    # As api/idempotency.py reads it: 1 to KEY_MAX printable ASCII characters (a 400 otherwise).
    {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX, "pattern": "^[ -~]+$"},
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique key (e.g. a UUID) for this request: a retry with the same key and body gets the first "
        "response again and acts only once; the same key with another body is refused (422)."
    ),
)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A personal API token (`pp_…`), made on your account's API tokens page or with "
                "`manage.py create_api_token`. Read-only tokens may only GET."
            ),
        }
