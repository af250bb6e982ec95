"""A program admin creates an engagement from the web app; what they typed stays on a refused form."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.models import Engagement
from commitments.models import LedgerEntry
from commitments.vocabulary import LedgerEvent
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

URL = reverse("audits:engagement_new")
ABSENT = 987654


@pytest.fixture
def admin_client(client, program_admin):
    client.force_login(program_admin)
    return client


def _form(auditor, org, period, **changes):
    data = {
        "title": "Northwind 2026 limited assurance",
        "firm": "Harbourside Assurance LLP",
        "standard": "ISAE 3000 (Revised), limited assurance",
        "scope_statement": "Every mitigation of the 2026 report.",
        "auditors": [auditor.pk],
        "organisations": [org.pk],
        "periods": [period.pk],
        "starts_at": "2026-03-01T09:00",
        "ends_at": "2026-04-01T17:00",
    }
    data.update(changes)
    return data


def test_an_admin_creates_an_engagement_and_it_is_ledgered(admin_client, auditor, org, period, program_admin):
    response = admin_client.post(URL, _form(auditor, org, period))

    engagement = Engagement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("audits:engagement", args=[engagement.pk])
    assert engagement.starts_at.isoformat() == "2026-03-01T09:00:00+00:00"
    assert list(engagement.auditors.values_list("auditor", flat=True)) == [auditor.pk]
    entry = LedgerEntry.objects.get(event=LedgerEvent.ENGAGEMENT_CREATED)
    assert entry.actor_id == program_admin.pk
    assert json.loads(entry.payload)["data"]["title"] == "Northwind 2026 limited assurance"
    page = admin_client.get(response["Location"]).text
    assert "Northwind 2026 limited assurance" in page
    assert "Not declared yet" in page
    assert "1 Mar 2026, 09:00 UTC" in page


def test_the_form_says_which_timezone_the_window_is_in(admin_client):
    page = admin_client.get(URL).text

    assert "Date and time, UTC" in page
    assert 'type="datetime-local"' in page


def _refused(client, data) -> tuple[str, dict]:
    response = client.post(URL, data)
    assert response.status_code == 400
    assert Engagement.objects.count() == 0
    assert not LedgerEntry.objects.filter(event=LedgerEvent.ENGAGEMENT_CREATED).exists()
    return response.text, response.context["form"].errors


def test_an_end_before_the_start_is_refused_on_the_end_and_nothing_typed_is_lost(
    admin_client, auditor, org, period
):
    page, errors = _refused(admin_client, _form(auditor, org, period, ends_at="2026-02-01T09:00"))

    assert errors["ends_at"] == ["The engagement must end after it starts."]
    assert "Every mitigation of the 2026 report." in page
    assert 'value="Northwind 2026 limited assurance"' in page
    assert 'value="2026-02-01T09:00"' in page
    assert f'value="{auditor.pk}"' in page and "checked" in page


def test_someone_who_is_not_an_auditor_is_refused(admin_client, auditor, reviewer, org, period):
    _page, errors = _refused(admin_client, _form(auditor, org, period, auditors=[reviewer.pk]))

    assert "auditors" in errors


def test_ids_that_do_not_exist_are_refused_on_their_fields(admin_client, auditor, org, period):
    _page, errors = _refused(
        admin_client, _form(auditor, org, period, auditors=[ABSENT], organisations=[ABSENT], periods=["x"])
    )

    assert set(errors) == {"auditors", "organisations", "periods"}


def test_an_auditor_who_belongs_to_an_organisation_in_scope_is_refused(admin_client, auditor, org, period):
    MembershipFactory(organisation=org, user=auditor, role="viewer")

    _page, errors = _refused(admin_client, _form(auditor, org, period))

    assert "an auditor cannot audit their own organisation" in errors["auditors"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "T" * 201),
        ("standard", "S" * 201),
        ("firm", "F" * 201),
        ("scope_statement", "x" * 20_001),
        ("scope_statement", "   "),
        ("starts_at", "next Tuesday"),
        ("ends_at", "2026-13-45T99:99"),
    ],
)
def test_oversized_blank_and_malformed_values_are_refused_on_their_field(
    admin_client, auditor, org, period, field, value
):
    _page, errors = _refused(admin_client, _form(auditor, org, period, **{field: value}))

    assert list(errors) == [field]


def test_html_in_the_title_is_shown_as_text(admin_client, auditor, org, period):
    title = '<script>alert("x")</script><b>Bold</b>'
    admin_client.post(URL, _form(auditor, org, period, title=title))

    for url in (
        reverse("audits:engagements"),
        reverse("audits:engagement", args=[Engagement.objects.get().pk]),
    ):
        page = admin_client.get(url).text
        assert "<script>alert" not in page and "<b>Bold</b>" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;Bold&lt;/b&gt;" in page


def test_the_list_shows_every_engagement_with_its_auditors_declarations(
    admin_client, auditor, org, period, program_admin
):
    from tests.audits.builders import engagement_for

    engagement_for(auditor, organisations=[org], periods=[period], admin=program_admin, title="Declared one")

    page = admin_client.get(reverse("audits:engagements")).text

    assert "Declared one" in page
    assert "declared" in page
    assert "Northwind Models" in page


def test_the_service_refuses_a_title_longer_than_the_column_whatever_the_form(program_admin, org, period):
    from audits.services.engagements import engagement_create
    from commitments.errors import ValidationFailed
    from tests.factories import UserFactory

    now = timezone.now()
    with pytest.raises(ValidationFailed) as refused:
        engagement_create(
            acting_user=program_admin,
            title="T" * 201,
            standard="ISAE 3000",
            scope_statement="All of it.",
            firm="F" * 201,
            auditors=[UserFactory(platform_role="auditor")],
            organisations=[org],
            periods=[period],
            starts_at=now,
            ends_at=now + timedelta(days=1),
        )
    assert refused.value.problems["title"] == ["At most 200 characters."]
    assert refused.value.problems["firm"] == ["At most 200 characters."]
