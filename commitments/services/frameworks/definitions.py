"""Framework files: parse them, check them against the schema and the tree rules.

Each file in `commitments/frameworks/` defines one version of one framework as a flat list of
nodes linked by `parent`. Checking collects the problems of every file, each naming the file,
the node and what is wrong, so that an admin can fix them all in one go; a file with more than
MAX_PROBLEMS_PER_FILE is not checked further, and every problem is one short line, so a hostile
file cannot make the checker work or print without end.

Why ~520 lines: the tree rules below are one set of checks over the same flat node list;
reading the YAML safely lives apart, in yaml_data.py.
"""

import hashlib
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from graphlib import CycleError, TopologicalSorter
from itertools import chain, islice
from pathlib import Path
from typing import Any

import jsonschema
from django.conf import settings

from commitments.errors import ValidationFailed
from commitments.markdown import markdown_problems
from commitments.models import Framework, FrameworkNode
from commitments.services.frameworks.yaml_data import (
    UnreadableFile,
    framework_file_read,
    one_line,
    quoted,
    yaml_data_parse,
)
from commitments.services.ledger import canonical_json

FRAMEWORKS_DIR = Path(__file__).resolve().parents[2] / "frameworks"
SCHEMA_PATH = FRAMEWORKS_DIR / "schema.json"
GUIDANCE_FIELDS = ("evidence_expected", "verification_criteria", "example_disclosure")
ITEM_ONLY_FIELDS = (*GUIDANCE_FIELDS, "metrics")
# Node texts the workspace renders as Markdown (templates/workspace/_item.html, report_edit.html).
MARKDOWN_FIELDS = ("description", *GUIDANCE_FIELDS)
MAX_PROBLEMS_PER_FILE = 1_000
PROBLEMS_LISTED_PER_FILE = 10
PROBLEMS_LISTED = 30

FrameworkRef = tuple[str, str]  # (key, version)
Found = Iterator[tuple[str | None, str]]  # problems as (node id or None, message)


@dataclass(frozen=True)
class DefinitionProblem:
    """One problem, on one line: what comes from the file is cut short and its control characters
    escaped, whatever the check that found it."""

    file: str
    node_id: str | None  # None for problems of the framework as a whole
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "file", one_line(self.file, 200))
        if self.node_id is not None:
            object.__setattr__(self, "node_id", one_line(self.node_id, 80))
        object.__setattr__(self, "message", one_line(self.message, 300))

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.node_id, self.message) if part)


class FrameworkDefinitionInvalid(ValidationFailed):
    """One or more framework files break the schema or the tree rules; nothing was loaded."""

    def __init__(self, problems: list[DefinitionProblem], *, checking_stopped: bool = False):
        self.definition_problems = problems
        self.checking_stopped = checking_stopped
        by_file: dict[str, list[str]] = defaultdict(list)
        for problem in problems:
            by_file[problem.file].append(": ".join(p for p in (problem.node_id, problem.message) if p))
        count = f"more than {len(problems):,}" if checking_stopped else str(len(problems))
        super().__init__(
            f"{count} problem(s) in {len(by_file)} framework file(s); nothing was loaded.",
            problems=dict(by_file),
        )

    @classmethod
    def found_in(cls, definitions: Iterable["FrameworkDefinition"]) -> "FrameworkDefinitionInvalid":
        definitions = list(definitions)
        return cls(
            [problem for definition in definitions for problem in definition.problems],
            checking_stopped=any(definition.checking_stopped for definition in definitions),
        )

    def listing(self) -> list[str]:
        """The lines to show: the first problems of each file, a few in all, then how many more."""
        lines: list[str] = []
        per_file: Counter[str] = Counter()
        for problem in self.definition_problems:
            if len(lines) < PROBLEMS_LISTED and per_file[problem.file] < PROBLEMS_LISTED_PER_FILE:
                per_file[problem.file] += 1
                lines.append(str(problem))
        more = len(self.definition_problems) - len(lines)
        if self.checking_stopped:
            lines.append(
                f"… and {more:,} more problem(s); a file is checked up to {MAX_PROBLEMS_PER_FILE:,} problems"
            )
        elif more:
            lines.append(f"… and {more:,} more problem(s)")
        return lines


