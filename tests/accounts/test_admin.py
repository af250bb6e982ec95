import pytest
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db


def test_the_admin_site_offers_no_way_around_the_services_for_second_factor_devices(admin_client):
    # Only the owner sets an app up and only a program admin resets it (logged, person told):
    # an admin page could give someone's account an app whose secret the editor knows.
    for name in ["admin:otp_totp_totpdevice_changelist", "admin:otp_static_staticdevice_changelist"]:
        with pytest.raises(NoReverseMatch):
            reverse(name)
    assert admin_client.get("/admin/").status_code == 200
    assert admin_client.get("/admin/otp_totp/totpdevice/").status_code == 404
