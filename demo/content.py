"""Filling in and judging an item as the fictional seeded data does (seed_demo and seed_scale share this)."""

import datetime
import random
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from commitments.models import Evidence, ImplementationStatus, ItemResponse, Verdict
from commitments.services.evidence import evidence_add
from commitments.services.reports import MetricInput, item_update


def example_item_fill(
    item: ItemResponse,
    officer: User,
    *,
    status: str,
    narrative: str,
    metrics: dict[str, MetricInput],
    year: str,
    restricted: bool,
    document: Callable[[], SimpleUploadedFile],
) -> None:
    """Report the item through item_update; an implemented one also gets its evidence document,
    public or restricted, made by `document` (called only then)."""
    item_update(
        item=item,
        acting_user=officer,
        expected_version=item.version,
        status=status,
        narrative=narrative,
        areas_needing_progress="Coverage of the video model."
        if status == ImplementationStatus.IN_PROGRESS
        else "",
        metrics=metrics,
    )
    if status == ImplementationStatus.IMPLEMENTED:
        title = item.node.title.rstrip(".")
        evidence_add(
            item=item,
            acting_user=officer,
            title=f"{title} — {'internal procedure' if restricted else 'public policy'} ({year})",
            effective_date=datetime.date(int(year), 3, 1),
            visibility=Evidence.Visibility.RESTRICTED if restricted else Evidence.Visibility.PUBLIC,
            upload=document(),
        )


def example_verdict(status: str, rng: random.Random | None = None) -> tuple[str, str]:
    """The reviewer's verdict and justification on an item answered `status`. Given `rng`, about
    one implemented item in ten turns out to cover the main product only."""
    if status == ImplementationStatus.IMPLEMENTED:
        if rng is None or rng.random() < 0.9:
            return Verdict.VERIFIED, "The evidence shows the control in operation during the period."
        return Verdict.PARTIALLY_VERIFIED, "The control runs on the main product only."
    if status == ImplementationStatus.IN_PROGRESS:
        return Verdict.PARTIALLY_VERIFIED, "The plan is credible; roll-out is not complete."
    if status == ImplementationStatus.NOT_APPLICABLE:
        return Verdict.VERIFIED, "The organisation runs no service this applies to."
    return Verdict.NOT_VERIFIED, "Nothing in place yet; the item is only planned."
