"""The engagement's window, at its edges: the minute before it opens, while open, the minute it ends."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.audits.builders import DECLARATION, engagement_for
from tests.audits.engagement_world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, other_org, period, framework):
    return build_world(org, other_org, period, framework)


@pytest.fixture
def window(world, org, period, auditor, program_admin):
    starts_at = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    engagement = engagement_for(
        auditor,
        organisations=[org],
        periods=[period],
        admin=program_admin,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=2),
        title="Northwind window",
    )
    return engagement


def _pages(engagement, world):
    return [
        reverse("audits:engagement", args=[engagement.pk]),
        reverse("audits:declare", args=[engagement.pk]),
        reverse("audits:workspace", args=[engagement.pk]),
        reverse("audits:item", args=[engagement.pk, world.item.pk]),
        reverse("audits:evidence_preview", args=[engagement.pk, world.text_file.pk]),
        reverse("commitments:evidence_download", args=[world.text_file.pk]),
        reverse("commitments:report_review", args=[world.report.pk]),
    ]


def test_the_minute_before_it_opens_every_page_is_a_404_and_the_list_says_only_when(
    client, world, window, auditor
):
    client.force_login(auditor)
    with time_machine.travel(window.starts_at - timedelta(minutes=1), tick=False):
        for url in _pages(window, world):
            assert client.get(url).status_code == 404, url
        page = client.get(reverse("audits:engagements")).text

    assert window.starts_at.strftime("%-d %b %Y, %H:%M") in page
    assert "Northwind window" not in page
    assert "Northwind Models" not in page


def test_from_its_first_minute_the_auditor_declares_then_works(client, world, window, auditor):
    client.force_login(auditor)
    with time_machine.travel(window.starts_at, tick=False):
        assert client.get(reverse("audits:engagement", args=[window.pk])).status_code == 302
        client.post(reverse("audits:declare", args=[window.pk]), {"declaration": DECLARATION})
        for url in _pages(window, world):
            assert client.get(url).status_code == 200, url


def test_the_minute_it_ends_every_page_is_a_404_again(client, world, window, auditor):
    client.force_login(auditor)
    with time_machine.travel(window.starts_at + timedelta(minutes=1), tick=False):
        client.post(reverse("audits:declare", args=[window.pk]), {"declaration": DECLARATION})
    with time_machine.travel(window.ends_at - timedelta(minutes=1), tick=False):
        assert client.get(reverse("audits:workspace", args=[window.pk])).status_code == 200
    for moment in (window.ends_at, window.ends_at + timedelta(minutes=1)):
        with time_machine.travel(moment, tick=False):
            for url in _pages(window, world):
                assert client.get(url).status_code == 404, (moment, url)
            assert client.get(reverse("audits:engagements")).status_code == 403


def test_the_admin_still_sees_an_engagement_outside_its_window(client, window, program_admin):
    client.force_login(program_admin)
    with time_machine.travel(window.ends_at + timedelta(days=1), tick=False):
        page = client.get(reverse("audits:engagement", args=[window.pk])).text

    assert "Northwind window" in page
    assert "ended" in page
