import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_methodology_lists_frameworks_with_nodes_guidance_and_metrics(client, framework):
    framework.nodes.filter(node_id="tiny.p1.m1").update(
        evidence_expected="A written policy.", verification_criteria="The policy is in force."
    )

    body = client.get(reverse("public:methodology")).content.decode()

    assert "Tiny framework tiny" in body
    assert "tiny.p1.m2" in body and "Mitigation 2" in body
    assert "A written policy." in body and "The policy is in force." in body
    assert "Reports made (count), required, with its data source" in body
    assert "export_framework" in body


def test_the_methodology_defines_statuses_assurance_levels_review_and_ledger(client, framework):
    body = client.get(reverse("public:methodology")).content.decode()
    for text in ("Not started", "Planned", "In progress", "Implemented", "Not applicable"):
        assert text in body
    for text in ("Not reported", "Self-reported", "Reviewer-verified", "Independently audited"):
        assert text in body
    for text in ("Submitted.", "In review.", "changes requested", "Verified.", "Published."):
        assert text in body
    assert "ledger" in body and "SHA-256" in body
    assert reverse("public:corrections") in body
