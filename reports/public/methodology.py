"""The methodology page's reads: every framework version with its nodes, metrics and periods."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch

from commitments.models import Framework, FrameworkNode, MetricDefinition, ReportingPeriod


@dataclass
class FrameworkDefinition:
    framework: Framework
    nodes: list[FrameworkNode]
    item_count: int
    periods: list[ReportingPeriod]


def public_methodology() -> list[FrameworkDefinition]:
    frameworks = list(Framework.objects.order_by("key", "-version"))
    nodes: dict[int, list[FrameworkNode]] = defaultdict(list)
    for node in FrameworkNode.objects.prefetch_related(
        Prefetch("metrics", queryset=MetricDefinition.objects.order_by("position"))
    ).order_by("framework_id", "position"):
        nodes[node.framework_id].append(node)
    periods: dict[int, list[ReportingPeriod]] = defaultdict(list)
    for period in ReportingPeriod.objects.order_by("starts_on"):
        periods[period.framework_id].append(period)
    return [
        FrameworkDefinition(
            framework=f,
            nodes=nodes[f.pk],
            item_count=sum(1 for n in nodes[f.pk] if n.reportable),
            periods=periods[f.pk],
        )
        for f in frameworks
    ]
