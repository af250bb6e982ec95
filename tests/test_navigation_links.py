"""The header and the Security page show each person the links the access gate lets them follow."""

import pytest
from django.urls import reverse

from tests.audits.builders import engagement_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def engaged_auditor(auditor, org, period, program_admin):
    engagement_for(auditor, organisations=[org], periods=[period], admin=program_admin)
    return auditor


LINKS = {
    "Review queue": reverse("commitments:review_queue"),
    "Program overview": reverse("reports:overview"),
    "Documents": reverse("documents:index"),
    "Invitations": reverse("accounts:invite"),
    "Reset their second factor": reverse("accounts:second_factor_reset"),
    "Audits": reverse("audits:engagements"),
}


@pytest.mark.parametrize(
    ("who", "shown"),
    [
        ("officer", set()),
        ("auditor", set()),  # engaged for nothing: the role alone opens nothing (issue 14)
        ("engaged_auditor", {"Documents", "Audits"}),
        ("reviewer", {"Review queue", "Program overview", "Documents"}),
        ("program_admin", set(LINKS)),
    ],
)
def test_each_role_sees_the_links_it_may_follow_and_they_open(client, request, who, shown):
    client.force_login(request.getfixturevalue(who))

    page = client.get(reverse("accounts:security")).text

    assert {name for name, url in LINKS.items() if f'href="{url}"' in page} == shown
    for name, url in LINKS.items():
        assert (client.get(url).status_code == 200) is (name in shown), name
