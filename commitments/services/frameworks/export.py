"""Read a loaded framework back out: find a version, render it as a JSON-ready tree."""

from collections import defaultdict
from typing import Any

from django.db.models import Prefetch

from commitments.errors import DomainError
from commitments.models import CrosswalkLink, Framework, FrameworkNode
from commitments.services.frameworks.definitions import GUIDANCE_FIELDS, version_sort_key


def framework_find(*, key: str, version: str | None = None) -> Framework:
    """The loaded framework `key` at `version`, or its latest version when none is given."""
    loaded = sorted(Framework.objects.all(), key=lambda f: (f.key, version_sort_key(f.version)))
    candidates = [f for f in loaded if f.key == key and version in (None, f.version)]
    if candidates:
        return candidates[-1]
    wanted = f"{key} {version}" if version is not None else key
    names = ", ".join(f"{f.key} {f.version}" for f in loaded) or "none"
    raise DomainError(f"No framework {wanted!r} is loaded. Loaded: {names}.")


def framework_as_dict(*, framework: Framework) -> dict[str, Any]:
    """The loaded framework as a JSON-ready tree, in the shape the export command prints."""
    nodes = framework.nodes.prefetch_related(
        "metrics",
        Prefetch(
            "crosswalk_out", queryset=CrosswalkLink.objects.select_related("target__framework").order_by("pk")
        ),
    )
    children: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    by_pk: dict[int, dict[str, Any]] = {}
    for node in nodes:
        by_pk[node.pk] = _node_as_dict(node)
        children[node.parent_id].append(by_pk[node.pk])
    for pk, node_dict in by_pk.items():
        node_dict["children"] = children[pk]
    return {
        "key": framework.key,
        "version": framework.version,
        "title": framework.title,
        "short_title": framework.short_title,
        "description": framework.description,
        "source": {
            "publisher": framework.publisher,
            "published_on": framework.published_on.isoformat() if framework.published_on else None,
            "url": framework.source_url,
            "note": framework.source_note,
            "licence_note": framework.licence_note,
        },
        "levels": framework.levels,
        "content_sha256": framework.content_sha256,
        "nodes": children[None],
    }


def _node_as_dict(node: FrameworkNode) -> dict[str, Any]:
    crosswalk: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for link in node.crosswalk_out.all():
        target = link.target
        crosswalk[(target.framework.key, target.framework.version, link.note)].append(target.node_id)
    return {
        "id": node.node_id,
        "kind": node.kind,
        "code": node.code,
        "title": node.title,
        "description": node.description,
        "source_ref": node.source_ref,
        "unconfirmed": node.unconfirmed,
        "reportable": node.reportable,
        **{name: getattr(node, name) for name in GUIDANCE_FIELDS},
        "metrics": [
            {
                "key": metric.key,
                "name": metric.name,
                "unit": metric.unit,
                "description": metric.description,
                "required": metric.required,
                "requires_data_source": metric.requires_data_source,
            }
            for metric in node.metrics.all()
        ],
        "crosswalk": [
            {"framework": key, "version": version, "nodes": targets, "note": note}
            for (key, version, note), targets in crosswalk.items()
        ],
    }
