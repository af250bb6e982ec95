"""What differs between two published versions of an item, as short labelled texts.

Used by the item page, the corrections log and the correction preview of the program pages.
"""

from dataclasses import dataclass
from typing import Any

from commitments.vocabulary import status_label, verdict_label


@dataclass
class Change:
    label: str
    before: str
    after: str

    @property
    def direction(self) -> str:
        return "up" if self.after > self.before else ("down" if self.after < self.before else "same")


def _metric_text(metric: dict[str, Any] | None) -> str:
    if metric is None:
        return "—"
    value = metric["value"] if metric["value"] is not None else "no value"
    value = value.rstrip("0").rstrip(".") if isinstance(value, str) and "." in value else value
    return f"{value} {metric['unit']}".strip()


def item_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """What differs between two published versions of one item, as short labelled texts."""
    if before is None and after is None:
        return []
    if before is None:
        return [Change("Item", "not in the earlier report", "added")]
    if after is None:
        return [Change("Item", "present", "no longer in the report")]
    changes = []
    if before["status"] != after["status"]:
        changes.append(Change("Status", status_label(before["status"]), status_label(after["status"])))
    if before["narrative"] != after["narrative"]:
        changes.append(Change("Narrative", "earlier text", "rewritten"))
    if before.get("areas_needing_progress") != after.get("areas_needing_progress"):
        changes.append(Change("Areas needing progress", "earlier text", "rewritten"))
    old_metrics = {m["key"]: m for m in before["metrics"]}
    new_metrics = {m["key"]: m for m in after["metrics"]}
    for key in sorted(old_metrics.keys() | new_metrics.keys()):
        old, new = old_metrics.get(key), new_metrics.get(key)
        name = (new or old)["name"]
        if _metric_text(old) != _metric_text(new):
            changes.append(Change(name, _metric_text(old), _metric_text(new)))
        elif old and new and old["data_source"] != new["data_source"]:
            changes.append(
                Change(f"{name}: data source", old["data_source"] or "—", new["data_source"] or "—")
            )
    if before.get("verdict") != after.get("verdict"):
        changes.append(
            Change(
                "Reviewer's verdict",
                verdict_label(before.get("verdict")),
                verdict_label(after.get("verdict")),
            )
        )
    elif before.get("verdict_justification") != after.get("verdict_justification"):
        changes.append(Change("Verdict justification", "earlier text", "rewritten"))
    if before.get("company_responses") != after.get("company_responses"):
        changes.append(Change("Company response", "earlier text", "changed"))
    old_evidence = {e["sha256"] or e["url"] or str(e["id"]) for e in before["evidence"]}
    new_evidence = {e["sha256"] or e["url"] or str(e["id"]) for e in after["evidence"]}
    if old_evidence != new_evidence:
        changes.append(
            Change(
                "Evidence",
                f"{len(old_evidence)} item(s)",
                f"{len(new_evidence - old_evidence)} added, {len(old_evidence - new_evidence)} removed",
            )
        )
    return changes


def changed_items(
    old_items: dict[str, dict[str, Any]], new_items: dict[str, dict[str, Any]]
) -> list[tuple[str, str, list[Change]]]:
    """(node id, title, changes) of every item that differs between two versions, new order first."""
    changed = []
    for node_id in [*new_items, *(k for k in old_items if k not in new_items)]:
        changes = item_changes(old_items.get(node_id), new_items.get(node_id))
        if changes:
            title = (new_items.get(node_id) or old_items[node_id])["title"]
            changed.append((node_id, title, changes))
    return changed
