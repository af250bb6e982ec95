"""A report's ledger entries before the log has signed any checkpoint: listed, without proofs."""

import pytest
from rest_framework.test import APIClient

from api.models import TokenScope
from api.services import api_token_create

pytestmark = pytest.mark.django_db


def test_before_the_logs_first_checkpoint_entries_come_without_proofs(report, officer):
    client = APIClient()
    token = api_token_create(user=officer, name="script", scope=TokenScope.READ).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    page = client.get(f"/api/v1/reports/{report.pk}/ledger/").json()

    assert page["checkpoint"] is None
    assert [e["event"] for e in page["results"]] == ["report.created"]
    assert page["results"][0]["inclusion_proof"] is None
