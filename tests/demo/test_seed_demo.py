import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from commitments.models import Evidence, Organisation, ProgressReport, ReportStatus
from commitments.services.ledger import ledger_verify

pytestmark = pytest.mark.django_db

# Signatories of the real principles: demo data must never show them with invented claims.
REAL_COMPANIES = [
    "Amazon", "Anthropic", "Civitai", "Google", "Meta", "Metaphysic", "Microsoft",
    "Mistral", "OpenAI", "Stability", "Invoke",
]  # fmt: skip


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_it_creates_reports_in_every_state_with_two_or_more_published(seeded):
    states = set(ProgressReport.objects.values_list("status", flat=True))
    assert states == set(ReportStatus.values)
    assert ProgressReport.objects.published().count() >= 2
    assert Evidence.objects.filter(visibility="restricted").exists()
    assert Evidence.objects.filter(visibility="public").exists()


def test_the_ledger_of_the_demo_data_is_complete_and_intact(seeded):
    result = ledger_verify()
    assert result.ok, result.problem
    assert result.count > 100


def test_it_prints_the_demo_logins(seeded):
    assert "admin@demo.pledgeproof.test" in seeded
    assert "pledgeproof-demo" in seeded
    assert re.search(r"officer@northwind\.demo\.pledgeproof\.test\s+compliance officer", seeded)


def test_it_prints_the_authenticator_secret_of_each_staff_login_and_how_to_get_a_code(seeded):
    from base64 import b32encode

    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert "manage.py otp_code EMAIL" in seeded
    staff = TOTPDevice.objects.filter(confirmed=True).select_related("user")
    assert {device.user.email for device in staff} == {
        f"{name}@demo.pledgeproof.test" for name in ["admin", "reviewer", "reviewer2", "auditor"]
    }
    for device in staff:
        secret = b32encode(device.bin_key).decode()
        printed = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        assert re.search(rf"{re.escape(device.user.email)}\s+{printed}\n", seeded)
    assert seeded.rstrip().splitlines()[-1].startswith("  auditor@demo.pledgeproof.test")


def test_an_existing_demo_gets_the_staff_authenticators_on_the_next_run(seeded):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.all().delete()
    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert TOTPDevice.objects.filter(confirmed=True).count() == 4
    assert out.getvalue().splitlines()[-4:] == seeded.splitlines()[-4:]


def test_northwinds_officer_is_asked_to_follow_up_the_audits_nonconformity_in_a_2026_report(seeded, client):
    from django.urls import reverse

    from accounts.models import User

    client.force_login(User.objects.get(email="officer@northwind.demo.pledgeproof.test"))

    page = client.get(reverse("commitments:dashboard")).content.decode()

    assert "Corrective actions to follow up" in page
    assert "Start your 2026 report to follow this up." in page


def test_no_real_company_appears_in_demo_organisations(seeded):
    names = " ".join(Organisation.objects.values_list("name", flat=True))
    for company in REAL_COMPANIES:
        assert company.lower() not in names.lower()


def test_a_second_run_changes_nothing(seeded):
    before = ProgressReport.objects.count()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "already present" in out.getvalue()
    assert ProgressReport.objects.count() == before


def test_it_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo", stdout=StringIO())
    assert not Organisation.objects.exists()
