"""Objects that the API's paths name by their own id (`/items/{id}/…`), where the web's URLs name
them under their report: found, then loaded through the access gate's own loader, so an item of a
report the caller may not see is as unknown as an id never issued."""

from __future__ import annotations

from typing import Any

from commitments import access
from commitments.access import Action
from commitments.models import ItemResponse


def item_by_id(user: Any, pk: int, *, action: Action, **querysets: Any) -> ItemResponse:
    """access.item_for for the item `pk` (`querysets`: its `reports` and `items`, as there)."""
    report_id = ItemResponse.objects.filter(pk=pk).values_list("report_id", flat=True).first()
    return access.item_for(user, report_id, pk, action=action, **querysets)
