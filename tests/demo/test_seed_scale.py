from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from commitments.models import Evidence, Framework, ItemVerdict, Organisation, ProgressReport, ReportStatus
from commitments.services.ledger import ledger_verify
from demo import scale
from reports.models import Publication

pytestmark = pytest.mark.django_db

DEMO_PERIODS = {"2024", "2025", "2026"}


def seed_scale(*args: str) -> str:
    out = StringIO()
    call_command("seed_scale", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    return seed_scale("--orgs", "3", "--periods", "2")


def test_it_publishes_a_report_per_organisation_and_period_through_the_services(seeded):
    assert "6 report(s) published" in seeded
    reports = ProgressReport.objects.filter(organisation__name__startswith="Scale Test Org")
    assert reports.count() == 6
    assert set(reports.values_list("status", flat=True)) == {ReportStatus.PUBLISHED}
    assert Publication.objects.filter(report__in=reports).count() == 6
    assert sorted(Organisation.objects.values_list("name", flat=True)) == [
        "Scale Test Org 001",
        "Scale Test Org 002",
        "Scale Test Org 003",
    ]
    assert set(reports.values_list("period__label", flat=True)) == {"2022", "2023"}
    # Every item got a verdict, and implemented ones carry evidence, public and restricted.
    assert ItemVerdict.objects.filter(item__report__in=reports).count() == 6 * 21
    assert Evidence.objects.filter(item__report__in=reports, visibility="public").exists()
    assert Evidence.objects.filter(item__report__in=reports, visibility="restricted").exists()


def test_its_periods_never_collide_with_the_demo_periods(seeded):
    framework = Framework.objects.get(key="sbd")
    labels = [period.label for period in scale.scale_periods(framework, scale.MAX_PERIODS)]
    assert len(labels) == scale.MAX_PERIODS
    assert not DEMO_PERIODS & set(labels)


def test_the_ledger_stays_complete_and_intact(seeded):
    result = ledger_verify()
    assert result.ok, result.problem
    assert result.count > 6 * 21 * 2  # at least an edit and a verdict per item


def test_the_reports_appear_on_the_public_matrix(seeded, client):
    page = client.get(reverse("home") + "?framework=sbd&period=2023").content.decode()
    assert "Scale Test Org 001" in page
    assert "Scale Test Org 003" in page


def test_a_second_run_changes_nothing(seeded):
    entries = ledger_verify().count
    out = seed_scale("--orgs", "3", "--periods", "2")
    assert "0 report(s) published, 6 already there" in out
    assert ProgressReport.objects.count() == 6
    assert ledger_verify().count == entries


def test_a_larger_run_adds_only_what_is_missing(seeded):
    out = seed_scale("--orgs", "4", "--periods", "2")
    assert "2 report(s) published, 6 already there" in out
    assert ProgressReport.objects.published().count() == 8


def test_some_organisations_leave_their_latest_period_unreported(settings, monkeypatch, client):
    settings.DEBUG = True
    monkeypatch.setattr(scale, "SILENT_EVERY", 2)
    out = seed_scale("--orgs", "2", "--periods", "1")
    assert "1 left unreported on purpose" in out
    assert not ProgressReport.objects.filter(organisation__name="Scale Test Org 002").exists()
    page = client.get(reverse("home") + "?framework=sbd&period=2023").content.decode()
    assert "Scale Test Org 002" in page  # due and silent: shown as such, not hidden
    assert "No published report; due date passed" in page


def test_it_refuses_to_run_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        seed_scale("--orgs", "1", "--periods", "1")
    assert not Organisation.objects.exists()


def test_it_runs_with_debug_off_when_forced(settings):
    settings.DEBUG = False
    out = seed_scale("--orgs", "1", "--periods", "1", "--force")
    assert "1 report(s) published" in out


def test_it_refuses_a_period_count_it_cannot_place_before_the_demo(settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="--periods"):
        seed_scale("--orgs", "1", "--periods", str(scale.MAX_PERIODS + 1))
