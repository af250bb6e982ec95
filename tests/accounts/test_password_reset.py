import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return UserFactory(email="ana@example.test", full_name="Ana Ortiz")


def _reset_path(message) -> str:
    url = re.search(r"https?://\S+/accounts/password/reset/\S+/\S+/", message.body).group(0)
    assert url.startswith(settings.SITE_URL)
    return url.removeprefix(settings.SITE_URL)


def _ask_for_reset(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("accounts:password_reset"), {"email": email})


def test_it_sends_exactly_one_email_with_text_and_html(client, person, django_capture_on_commit_callbacks):
    response = _ask_for_reset(client, "ana@example.test", django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.test"]
    assert message.subject == "Reset your Pledgeproof password"
    assert "Hello Ana Ortiz" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert _reset_path(message) in html


def test_the_email_is_sent_only_after_the_request_commits(client, person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("accounts:password_reset"), {"email": "ana@example.test"})

    assert mail.outbox == []
    assert len(callbacks) == 1


def test_the_link_sets_a_new_password_once(client, person, django_capture_on_commit_callbacks):
    _ask_for_reset(client, "ana@example.test", django_capture_on_commit_callbacks)
    link = _reset_path(mail.outbox[0])

    # Django swaps the token in the URL for a session-held one, then shows the form.
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]

    done = client.post(
        set_url, {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"}
    )

    assert done.status_code == 302
    assert done.url == reverse("accounts:password_reset_complete")
    person.refresh_from_db()
    assert person.check_password("a brand new passphrase")
    again = client.get(link, follow=True)
    assert "This link no longer works" in again.content.decode()


def test_a_weak_new_password_is_refused_with_the_validators_message(
    client, person, django_capture_on_commit_callbacks
):
    _ask_for_reset(client, "ana@example.test", django_capture_on_commit_callbacks)
    set_url = client.get(_reset_path(mail.outbox[0]), follow=True).redirect_chain[-1][0]

    response = client.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    person.refresh_from_db()
    assert person.check_password("correct horse battery")


def test_resetting_the_password_lifts_a_sign_in_lockout(client, person, django_capture_on_commit_callbacks):
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "ana@example.test", "password": "wrong"})
    _ask_for_reset(client, "ana@example.test", django_capture_on_commit_callbacks)
    set_url = client.get(_reset_path(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    client.post(
        set_url, {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"}
    )

    response = client.post(
        reverse("accounts:login"), {"username": "ana@example.test", "password": "a brand new passphrase"}
    )

    assert response.status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    client, person, django_capture_on_commit_callbacks
):
    response = _ask_for_reset(client, "nobody@example.test", django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert mail.outbox == []
