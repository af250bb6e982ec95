"""Pages of the second factor: the code step, setting up an app, recovery codes, the Security page
and a program admin's reset. accounts.second_factor.SecondFactorMiddleware decides which of them a
session that still owes its code may open."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.forms import SecondFactorCodeForm, SecondFactorResetForm
from accounts.second_factor import (
    Step,
    recovery_code_display,
    safe_next_url,
    second_factor_step,
    step_url,
    totp_secret_display,
)
from accounts.selectors import second_factor_summary, user_get_by_email
from accounts.services import (
    RECOVERY_CODE_COUNT,
    recovery_codes_regenerate,
    second_factor_code_verify,
    second_factor_reset,
    second_factor_turn_off,
    totp_enrolment_confirm,
    totp_enrolment_start,
)
from commitments import access
from commitments.errors import DomainError, NotAllowed, TooManyAttempts, ValidationFailed

# New recovery codes wait here for the one page that shows them, which removes them.
NEW_RECOVERY_CODES_SESSION_KEY = "second_factor_new_recovery_codes"

VERIFY_LABEL = "6-digit code from your authenticator app, or a recovery code"
ENROL_LABEL = "6-digit code the app shows"
CONFIRM_LABEL = "A code from your authenticator app, or a recovery code"


def _session_verified(request: HttpRequest, device: Device) -> None:
    otp_login(request, device)
    # A new session id for the now more powerful session, as at sign-in.
    request.session.cycle_key()


def _page(
    request: HttpRequest, template: str, context: dict, *, form, refusal: DomainError | None
) -> HttpResponse:
    """The page again, with the refused code's message on its field and the matching status."""
    status = 200
    if refusal is not None:
        form.add_error("code", str(refusal))
        status = {TooManyAttempts: 429, NotAllowed: 403}.get(type(refusal), 400)
    elif form is not None and form.is_bound and form.errors:
        status = 400
    response = render(request, template, context, status=status)
    if isinstance(refusal, TooManyAttempts):
        response["Retry-After"] = str(refusal.retry_after)
    return response


def _recovery_codes_page_url(next_url: str) -> str:
    return f"{reverse('accounts:recovery_codes')}?{urlencode({'next': next_url})}"


@never_cache
@sensitive_post_parameters("code")
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_verify_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next_url(request)
    step = second_factor_step(request.user)
    if step is None:
        return redirect(next_url)
    if step is Step.ENROL:
        return redirect(step_url(Step.ENROL, next_url))
    form = SecondFactorCodeForm(request.POST or None, label=VERIFY_LABEL)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            device = second_factor_code_verify(user=request.user, code=form.cleaned_data["code"])
        except (ValidationFailed, TooManyAttempts) as exc:
            refusal = exc
        else:
            _session_verified(request, device)
            if isinstance(device, StaticDevice):
                left = second_factor_summary(user=request.user).recovery_codes_left
                messages.warning(
                    request,
                    f"You signed in with a recovery code; it cannot be used again, and {left} are left. "
                    "If your phone is lost, set up the app on a new one from your Security page.",
                )
            return redirect(next_url)
    return _page(
        request,
        "accounts/second_factor_verify.html",
        {"form": form, "next": next_url},
        form=form,
        refusal=refusal,
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_enrol_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    next_url = safe_next_url(request)
    step = second_factor_step(user)
    if step is Step.VERIFY:
        # Whoever has only the password must never be able to put their own app in place.
        return redirect(step_url(Step.VERIFY, next_url))
    device = totp_enrolment_start(user=user)
    form = SecondFactorCodeForm(request.POST or None, allow_recovery=False, label=ENROL_LABEL)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = totp_enrolment_confirm(user=user, code=form.cleaned_data["code"])
        except (ValidationFailed, TooManyAttempts) as exc:
            refusal = exc
        else:
            _session_verified(request, device)
            request.session[NEW_RECOVERY_CODES_SESSION_KEY] = codes
            messages.success(request, "Your authenticator app is set up: sign-ins now ask for its code.")
            return redirect(_recovery_codes_page_url(next_url))
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "next": next_url,
        "secret": totp_secret_display(device),
        # segno writes the SVG from the otpauth:// address alone: no user text goes in unescaped.
        "qr_svg": mark_safe(qr.svg_inline(scale=5, dark="#000", light="#fff", title="QR code to scan")),  # noqa: S308
        "required": user.second_factor_required,
        "replacing": second_factor_summary(user=user).authenticator is not None,
        "pending": step is Step.ENROL,
    }
    return _page(request, "accounts/second_factor_enrol.html", context, form=form, refusal=refusal)