@dataclass
class FrameworkDefinition:
    """The parsed content of one framework file and every problem found in it."""

    source_file: str
    data: dict[str, Any]
    problems: list[DefinitionProblem] = field(default_factory=list)
    checking_stopped: bool = False  # it had more than MAX_PROBLEMS_PER_FILE problems

    def problem_add(self, node_id: str | None, message: str) -> bool:
        """Record a problem; False once the file has too many to be worth checking further."""
        if len(self.problems) >= MAX_PROBLEMS_PER_FILE:
            self.checking_stopped = True
            return False
        self.problems.append(DefinitionProblem(self.source_file, node_id, message))
        return True

    def problems_add(self, found: Iterable[tuple[str | None, str]]) -> None:
        """Record problems from a lazy check, stopping it (not just the listing) at the limit."""
        for node_id, message in found:
            if not self.problem_add(node_id, message):
                return

    @property
    def key(self) -> str:
        return str(self.data.get("key", ""))

    @property
    def version(self) -> str:
        return str(self.data.get("version", ""))

    @property
    def ref(self) -> FrameworkRef:
        return (self.key, self.version)

    @property
    def label(self) -> str:
        return f"{self.key} {self.version}"

    @property
    def content_sha256(self) -> str:
        return hashlib.sha256(canonical_json(self.data).encode("utf-8")).hexdigest()

    @property
    def nodes(self) -> list[dict[str, Any]]:
        return _node_dicts(self.data)

    @property
    def node_ids(self) -> set[str]:
        return {node["id"] for node in self.nodes if isinstance(node.get("id"), str)}

    @property
    def item_count(self) -> int:
        return sum(1 for _node, depth in self.walk() if depth == len(self.data["levels"]) - 1)

    def crosswalk_targets(self) -> set[FrameworkRef]:
        return {crosswalk.ref for crosswalk in crosswalks(self.nodes)}

    def walk(self) -> Iterator[tuple[dict[str, Any], int]]:
        """Nodes depth-first with their depth, siblings in file order. Only for a valid definition."""
        children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
        for node in self.nodes:
            children[node.get("parent")].append(node)

        def visit(parent_id: str | None, depth: int) -> Iterator[tuple[dict[str, Any], int]]:
            for node in children[parent_id]:
                yield node, depth
                yield from visit(node["id"], depth + 1)

        return visit(None, 0)


def framework_definitions_read(*, directory: Path | str | None = None) -> list[FrameworkDefinition]:
    """Parse and check every `*.yaml` file of `directory`.

    Returns the definitions in load order (crosswalk targets first), each carrying all the
    problems found in it; the caller decides what to do with problems.
    """
    directory = Path(directory) if directory is not None else FRAMEWORKS_DIR
    paths = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not paths:
        raise ValidationFailed(f"No framework files (*.yaml) in {directory}.")
    definitions = [_definition_read(path) for path in paths]
    _batch_check(definitions)
    return _load_order(definitions)


def framework_definition_parse(*, content: bytes, source_file: str) -> FrameworkDefinition:
    """Parse and check the content of one framework file on its own (rules across files aside).

    Whatever the bytes, the result is a definition, with its problems if any; never an exception.
    """
    try:
        data = yaml_data_parse(content)
    except UnreadableFile as refusal:
        return FrameworkDefinition(source_file, {}, [DefinitionProblem(source_file, None, str(refusal))])
    if not isinstance(data, dict):
        return FrameworkDefinition(source_file, {}, [DefinitionProblem(source_file, None, "not a mapping")])
    definition = FrameworkDefinition(source_file, data)
    definition.problems_add(chain(_schema_problems(data), _tree_problems(data)))
    return definition


def _definition_read(path: Path) -> FrameworkDefinition:
    source_file = _display_path(path)
    try:
        content = framework_file_read(path)
    except UnreadableFile as refusal:
        return FrameworkDefinition(source_file, {}, [DefinitionProblem(source_file, None, str(refusal))])
    return framework_definition_parse(content=content, source_file=source_file)


