"""Load checked framework definitions into the database.

A version loads whole or not at all, and only when its content changed: the SHA-256 of its
canonical form is stored on the Framework row, so running the loader again with unchanged files
touches nothing. A version that a progress report uses is frozen; changing it means publishing
a new version.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.db import transaction

from commitments.errors import FrozenFramework
from commitments.models import CrosswalkLink, Framework, FrameworkNode, MetricDefinition
from commitments.services.frameworks.definitions import (
    GUIDANCE_FIELDS,
    DefinitionProblem,
    FrameworkDefinition,
    FrameworkDefinitionInvalid,
    crosswalks,
    framework_definitions_read,
    version_next,
)
from commitments.services.ledger import ledger_append
from commitments.vocabulary import LedgerEvent


class LoadAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class LoadResult:
    framework: Framework
    action: LoadAction
    node_count: int
    item_count: int
    # Other frameworks whose crosswalk links pointed at nodes this load removed; they reload next time.
    links_dropped_from: tuple[str, ...] = ()


@transaction.atomic
def frameworks_load_all(
    *, directory: Path | str | None = None, acting_user: Any | None = None
) -> list[LoadResult]:
    """Load every framework file of `directory`, or none if any file has a problem.

    One transaction for the lot, so a refusal halfway (a frozen version) leaves nothing changed.
    """
    definitions = framework_definitions_read(directory=directory)
    if any(definition.problems for definition in definitions):
        raise FrameworkDefinitionInvalid.found_in(definitions)
    return [framework_load(definition=definition, acting_user=acting_user) for definition in definitions]


@transaction.atomic
def framework_load(*, definition: FrameworkDefinition, acting_user: Any | None = None) -> LoadResult:
    """Create or update one framework version from its checked definition."""
    if definition.problems:
        raise FrameworkDefinitionInvalid.found_in([definition])
    framework = (
        Framework.objects.select_for_update().filter(key=definition.key, version=definition.version).first()
    )
    if framework is not None and framework.content_sha256 == definition.content_sha256:
        return _load_result(framework, definition, LoadAction.UNCHANGED)
    if framework is None:
        framework, action = Framework(key=definition.key, version=definition.version), LoadAction.CREATED
    elif framework.is_frozen:
        raise FrozenFramework(
            f"{definition.label} is used by progress reports, so it can no longer change, but "
            f"{definition.source_file} differs from what was loaded. Publish the change as a new "
            f'version (e.g. "{version_next(definition.version)}" in a new file) and restore this file.'
        )
    else:
        action = LoadAction.UPDATED

    _framework_fields_set(framework, definition)
    framework.save()
    links_dropped_from = _nodes_sync(framework=framework, definition=definition)
    ledger_append(
        event=LedgerEvent.FRAMEWORK_LOADED,
        subject=framework,
        actor=acting_user,
        data={
            "key": framework.key,
            "version": framework.version,
            "content_sha256": framework.content_sha256,
            "action": str(action),
            "node_count": len(definition.nodes),
        },
    )
    return _load_result(framework, definition, action, links_dropped_from)


def _load_result(
    framework: Framework,
    definition: FrameworkDefinition,
    action: LoadAction,
    links_dropped_from: tuple[str, ...] = (),
) -> LoadResult:
    return LoadResult(framework, action, len(definition.nodes), definition.item_count, links_dropped_from)


def _framework_fields_set(framework: Framework, definition: FrameworkDefinition) -> None:
    data, source = definition.data, definition.data["source"]
    framework.title = data["title"]
    framework.short_title = data.get("short_title", "")
    framework.description = data["description"]
    framework.publisher = source["publisher"]
    framework.published_on = date.fromisoformat(source["published_on"]) if "published_on" in source else None
    framework.source_url = source.get("url", "")
    framework.source_note = source["note"]
    framework.licence_note = source.get("licence_note", "")
    framework.levels = data["levels"]
    framework.source_file = definition.source_file
    framework.content_sha256 = definition.content_sha256


def _nodes_sync(*, framework: Framework, definition: FrameworkDefinition) -> tuple[str, ...]:
    """Make the framework's nodes, metrics and outgoing crosswalk links those of the definition.

    Nodes are matched by id and updated in place rather than recreated, so links that other
    frameworks hold to them survive.
    """
    levels = definition.data["levels"]
    existing = {node.node_id: node for node in framework.nodes.all()}
    saved: dict[str, FrameworkNode] = {}
    for position, (item, depth) in enumerate(definition.walk()):
        node = existing.get(item["id"]) or FrameworkNode(framework=framework, node_id=item["id"])
        node.parent = saved.get(item.get("parent"))
        node.kind = levels[depth]
        node.reportable = depth == len(levels) - 1
        node.depth = depth
        node.position = position
        node.code = item.get("code", "")
        node.title = item["title"]
        node.description = item.get("description", "")
        node.source_ref = item.get("source_ref", "")
        node.unconfirmed = item.get("unconfirmed", False)
        for name in GUIDANCE_FIELDS:
            setattr(node, name, item.get(name, ""))
        node.save()
        saved[node.node_id] = node

    removed = [node for node_id, node in existing.items() if node_id not in saved]
    links_dropped_from = _dependents_release(framework=framework, removed=removed)
    FrameworkNode.objects.filter(pk__in=[node.pk for node in removed]).delete()

    MetricDefinition.objects.filter(node__framework=framework).delete()
    MetricDefinition.objects.bulk_create(
        MetricDefinition(node=saved[item["id"]], position=position, **metric)
        for item in definition.nodes
        for position, metric in enumerate(item.get("metrics", []))
    )

    CrosswalkLink.objects.filter(source__framework=framework).delete()
    targets = {definition.ref: saved}
    links = []
    for crosswalk in crosswalks(definition.nodes):
        if crosswalk.ref not in targets:
            key, version = crosswalk.ref
            loaded = FrameworkNode.objects.filter(framework__key=key, framework__version=version)
            targets[crosswalk.ref] = {node.node_id: node for node in loaded}
        for target_id in crosswalk.targets:
            target = targets[crosswalk.ref].get(target_id)
            if target is None:
                message = f"crosswalk target {crosswalk.label} {target_id!r} is not loaded"
                raise FrameworkDefinitionInvalid(
                    [DefinitionProblem(definition.source_file, crosswalk.node_id, message)]
                )
            links.append(CrosswalkLink(source=saved[crosswalk.node_id], target=target, note=crosswalk.note))
    CrosswalkLink.objects.bulk_create(links)
    return links_dropped_from


def _dependents_release(*, framework: Framework, removed: list[FrameworkNode]) -> tuple[str, ...]:
    """Other frameworks linking to nodes about to be removed lose those links; clearing their
    checksum makes the next load rebuild them from their files instead of calling them unchanged."""
    dependents = {
        link.source.framework
        for link in CrosswalkLink.objects.filter(target__in=removed)
        .exclude(source__framework=framework)
        .select_related("source__framework")
    }
    frozen = sorted(str(dependent) for dependent in dependents if dependent.is_frozen)
    if frozen:
        raise FrozenFramework(
            f"The new {framework} removes nodes that frozen framework(s) {', '.join(frozen)} link to. "
            "Keep those nodes, or publish the change as a new version."
        )
    Framework.objects.filter(pk__in=[dependent.pk for dependent in dependents]).update(content_sha256="")
    return tuple(sorted(str(dependent) for dependent in dependents))
