"""The one helper that builds and sends emails.

Each email is three templates under templates/emails/: NAME_subject.txt, NAME.txt and NAME.html.
Callers queue `email_send_task` with `transaction.on_commit`, so nothing is sent for a change
that rolled back.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def email_build(*, template: str, to: Iterable[str], context: dict[str, Any]) -> EmailMultiAlternatives:
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=list(to))
    message.attach_alternative(html, "text/html")
    return message


def email_send(*, template: str, to: Iterable[str], context: dict[str, Any]) -> None:
    recipients = sorted(set(to))
    if recipients:
        email_build(template=template, to=recipients, context=context).send()