def _display_path(path: Path) -> str:
    path = Path(os.path.abspath(path))  # the name in the folder, not where a symbolic link leads
    return str(path.relative_to(settings.BASE_DIR)) if path.is_relative_to(settings.BASE_DIR) else str(path)


@cache
def _schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _schema_problems(data: dict[str, Any]) -> Found:
    nodes = data.get("nodes") if isinstance(data.get("nodes"), list) else []
    # The validator finds errors lazily: take no more than can be recorded (and one to tell that
    # there are more), or a list of 100,000 bad items would keep it busy for a minute.
    errors = sorted(
        islice(_schema_validator().iter_errors(data), MAX_PROBLEMS_PER_FILE + 1),
        key=lambda error: _path_sort_key(error.absolute_path),
    )
    for error in errors:
        path = list(error.absolute_path)
        node_id = None
        if len(path) >= 2 and path[0] == "nodes":
            node = nodes[path[1]]
            node_id = node["id"] if isinstance(node, dict) and isinstance(node.get("id"), str) else None
            node_id = node_id or f"nodes[{path[1]}]"
            path = path[2:]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")
        message = _schema_message(error)
        yield node_id, f"{where}: {message}" if where else message


def _path_sort_key(path: Iterable[str | int]) -> list[tuple[int, str]]:
    """Node and metric indices in numeric order, so problems are listed in file order."""
    return [(part, "") if isinstance(part, int) else (-1, part) for part in path]


def _schema_message(error: jsonschema.ValidationError) -> str:
    """The error in words, quoting the file's value cut short (jsonschema's own message quotes it
    whole, which for a long text or a large list is a page of output)."""
    if error.validator == "required":
        return f"missing {error.message.removesuffix(' is a required property').strip(chr(39))}"
    if error.validator == "enum":
        return f"{quoted(error.instance)} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "pattern":
        return f"{quoted(error.instance)} is not valid: {error.schema.get('description', 'wrong format')}"
    if error.validator == "maxLength":
        return f"{quoted(error.instance)} is too long (at most {error.validator_value} characters)"
    if error.validator == "type":
        types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        message = f"{quoted(error.instance)} is not of type {', '.join(map(repr, types))}"
        quotable = types == ["string"] and not isinstance(error.instance, dict | list)
        return f"{message} (quote it in YAML)" if quotable else message
    return error.message


def _tree_problems(data: dict[str, Any]) -> Found:
    """The rules a schema cannot express. Tolerates a schema-invalid definition, skipping what it
    cannot read, so that one run reports every problem of a file."""
    levels = data.get("levels") if isinstance(data.get("levels"), list) else []
    levels = [level for level in levels if isinstance(level, str)]
    for level in sorted(level for level, count in Counter(levels).items() if count > 1):
        yield None, f"levels: {quoted(level)} appears more than once"
    source = data.get("source") if isinstance(data.get("source"), dict) else {}
    if isinstance(source.get("published_on"), str):
        try:
            date.fromisoformat(source["published_on"])
        except ValueError:
            yield None, f"source.published_on: {quoted(source['published_on'])} is not a date"
    nodes = _node_dicts(data)
    yield from _parent_problems(nodes, key=data.get("key"))
    if levels:
        yield from _level_problems(nodes, levels)
    yield from _metric_problems(nodes)
    yield from _markdown_problems(nodes)
    for crosswalk in crosswalks(nodes):
        repeated = (target for target, count in Counter(crosswalk.targets).items() if count > 1)
        for target in sorted(repeated):
            yield crosswalk.node_id, f"crosswalk lists {crosswalk.label} node {quoted(target)} twice"


def _markdown_problems(nodes: list[dict[str, Any]]) -> Found:
    """Guidance is shown as Markdown on the officer's page: it keeps to the limits narratives keep to."""
    for node in nodes:
        node_id = node.get("id") if isinstance(node.get("id"), str) else None
        for name in MARKDOWN_FIELDS:
            if isinstance(node.get(name), str):
                for problem in markdown_problems(node[name]):
                    yield node_id, f"{name}: {problem}"


