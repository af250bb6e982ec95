"""The one helper that builds and sends emails, and the one that queues them.

Each email is three templates under templates/emails/: NAME_subject.txt, NAME.txt and NAME.html.
Callers queue an email with `email_queue` inside the transaction of the change it tells about:
it becomes an outbox row (outbox.services), sent once the transaction commits, so nothing is sent
for a change that rolled back, and a broker that is down delays the email instead of losing it.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from outbox.models import OutboxKind
from outbox.services import record


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


def email_queue(*, template: str, to: Iterable[str], context: dict[str, Any], key: str | None = None) -> None:
    """Send the email once the current transaction commits. `context` must be JSON (ids and
    strings); `key` names the email when the change has a natural identity (see outbox.record)."""
    recipients = sorted(set(to))
    if recipients:
        record(OutboxKind.EMAIL, {"template": template, "to": recipients, "context": context}, key=key)
