"""Signing in as a person does, for the second-factor tests: password first, then the code."""

from django.urls import reverse

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's
VERIFY_URL = reverse("accounts:second_factor_verify")
ENROL_URL = reverse("accounts:second_factor_enrol")


def password_step(client, user, next_url: str = ""):
    data = {"username": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("accounts:login"), data)


def code_step(client, code: str, next_url: str = ""):
    return client.post(VERIFY_URL, {"code": code, "next": next_url} if next_url else {"code": code})


def is_verified(client) -> bool:
    from django_otp import DEVICE_ID_SESSION_KEY

    return DEVICE_ID_SESSION_KEY in client.session