def _parent_problems(nodes: list[dict[str, Any]], *, key: Any) -> Found:
    first_index: dict[str, int] = {}
    for index, node in enumerate(nodes):
        if isinstance(node.get("id"), str):
            first_index.setdefault(node["id"], index)
    for index, node in enumerate(nodes):
        node_id, parent = node.get("id"), node.get("parent")
        if not isinstance(node_id, str):
            continue
        if first_index[node_id] != index:
            yield node_id, "duplicate node id"
        if parent is None:
            if isinstance(key, str) and not node_id.startswith(f"{key}."):
                yield node_id, f"id must start with the framework key {quoted(key + '.')}"
            continue
        if not isinstance(parent, str):
            continue
        if parent not in first_index:
            yield node_id, f"unknown parent {quoted(parent)}"
        elif first_index[parent] > index:
            yield node_id, f"parent {quoted(parent)} must be listed before its children"
        if not node_id.startswith(f"{parent}."):
            yield node_id, f"id must start with its parent's id {quoted(parent + '.')}"


def _level_problems(nodes: list[dict[str, Any]], levels: list[str]) -> Found:
    """Every node sits on a level: groups have children, reportable items have guidance and none."""
    depth_of: dict[str, int] = {}
    children_of: dict[str, list[str]] = defaultdict(list)
    for node in nodes:
        node_id, parent = node.get("id"), node.get("parent")
        if not isinstance(node_id, str) or node_id in depth_of:
            continue
        if parent is None:
            depth_of[node_id] = 0
        elif isinstance(parent, str) and parent in depth_of:
            depth_of[node_id] = depth_of[parent] + 1
            children_of[parent].append(node_id)

    last = len(levels) - 1
    for node in nodes:
        node_id = node.get("id")
        depth = depth_of.get(node_id) if isinstance(node_id, str) else None
        if depth is None or depth > last:
            continue  # unplaceable or too deep: reported on its parent or by _parent_problems
        if depth == last:
            if children_of[node_id]:
                yield (
                    node_id,
                    (
                        f"is on the reportable level {quoted(levels[last])} and cannot have children "
                        f"({_listed(children_of[node_id])})"
                    ),
                )
            for name in GUIDANCE_FIELDS:
                if name not in node:
                    yield node_id, f"missing {name} (every reportable item needs it)"
            continue
        if not children_of[node_id]:
            yield (
                node_id,
                f"is on level {quoted(levels[depth])} but has no children; "
                f"only {quoted(levels[last])} nodes are reportable leaves",
            )
        for name in ITEM_ONLY_FIELDS:
            if name in node:
                yield (
                    node_id,
                    f"{name} is only for reportable {quoted(levels[last])} nodes, "
                    f"not for level {quoted(levels[depth])}",
                )


def _listed(names: list[str], shown: int = 3) -> str:
    more = f", … {len(names) - shown:,} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _metric_problems(nodes: list[dict[str, Any]]) -> Found:
    owner_of: dict[str, str] = {}
    for node in nodes:
        node_id = node.get("id") if isinstance(node.get("id"), str) else None
        metrics = node.get("metrics") if isinstance(node.get("metrics"), list) else []
        for index, metric in enumerate(metrics):
            if not isinstance(metric, dict) or not isinstance(metric.get("key"), str):
                continue
            metric_key = metric["key"]
            if metric_key in owner_of:
                yield (
                    node_id,
                    f"metrics[{index}]: key {quoted(metric_key)} is already used by {owner_of[metric_key]}",
                )
            owner_of.setdefault(metric_key, str(node_id))
            # NCMEC calls reports that do not say where the material came from unactionable.
            mentions_ncmec = "ncmec" in f"{metric_key} {metric.get('name', '')}".lower()
            if (
                mentions_ncmec
                and metric.get("unit") == "count"
                and metric.get("requires_data_source") is not True
            ):
                yield (
                    node_id,
                    f"metrics[{index}]: a count of reports to NCMEC must set requires_data_source: true",
                )


