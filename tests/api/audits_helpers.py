"""What the audit API tests share: a client for any user, the ledger's entries of one event, and
the paths of the endpoints."""

from __future__ import annotations

import json

from rest_framework.test import APIClient

from api.models import TokenScope
from api.services import api_token_create
from commitments.models import LedgerEntry


def client_for(user, scope: str = TokenScope.WRITE) -> APIClient:
    client = APIClient()
    if user is not None:
        secret = api_token_create(user=user, name="audit tests", scope=scope).secret
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def ledger(event) -> list[dict]:
    """The data of the ledger's entries of one event, oldest first."""
    rows = LedgerEntry.objects.filter(event=event).order_by("sequence")
    return [json.loads(row.payload)["data"] for row in rows]


def pointers(response) -> dict[str, str]:
    """The problem's `errors`, pointer → message (the first for each pointer)."""
    found: dict[str, str] = {}
    for error in response.json().get("errors", []):
        if "pointer" in error:
            found.setdefault(error["pointer"], error["detail"])
    return found


def parameters(response) -> dict[str, str]:
    """The problem's `errors` about query parameters, parameter → message (the first for each)."""
    found: dict[str, str] = {}
    for error in response.json().get("errors", []):
        if "parameter" in error:
            found.setdefault(error["parameter"], error["detail"])
    return found


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


V1 = "/api/v1"


def engagement_path(engagement) -> str:
    return f"{V1}/engagements/{engagement.pk}/"


def item_path(engagement, item, what: str) -> str:
    return f"{V1}/engagements/{engagement.pk}/items/{item.pk}/{what}/"


def request_path(evidence_request, what: str = "") -> str:
    return f"{V1}/evidence-requests/{evidence_request.pk}/" + (f"{what}/" if what else "")


def finding_path(finding, what: str = "") -> str:
    return f"{V1}/findings/{finding.pk}/" + (f"{what}/" if what else "")


def attestation_path(attestation, what: str = "") -> str:
    return f"{V1}/attestations/{attestation.pk}/" + (f"{what}/" if what else "")