@never_cache
@login_required
@require_http_methods(["GET"])
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    codes = request.session.pop(NEW_RECOVERY_CODES_SESSION_KEY, None)
    context = {
        "codes": [recovery_code_display(code) for code in codes] if codes else None,
        "count": RECOVERY_CODE_COUNT,
        "next": safe_next_url(request),
    }
    return render(request, "accounts/recovery_codes.html", context)


def _security_page(
    request: HttpRequest,
    *,
    regenerate_form: SecondFactorCodeForm | None = None,
    turn_off_form: SecondFactorCodeForm | None = None,
    refusal: DomainError | None = None,
) -> HttpResponse:
    bound = regenerate_form or turn_off_form
    context = {
        "summary": second_factor_summary(user=request.user),
        "required": request.user.second_factor_required,
        "recovery_code_count": RECOVERY_CODE_COUNT,
        "regenerate_form": regenerate_form or _confirm_form("regenerate"),
        "turn_off_form": turn_off_form or _confirm_form("turn-off"),
    }
    return _page(request, "accounts/security.html", context, form=bound, refusal=refusal)


def _confirm_form(prefix: str, data=None) -> SecondFactorCodeForm:
    return SecondFactorCodeForm(data, prefix=prefix, label=CONFIRM_LABEL, autofocus=False)


@never_cache
@login_required
@require_http_methods(["GET"])
def security_view(request: HttpRequest) -> HttpResponse:
    return _security_page(request)


@never_cache
@sensitive_post_parameters("regenerate-code")
@login_required
@require_POST
def recovery_codes_regenerate_view(request: HttpRequest) -> HttpResponse:
    form = _confirm_form("regenerate", request.POST)
    refusal = None
    if form.is_valid():
        try:
            codes = recovery_codes_regenerate(user=request.user, code=form.cleaned_data["code"])
        except (ValidationFailed, TooManyAttempts) as exc:
            refusal = exc
        else:
            request.session[NEW_RECOVERY_CODES_SESSION_KEY] = codes
            messages.success(request, "New recovery codes made: the old ones no longer work.")
            return redirect(_recovery_codes_page_url(reverse("accounts:security")))
    return _security_page(request, regenerate_form=form, refusal=refusal)


@never_cache
@sensitive_post_parameters("turn-off-code")
@login_required
@require_POST
def second_factor_turn_off_view(request: HttpRequest) -> HttpResponse:
    form = _confirm_form("turn-off", request.POST)
    refusal = None
    if form.is_valid():
        try:
            second_factor_turn_off(user=request.user, code=form.cleaned_data["code"])
        except (ValidationFailed, TooManyAttempts, NotAllowed) as exc:
            refusal = exc
        else:
            messages.success(request, "Second factor turned off: signing in now takes your password only.")
            return redirect("accounts:security")
    return _security_page(request, turn_off_form=form, refusal=refusal)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_reset_view(request: HttpRequest) -> HttpResponse:
    access.program_for(request.user, action=access.Action.RESET_SECOND_FACTOR)
    form = SecondFactorResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = user_get_by_email(email=form.cleaned_data["email"])
        if person is None:
            form.add_error("email", "No account has that email address.")
        else:
            try:
                second_factor_reset(acting_user=request.user, user=person)
            except (ValidationFailed, NotAllowed) as exc:
                form.add_error("email", str(exc))
            else:
                messages.success(
                    request,
                    f"The second factor of {person.email} is reset and they were told by email. "
                    + (
                        "They set up a new authenticator app at their next sign-in."
                        if person.second_factor_required
                        else "Their sign-in no longer asks for a code until they set one up again."
                    ),
                )
                return redirect("accounts:second_factor_reset")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "accounts/second_factor_reset.html", {"form": form}, status=status)
