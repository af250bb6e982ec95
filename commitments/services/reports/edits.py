"""Answering a report's items: one item (item_update, the workspace's save) or many at once
(items_update, the API's bulk update), through one code path, _items_edit; the rules of what an
item may say are written once, in _edit_rules.

Each edit locks the report row first (report_lock) and checks its state on that locked row, so an
edit never slips in beside a transition.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from commitments import access
from commitments.errors import InvalidTransition, StaleEdit, ValidationFailed
from commitments.markdown import markdown_problems, plain_text_problems
from commitments.models import (
    ImplementationStatus,
    ItemResponse,
    MetricDefinition,
    MetricValue,
    ProgressReport,
)
from commitments.services.ledger import LedgerRecord, ledger_append_many
from commitments.services.reports.content import decimal_text
from commitments.services.reports.transitions import EDITABLE_STATES, report_lock
from commitments.vocabulary import LedgerEvent

_UNSET: Any = object()


@dataclass(frozen=True)
class MetricInput:
    value: Decimal | str | int | None
    data_source: str = ""


# What the value column holds (MetricValue.value): a number past it was a server error, not a message.
# One whole digit less than the column's: SQLite keeps decimals as floating point, and a 16-digit
# value read back can round up to 17 digits, which the column's converter then refuses.
_VALUE_COLUMN = MetricValue._meta.get_field("value")
_WHOLE_DIGITS = _VALUE_COLUMN.max_digits - _VALUE_COLUMN.decimal_places - 1
_SMALLEST_STEP = Decimal(1).scaleb(-_VALUE_COLUMN.decimal_places)


def _parse_decimal(raw: Any) -> Decimal | None:
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    shown = repr(text) if len(text) <= 40 else repr(text[:40] + "…")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{shown} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{shown} is not a number")
    if abs(value) >= Decimal(10) ** _WHOLE_DIGITS:
        raise ValueError(f"{shown} is too large: at most {_WHOLE_DIGITS} digits before the decimal point")
    if value != value.quantize(_SMALLEST_STEP):
        raise ValueError(f"{shown} has more than {_VALUE_COLUMN.decimal_places} decimal places")
    return value


@dataclass(frozen=True)
class ItemEdit:
    """One item's edit for items_update: the item, by id or by node id (exactly one), and what to
    change in it. A field left out is not changed; `expected_version` None skips the version check
    (the last save wins)."""

    item_id: int | None = None
    node_id: str | None = None
    expected_version: int | None = None
    status: str = _UNSET
    narrative: str = _UNSET
    areas_needing_progress: str = _UNSET
    metrics: Mapping[str, MetricInput] | None = None


@dataclass
class _Edited:
    """What an edit changes in one item: found by _edit_rules, written by _write."""

    item: ItemResponse
    changes: dict[str, Any] = field(default_factory=dict)
    metric_changes: dict[str, dict[str, str | None]] = field(default_factory=dict)
    values: list[MetricValue] = field(default_factory=list)  # new rows have no pk yet


ItemsGuard = Callable[[list[ItemResponse]], None]
ITEM_FIELDS = (
    "status",
    "narrative",
    "areas_needing_progress",
    "version",
    "carried_forward",
    "updated_by",
    "updated_at",
)


@transaction.atomic
def item_update(
    *,
    item: ItemResponse,
    acting_user: User,
    expected_version: int | None,
    status: str = _UNSET,
    narrative: str = _UNSET,
    areas_needing_progress: str = _UNSET,
    metrics: Mapping[str, MetricInput] | None = None,
    guard: Callable[[ItemResponse], None] | None = None,
) -> ItemResponse:
    """Save one item and return it as saved; the `item` given is left as it was.

    Refused with StaleEdit when someone saved it since `expected_version` (None: the last save
    wins). `guard(locked_item)` may refuse, as items_update's guard does.
    """
    edit = ItemEdit(
        item_id=item.pk,
        expected_version=expected_version,
        status=status,
        narrative=narrative,
        areas_needing_progress=areas_needing_progress,
        metrics=metrics,
    )
    saved, problems = _items_edit(
        report_id=item.report_id,
        acting_user=acting_user,
        edits=[edit],
        guard=(lambda items: guard(items[0])) if guard is not None else None,
    )
    if problems:
        raise ValidationFailed("Some fields are not valid.", problems[0])
    return saved[0]


@transaction.atomic
def items_update(
    *,
    report: ProgressReport,
    acting_user: User,
    updates: Sequence[ItemEdit],
    guard: ItemsGuard | None = None,
) -> list[ItemResponse]:
    """Save many items of the report at once, all or none; return them as saved, in the order given.

    Each edit follows item_update's rules (the same code). The queries are a fixed number however
    many items change: the report locked once, the items, their metric definitions and values read
    once, each kind of row written in one statement, and the ledger entries (one `item.updated`
    per changed item, as item_update writes) appended together. `guard(locked_items)` may refuse
    (by raising) once the report and the items are locked and before anything is written.

    Refused with ValidationFailed listing every edit's problems by its position in `updates`
    ({"3": {"narrative": [...]}}), with StaleEdit naming every item saved since its
    expected_version.
    """
    saved, problems = _items_edit(report_id=report.pk, acting_user=acting_user, edits=updates, guard=guard)
    if problems:
        count = len(problems)
        verb = "is" if count == 1 else "are"
        raise ValidationFailed(
            f"Nothing was saved: {count} of the {len(updates)} edits {verb} not valid.",
            {str(position): found for position, found in sorted(problems.items())},
        )
    return saved


def _items_edit(
    *, report_id: int, acting_user: User, edits: Sequence[ItemEdit], guard: ItemsGuard | None = None
) -> tuple[list[ItemResponse], dict[int, dict[str, list[str]]]]:
    """The one way items are edited: (saved items, {}) or ([], problems by edit position).

    Order of the checks: who acts, the report's state, which items (unknown or repeated), their
    versions, the caller's guard, then each field; nothing is written unless all pass.
    """
    report = report_lock(report_id)
    access.require(acting_user, access.Action.EDIT, report)
    if report.status not in EDITABLE_STATES:
        raise InvalidTransition(
            f"The report is {report.get_status_display().lower()}; items can be edited only in a draft "
            "or after a reviewer requested changes."
        )
    items, problems = _locked_items(report, edits)
    if problems:
        return [], problems
    _check_versions(edits, items)
    if guard is not None:
        guard(items)
    definitions: dict[int, dict[str, MetricDefinition]] = {}
    for definition in MetricDefinition.objects.filter(node_id__in={item.node_id for item in items}):
        definitions.setdefault(definition.node_id, {})[definition.key] = definition
    existing: dict[int, dict[str, MetricValue]] = {}
    for value in MetricValue.objects.filter(item__in=items).select_related("metric"):
        existing.setdefault(value.item_id, {})[value.metric.key] = value

    edited = []
    for position, (edit, item) in enumerate(zip(edits, items, strict=True)):
        outcome, found = _edit_rules(item, edit, definitions.get(item.node_id, {}), existing.get(item.pk, {}))
        if found:
            problems[position] = found
        edited.append(outcome)
    if problems:
        return [], problems
    _write(edited, acting_user=acting_user, report=report)
    return [outcome.item for outcome in edited], {}


def _locked_items(
    report: ProgressReport, edits: Sequence[ItemEdit]
) -> tuple[list[ItemResponse], dict[int, dict[str, list[str]]]]:
    """The edited items, locked, in the order of `edits`; or the problems of edits naming none."""
    ids = {edit.item_id for edit in edits if edit.item_id is not None}
    node_ids = {edit.node_id for edit in edits if edit.node_id is not None}
    rows = list(
        ItemResponse.objects.select_for_update(of=("self",))
        .select_related("node", "updated_by")
        .filter(report=report)
        .filter(Q(pk__in=ids) | Q(node__node_id__in=node_ids))
    )
    by_id = {item.pk: item for item in rows}
    by_node = {item.node.node_id: item for item in rows}
    items: list[ItemResponse] = []
    problems: dict[int, dict[str, list[str]]] = {}
    seen: dict[int, int] = {}
    for position, edit in enumerate(edits):
        if (edit.item_id is None) == (edit.node_id is None):
            problems[position] = {"item": ["Name the item by its id or by its node id (one of them)."]}
            continue
        name, item = (
            ("id", by_id.get(edit.item_id))
            if edit.item_id is not None
            else ("node_id", by_node.get(edit.node_id))
        )
        if item is None:
            problems[position] = {name: ["This report has no such item."]}
        elif item.pk in seen:
            problems[position] = {name: [f"The same item as edit {seen[item.pk]}: edit each item once."]}
        else:
            seen[item.pk] = position
            items.append(item)
    return items, problems


def _check_versions(edits: Sequence[ItemEdit], items: list[ItemResponse]) -> None:
    stale = [
        (item, edit.expected_version)
        for edit, item in zip(edits, items, strict=True)
        if edit.expected_version is not None and item.version != edit.expected_version
    ]
    if len(edits) == 1 and stale:
        item, expected = stale[0]
        raise StaleEdit(
            f"{item.updated_by or 'Someone'} saved this item after you opened it "
            f"(version {item.version}, yours was {expected})."
        )
    if stale:
        saves = "; ".join(
            f"{item.node.node_id} by {item.updated_by or 'someone'} "
            f"(version {item.version}, yours was {expected})"
            for item, expected in stale
        )
        raise StaleEdit(f"Nothing was saved: some items were saved after you read them: {saves}.")


def _edit_rules(
    current: ItemResponse,
    edit: ItemEdit,
    definitions: Mapping[str, MetricDefinition],
    existing: Mapping[str, MetricValue],
) -> tuple[_Edited, dict[str, list[str]]]:
    """An item's edit checked against the rules of what an item may say; no query, no write."""
    outcome = _Edited(item=current)
    problems: dict[str, list[str]] = {}
    if edit.status is not _UNSET:
        if edit.status not in ImplementationStatus.values and edit.status != "":
            problems.setdefault("status", []).append(f"{edit.status!r} is not an implementation status.")
        elif edit.status != current.status:
            outcome.changes["status"] = edit.status
    for name in ("narrative", "areas_needing_progress"):
        value = getattr(edit, name)
        if value is not _UNSET and value != getattr(current, name):
            # Checked only when changed: text saved before the limits still renders (as plain text).
            problems.setdefault(name, []).extend(markdown_problems(value))
            outcome.changes[name] = value

    for key, given in (edit.metrics or {}).items():
        definition = definitions.get(key)
        if definition is None:
            problems.setdefault(f"metric:{key}", []).append(f"{current.node.node_id} has no metric {key!r}.")
            continue
        try:
            value = _parse_decimal(given.value)
        except ValueError as exc:
            problems.setdefault(f"metric:{key}", []).append(f"{definition.name}: {exc}.")
            continue
        if definition.unit == "percent" and value is not None and not (0 <= value <= 100):
            problems.setdefault(f"metric:{key}", []).append(f"{definition.name} must be between 0 and 100.")
            continue
        source = (given.data_source or "").strip()
        if too_long := plain_text_problems(source):
            problems.setdefault(f"metric:{key}", []).extend(
                f"{definition.name}, data source: {problem}" for problem in too_long
            )
            continue
        row = existing.get(key)
        if row is not None and row.value == value and row.data_source == source:
            continue
        if row is None:
            row = MetricValue(item=current, metric=definition)
        row.value, row.data_source = value, source
        outcome.values.append(row)
        outcome.metric_changes[key] = {"value": decimal_text(value), "data_source": source}
    return outcome, {name: found for name, found in problems.items() if found}


def _write(edited: list[_Edited], *, acting_user: User, report: ProgressReport) -> None:
    """Each kind of row in one statement, then the ledger entries of the items that changed."""
    now = timezone.now()
    for outcome in edited:
        item = outcome.item
        for name, value in outcome.changes.items():
            setattr(item, name, value)
        item.version += 1
        item.carried_forward = False
        item.updated_by = acting_user
        item.updated_at = now
    ItemResponse.objects.bulk_update([outcome.item for outcome in edited], ITEM_FIELDS)
    values = [value for outcome in edited for value in outcome.values]
    MetricValue.objects.bulk_create([value for value in values if value.pk is None])
    MetricValue.objects.bulk_update(
        [value for value in values if value.pk is not None], ["value", "data_source"]
    )
    ledger_append_many(
        records=[
            LedgerRecord(
                event=LedgerEvent.ITEM_UPDATED,
                subject=outcome.item,
                actor=acting_user,
                report_id=report.pk,
                data={
                    "node": outcome.item.node.node_id,
                    "version": outcome.item.version,
                    "changes": outcome.changes,
                    "metrics": outcome.metric_changes,
                },
            )
            for outcome in edited
            if outcome.changes or outcome.metric_changes
        ]
    )
