"""The second factor: who must give one, what a code looks like, and the gate that asks for it.

A password alone signs a person in (Django's session), but for anyone who has an authenticator
app, and for everyone whose role requires one (User.second_factor_required), that session opens
nothing but the code step (or, with no app yet, the forced set-up) and sign-out until a code is
accepted. django-otp's OTPMiddleware says whether the session is verified; SecondFactorMiddleware
enforces it for every page, htmx request, API endpoint and the admin site alike, so no view can
forget to ask.
"""

import enum
import re
import time
import unicodedata
from base64 import b32encode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

TOTP_CODE = re.compile(r"[0-9]{6}")
# django-otp's StaticToken.random_token(): 8 characters of lower-case base32.
RECOVERY_CODE = re.compile(r"[a-z2-7]{8}")
# Longer input is refused before it is even normalised.
CODE_MAX_LENGTH = 32


class CodeKind(enum.Enum):
    TOTP = "totp"
    RECOVERY = "recovery"


def code_normalise(raw: str) -> str:
    """What people type, as stored: full-width digits made ASCII, spaces and hyphens dropped."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"[\s\-]", "", text).lower()


def code_kind(code: str) -> CodeKind | None:
    """The kind of a normalised code by its shape, or None when it is neither."""
    if TOTP_CODE.fullmatch(code):
        return CodeKind.TOTP
    if RECOVERY_CODE.fullmatch(code):
        return CodeKind.RECOVERY
    return None


def recovery_code_display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def totp_secret_display(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_code_now(device: TOTPDevice) -> str:
    """The code the device's app shows now, or the next one if this one was already used.

    Codes are accepted once each (django-otp keeps the last time step used) and one step
    early or late, so the next step's code is good now too. For the demo's `otp_code` command
    and the tests; never shown for a real account.
    """
    device.refresh_from_db(fields=["last_t", "drift"])
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def user_is_verified(user) -> bool:
    """Whether this session gave a second factor (OTPMiddleware installs is_verified)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


class Step(enum.Enum):
    VERIFY = "accounts:second_factor_verify"
    ENROL = "accounts:second_factor_enrol"

    @property
    def url(self) -> str:
        return reverse(self.value)


def second_factor_step(user) -> Step | None:
    """What a signed-in person must still do before anything else opens; None when nothing."""
    if not user.is_authenticated or user_is_verified(user):
        return None
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return Step.VERIFY
    return Step.ENROL if user.second_factor_required else None


def step_url(step: Step, next_url: str = "") -> str:
    return f"{step.url}?{urlencode({'next': next_url})}" if next_url else step.url


class SecondFactorMiddleware:
    """Sends a session that still owes its second factor to the code step (or the set-up)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = second_factor_step(request.user)
        if step is not None and request.path not in self._open_paths(step):
            return self._send_to(request, step)
        return self.get_response(request)

    @staticmethod
    def _open_paths(step: Step) -> set[str]:
        return {step.url, reverse("accounts:logout")}

    @staticmethod
    def _send_to(request: HttpRequest, step: Step) -> HttpResponse:
        message = (
            "Give the code from your authenticator app first."
            if step is Step.VERIFY
            else "Set up an authenticator app first: your role requires a second factor."
        )
        if request.path.startswith("/api/"):
            from api.problems import CONTENT_TYPE, problem  # the API's one error format

            return JsonResponse(problem(request, 403, message), status=403, content_type=CONTENT_TYPE)
        next_url = request.get_full_path() if request.method in ("GET", "HEAD") else ""
        url = step_url(step, next_url)
        if getattr(request, "htmx", False):
            # htmx follows HX-Redirect whatever the status, so the denial stays a real 403.
            response = HttpResponse(message, status=403, content_type="text/plain; charset=utf-8")
            response["HX-Redirect"] = step_url(step)
            return response
        return redirect(url)


def safe_next_url(request: HttpRequest) -> str:
    """The `next` the request carries if it stays on this site, else the default landing page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)
