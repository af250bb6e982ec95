import datetime

import pytest
import time_machine
from django.urls import reverse

from commitments.vocabulary import AssuranceLevel
from tests.builders import period_for
from tests.reports.public_builders import committed_org, published

pytestmark = pytest.mark.django_db

HOME = reverse("home")
STATUSES = ["implemented", "implemented", "planned"]


@pytest.fixture
def periods(framework):
    return period_for(framework, label="2024", year=2024), period_for(framework, label="2025", year=2025)


@pytest.fixture
def acme(framework):
    return committed_org(framework, "Acme Labs")


def _rows(response):
    return {row.organisation.name: row for row in response.context["m"].rows}


def test_the_matrix_is_the_start_page_and_reads_anonymously(client, framework):
    response = client.get("/")
    assert response.status_code == 200
    assert response.resolver_match.url_name == "home"


def test_each_principle_cell_shows_a_summary_a_level_label_and_a_link(
    client, periods, acme, reviewer, program_admin
):
    published(
        acme, periods[1], reviewer=reviewer, admin=program_admin,
        statuses=STATUSES, verdicts=["verified", "partially_verified", "verified"],
    )  # fmt: skip

    response = client.get(HOME)
    body = response.content.decode()

    (cell,) = _rows(response)["Acme Labs"].cells
    assert cell.text == "2/3 implemented · 2 verified"
    assert cell.level.label == "Partly verified"
    assert cell.url == f"{HOME}?framework=tiny&period=2025&principle=tiny.p1"
    assert "2/3 implemented · 2 verified" in body
    assert 'class="cell level-partly_verified"' in body
    assert "Partly verified</span>" in body  # a text label, not colour alone


def test_the_drill_down_shows_each_mitigation_with_status_and_assurance(
    client, periods, acme, reviewer, program_admin
):
    published(
        acme, periods[1], reviewer=reviewer, admin=program_admin,
        statuses=STATUSES, verdicts=["verified", "partially_verified", "verified"],
    )  # fmt: skip

    response = client.get(HOME, {"principle": "tiny.p1"})

    cells = _rows(response)["Acme Labs"].cells
    assert [(c.text, c.level.label) for c in cells] == [
        ("Implemented", "Reviewer-verified"),
        ("Implemented", "Self-reported"),
        ("Planned", "Reviewer-verified"),
    ]
    assert cells[0].url == reverse("public:item", args=["acme-labs", "tiny", "2025", "tiny.p1.m1"])
    assert [c.title for c in response.context["m"].columns] == [
        "Mitigation 1",
        "Mitigation 2",
        "Mitigation 3",
    ]


def test_the_legend_defines_every_assurance_level_including_independent_audit(client, periods):
    body = client.get(HOME).content.decode()
    for label in ("Not reported", "Self-reported", "Reviewer-verified", "Independently audited"):
        assert label in body
    assert AssuranceLevel.INDEPENDENTLY_AUDITED.definition in body


def test_organisations_that_were_due_and_did_not_publish_are_shown_as_not_reported(
    client, periods, acme, framework
):
    committed_org(framework, "Silent Corp")

    response = client.get(HOME, {"period": "2024"})

    row = _rows(response)["Silent Corp"]
    assert row.publication is None
    assert [c.level.label for c in row.cells] == ["Not reported"]
    assert "No published report; due date passed" in response.content.decode()


def test_organisations_that_signed_after_the_period_are_not_listed(client, periods, framework):
    late = committed_org(framework, "Late Signer")
    late.commitments.update(signed_on=datetime.date(2025, 6, 1))

    assert "Late Signer" not in _rows(client.get(HOME, {"period": "2024"}))
    assert "Late Signer" in _rows(client.get(HOME, {"period": "2025"}))


def test_headline_figures_count_on_time_reports_and_verified_items_and_compare_periods(
    client, periods, acme, framework, reviewer, program_admin
):
    old, new = periods
    slow = committed_org(framework, "Slow Systems")
    committed_org(framework, "Silent Corp")
    with time_machine.travel(datetime.datetime(2025, 2, 1, 12, tzinfo=datetime.UTC)):
        published(
            acme,
            old,
            reviewer=reviewer,
            admin=program_admin,
            verdicts=["verified", "not_verified", "not_verified"],
        )
    with time_machine.travel(datetime.datetime(2026, 2, 1, 12, tzinfo=datetime.UTC)):
        published(acme, new, reviewer=reviewer, admin=program_admin)
    with time_machine.travel(
        datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC)
    ):  # after the 31 March due date
        published(
            slow,
            new,
            reviewer=reviewer,
            admin=program_admin,
            verdicts=["verified", "verified", "needs_information"],
        )

    with time_machine.travel(datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)):
        response = client.get(HOME, {"period": "2025"})

    m = response.context["m"]
    assert (m.headline.committed, m.headline.reported, m.headline.on_time) == (3, 2, 1)
    assert (m.headline.items.total, m.headline.items.verified, m.headline.items.self_reported_only) == (
        6,
        5,
        1,
    )
    assert m.previous_period == old
    assert [c["text"] for c in m.changes] == ["up 1", "up 50 pts", "no change"]
    body = response.content.decode()
    assert "1 of 3" in body
    assert "83%" in body  # 5 of 6 items verified
    assert "Since 2024:" in body
    assert "up 50 pts" in body


def test_the_default_period_is_the_latest_with_publications(
    client, periods, acme, reviewer, program_admin, framework
):
    period_for(framework, label="2023", year=2023)
    published(acme, periods[0], reviewer=reviewer, admin=program_admin)

    # 2025 is newer but has no publication yet; 2023 is older.
    assert client.get(HOME).context["m"].period == periods[0]


def test_the_framework_filter_switches_framework(client, periods, acme):
    from tests.builders import small_framework

    other = small_framework(key="other")
    period_for(other, label="2025-Q1", year=2025)
    committed_org(other, "Other Signer")

    response = client.get(HOME, {"framework": "other"})

    assert response.context["m"].framework == other
    assert list(_rows(response)) == ["Other Signer"]


@pytest.mark.parametrize(
    "query",
    [{"framework": "nope"}, {"period": "1999"}, {"principle": "tiny.p9"}, {"principle": "tiny.p1.m1"}],
)
def test_unknown_filters_are_404(client, periods, query):
    assert client.get(HOME, query).status_code == 404


def test_with_no_period_yet_the_start_page_lists_the_frameworks(client, framework):
    body = client.get(HOME).content.decode()
    assert "No reporting period has been opened yet" in body
    assert "Tiny framework tiny" in body