def _node_dicts(data: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = data.get("nodes")
    return [node for node in nodes if isinstance(node, dict)] if isinstance(nodes, list) else []


@dataclass(frozen=True)
class Crosswalk:
    node_id: str | None
    ref: FrameworkRef
    targets: list[str]
    note: str

    @property
    def label(self) -> str:
        return " ".join(self.ref)


def crosswalks(nodes: list[dict[str, Any]]) -> Iterator[Crosswalk]:
    """The readable crosswalk entries of the nodes; the schema reports the unreadable ones."""
    for node in nodes:
        node_id = node.get("id") if isinstance(node.get("id"), str) else None
        for entry in node.get("crosswalk") if isinstance(node.get("crosswalk"), list) else []:
            if not isinstance(entry, dict) or not isinstance(entry.get("nodes"), list):
                continue
            ref = (entry.get("framework"), entry.get("version"))
            if all(isinstance(part, str) for part in ref):
                targets = [target for target in entry["nodes"] if isinstance(target, str)]
                yield Crosswalk(node_id, ref, targets, str(entry.get("note", "")))


def _batch_check(definitions: list[FrameworkDefinition]) -> None:
    """Rules across files: one file per framework version, crosswalk targets that exist."""
    first_file: dict[FrameworkRef, str] = {}
    for definition in definitions:
        if not definition.data:
            continue
        if definition.ref in first_file:
            message = f"{definition.label} is already defined in {first_file[definition.ref]}"
            definition.problem_add(None, message)
        first_file.setdefault(definition.ref, definition.source_file)

    known = {definition.ref: definition.node_ids for definition in reversed(definitions)}
    wanted = {ref for definition in definitions for ref in definition.crosswalk_targets()} - known.keys()
    known |= _loaded_node_ids(wanted)
    for definition in definitions:
        for crosswalk in crosswalks(definition.nodes):
            if crosswalk.ref not in known:
                message = (
                    f"unknown crosswalk target framework {crosswalk.label} (not in this directory or loaded)"
                )
                definition.problem_add(crosswalk.node_id, message)
                continue
            for target in crosswalk.targets:
                if target not in known[crosswalk.ref]:
                    message = f"unknown crosswalk target node {quoted(target)} in {crosswalk.label}"
                    definition.problem_add(crosswalk.node_id, message)


def _loaded_node_ids(refs: set[FrameworkRef]) -> dict[FrameworkRef, set[str]]:
    """Two queries however many targets a file names (the loaded frameworks are few)."""
    if not refs:
        return {}
    loaded = [
        framework for framework in Framework.objects.all() if (framework.key, framework.version) in refs
    ]
    found: dict[FrameworkRef, set[str]] = {(framework.key, framework.version): set() for framework in loaded}
    nodes = FrameworkNode.objects.filter(framework__in=loaded)
    for key, version, node_id in nodes.values_list("framework__key", "framework__version", "node_id"):
        found[(key, version)].add(node_id)
    return found


def _load_order(definitions: list[FrameworkDefinition]) -> list[FrameworkDefinition]:
    """Crosswalk targets before the frameworks that link to them; otherwise by file name."""
    by_ref = {definition.ref: definition for definition in definitions if definition.data}
    sorter: TopologicalSorter[FrameworkRef] = TopologicalSorter()
    for definition in by_ref.values():
        sorter.add(definition.ref, *sorted(definition.crosswalk_targets() & by_ref.keys() - {definition.ref}))
    try:
        order = list(sorter.static_order())
    except CycleError as error:
        cycle = error.args[1]
        for ref in set(cycle):
            definition = by_ref[ref]
            chain = " -> ".join(f"{key} {version}" for key, version in cycle)
            message = (
                f"crosswalk targets form a cycle ({chain}); keep links between two frameworks on one side"
            )
            definition.problem_add(None, message)
        return definitions
    rank = {ref: index for index, ref in enumerate(order)}
    return sorted(definitions, key=lambda definition: rank.get(definition.ref, -1))


def version_sort_key(version: str) -> tuple[tuple[int, str], ...]:
    """'2024.10' sorts after '2024.9'; non-numeric parts (not produced by the loader) sort first."""
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"[.\-]", version))


def version_next(version: str) -> str:
    *head, last = version.split(".")
    return ".".join([*head, str(int(last) + 1)]) if last.isdigit() else f"{version}.1"
