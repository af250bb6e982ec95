"""What the reports-area API tests share: a client acting through a person's API token, and a
report of any number of items for the query-count pins."""

from __future__ import annotations

from rest_framework.test import APIClient

from api.models import TokenScope
from api.services import api_token_create
from commitments.services.reports import report_create
from tests.builders import commit, period_for, small_framework
from tests.factories import MembershipFactory, OrganisationFactory


def api_client(user=None, *, scope: str = TokenScope.WRITE) -> APIClient:
    """A client sending a fresh token of `user` (anonymous without one)."""
    client = APIClient()
    if user is not None:
        secret = api_token_create(user=user, name="test script", scope=scope).secret
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def report_of(items: int, *, key: str | None = None):
    """A draft report of a fresh organisation on a framework of `items` mitigations; (report, officer)."""
    framework = small_framework(key=key or f"f{items}", items=items)
    organisation = OrganisationFactory()
    commit(organisation, framework)
    officer = MembershipFactory(organisation=organisation, role="officer").user
    report = report_create(organisation=organisation, period=period_for(framework), acting_user=officer)
    return report, officer


def problem_pointers(response) -> dict[str, str]:
    """A problem's `errors`, pointer into the body (or query parameter name) → message."""
    return {
        error.get("pointer", error.get("parameter")): error["detail"]
        for error in response.json().get("errors", [])
    }
