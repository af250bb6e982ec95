"""A framework version as an OSCAL catalog.

The tree's grouping levels (for Safety by Design: phases, then principles) are groups, the
reportable nodes (mitigations) are controls, with their ids as the framework has them. A control's
parts: its text as the statement, what a reviewer must see as the assessment objective, the
evidence expected as the assessment method (examine), and the example disclosure as guidance.
Metric definitions are properties of their control.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from commitments.models import Framework, FrameworkNode, MetricDefinition
from reports.oscal.common import line, metadata, prop, props, prose, uuid_for, with_optional

RMF_NS = "http://csrc.nist.gov/ns/rmf"


def statement_id(node_id: str) -> str:
    """The id of a control's statement part, what assessment findings target."""
    return f"{node_id}_smt"


def catalog_uuid(framework: Framework) -> str:
    return uuid_for("catalog", framework.key, framework.version)


def _part(node: FrameworkNode, suffix: str, name: str, text: str, **extra: Any) -> dict[str, Any] | None:
    if not text.strip():
        return None
    return {"id": f"{node.node_id}_{suffix}", "name": name, **extra, "prose": text.strip()}


def _common(node: FrameworkNode) -> dict[str, Any]:
    return {
        "id": node.node_id,
        "class": node.kind,
        "title": line(node.title) or node.node_id,
    }


def _node_props(node: FrameworkNode) -> list[dict]:
    return props(
        prop("label", node.code, ns=None),
        prop("sort-id", f"{node.position:06d}", ns=None),
        prop("source-reference", node.source_ref),
        prop("wording", "unconfirmed" if node.unconfirmed else ""),
    )


def _control(node: FrameworkNode) -> dict[str, Any]:
    metrics = [
        prop(
            "metric-definition",
            metric.key,
            cls=metric.unit,
            remarks=(
                f"{metric.name} ({metric.unit}); "
                f"{'required' if metric.required else 'optional'}"
                f"{', with its data source' if metric.requires_data_source else ''}."
                + (f"\n\n{metric.description.strip()}" if metric.description.strip() else "")
            ),
        )
        for metric in node.metrics.all()
    ]
    parts = [
        {"id": statement_id(node.node_id), "name": "statement", "prose": prose(node.description, node.title)},
        _part(node, "obj", "assessment-objective", node.verification_criteria),
        _part(
            node,
            "asm",
            "assessment-method",
            node.evidence_expected,
            title="Evidence expected",
            # As NIST's own catalogs state it (SP 800-53A methods, in NIST's RMF namespace).
            props=[prop("method", "EXAMINE", ns=RMF_NS)],
        ),
        _part(node, "gdn", "guidance", node.example_disclosure, title="Example disclosure"),
    ]
    return with_optional(
        _common(node),
        props=_node_props(node) + props(*metrics),
        parts=[part for part in parts if part is not None],
    )


def _group(node: FrameworkNode, children: dict[int | None, list[FrameworkNode]]) -> dict[str, Any]:
    below = children.get(node.pk, [])
    overview = _part(node, "ovw", "overview", node.description)
    return with_optional(
        _common(node),
        props=_node_props(node),
        parts=[overview] if overview else [],
        groups=[_group(child, children) for child in below if not child.reportable],
        controls=[_control(child) for child in below if child.reportable],
    )


def catalog(framework: Framework) -> dict[str, Any]:
    """The framework version as an OSCAL catalog (the document, as a dict)."""
    nodes = list(
        FrameworkNode.objects.filter(framework=framework)
        .prefetch_related(Prefetch("metrics", queryset=MetricDefinition.objects.order_by("position", "key")))
        .order_by("position", "node_id")
    )
    children: dict[int | None, list[FrameworkNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    roots = children.get(None, [])
    links = [{"href": framework.source_url, "rel": "source"}] if framework.source_url else []
    parties = []
    responsible = []
    if framework.publisher.strip():
        publisher = {"uuid": uuid_for("publisher", framework.key), "type": "organization"}
        publisher["name"] = line(framework.publisher)
        parties.append(publisher)
        responsible.append({"role-id": "creator", "party-uuids": [publisher["uuid"]]})
    remarks = "\n\n".join(
        text.strip() for text in (framework.source_note, framework.licence_note) if text.strip()
    )
    document = {
        "uuid": catalog_uuid(framework),
        "metadata": metadata(
            title=framework.title,
            # The version's own date; a framework with none is dated by when this copy was loaded.
            last_modified=framework.published_on or framework.loaded_at,
            version=framework.version,
            parties=parties,
            roles=[{"id": "creator", "title": "Creator"}] if parties else [],
            responsible_parties=responsible,
            links=links,
            properties=props(
                prop("framework-key", framework.key),
                prop("content-sha256", framework.content_sha256),
            ),
            remarks=remarks,
        ),
    }
    with_optional(
        document,
        groups=[_group(node, children) for node in roots if not node.reportable],
        controls=[_control(node) for node in roots if node.reportable],
    )
    return {"catalog": document}
