"""GET /api/v1/log/checkpoint/ before the log has signed anything: 503, as /log/checkpoint answers."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_before_the_first_checkpoint_the_answer_is_503_and_says_why(client):
    response = APIClient().get("/api/v1/log/checkpoint/")

    assert response.status_code == 503 == client.get("/log/checkpoint").status_code
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "No checkpoint has been signed yet."
