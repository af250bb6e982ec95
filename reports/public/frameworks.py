"""A framework's tree as the public pages and PDFs lay it out: groups of reportable items."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from commitments.models import FrameworkNode

# Listed first wherever several frameworks are shown.
DEFAULT_FRAMEWORK = "sbd"


@dataclass
class Group:
    """A node one level above the reportable items (a principle in Safety by Design)."""

    node: FrameworkNode
    ancestors: list[FrameworkNode]
    items: list[FrameworkNode] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.node.code}. {self.node.title}" if self.node.code else self.node.title


def framework_groups(nodes: Iterable[FrameworkNode]) -> list[Group]:
    """Nodes of one framework, in position order → the groups of reportable items."""
    by_pk = {}
    groups: dict[int, Group] = {}
    for node in sorted(nodes, key=lambda n: n.position):
        by_pk[node.pk] = node
        if not node.reportable:
            continue
        parent = by_pk.get(node.parent_id) if node.parent_id else None
        if parent is None:
            # A reportable node at the top: it is its own group.
            groups.setdefault(node.pk, Group(node=node, ancestors=[])).items.append(node)
            continue
        if parent.pk not in groups:
            ancestors = []
            up = by_pk.get(parent.parent_id) if parent.parent_id else None
            while up is not None:
                ancestors.insert(0, up)
                up = by_pk.get(up.parent_id) if up.parent_id else None
            groups[parent.pk] = Group(node=parent, ancestors=ancestors)
        groups[parent.pk].items.append(node)
    return list(groups.values())


def groups_by_framework(framework_ids: Iterable[int]) -> dict[int, list[Group]]:
    """The groups of several frameworks by framework id, in one query."""
    nodes: dict[int, list[FrameworkNode]] = defaultdict(list)
    for node in FrameworkNode.objects.filter(framework_id__in=set(framework_ids)).order_by("position"):
        nodes[node.framework_id].append(node)
    return {framework_id: framework_groups(found) for framework_id, found in nodes.items()}
