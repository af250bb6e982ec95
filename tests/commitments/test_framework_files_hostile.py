"""Framework files are data, not a program: hostile files are refused quickly, in bounded memory,
with a short message naming the place, and nothing of the folder is loaded."""

import os
import resource
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from commitments.models import Framework, LedgerEntry
from commitments.services.frameworks import FrameworkDefinition, framework_definition_parse, yaml_data
from commitments.services.frameworks.definitions import (
    MAX_PROBLEMS_PER_FILE,
    PROBLEMS_LISTED,
    PROBLEMS_LISTED_PER_FILE,
)
from tests.commitments.framework_fixtures import FIXTURES_DIR, definition_write, fixture_definition

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TINY = (FIXTURES_DIR / "tiny-1.0.yaml").read_text(encoding="utf-8")
OUTPUT_LIMIT = 4096  # "a few KB": what a person can read, whatever the file holds


def billion_laughs() -> str:
    """Nine levels of nine aliases: 9**9 strings once expanded, in under 1 KB. Placed under keys the
    schema checks, so that anything expanding it (validation, error messages) would blow up."""
    lines = [
        "key: lol",
        'version: "1.0"',
        'title: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    ]
    lines += [f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]" for level in range(1, 9)]
    lines += ["levels: *l8", "nodes: *l8", "description: *l8"]
    return "\n".join(lines) + "\n"


def refused(directory: Path) -> tuple[str, str]:
    """Run load_frameworks on `directory` expecting a refusal; the error and everything printed."""
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as refusal:
        call_command("load_frameworks", directory=directory, stdout=out, stderr=err)
    return str(refusal.value), out.getvalue() + err.getvalue()


def assert_nothing_loaded() -> None:
    assert not Framework.objects.exists()
    assert not LedgerEntry.objects.exists()


def with_valid_neighbour(tmp_path: Path) -> Path:
    """A folder holding a valid framework file, which must not load beside a hostile one."""
    definition_write(tmp_path, fixture_definition("tiny-1.0"))
    return tmp_path


# --------------------------------------------------------------------------- refusals through the command


HOSTILE = {
    "billion-laughs": (
        billion_laughs(),
        "line 3, column 8: anchor &l0: anchors (&) and aliases (*) are not allowed",
    ),
    "single-anchor-and-alias": (
        TINY.replace("title: Tiny test framework", "title: &t Tiny test framework\nshort_title: *t"),
        "line 4, column 8: anchor &t: anchors (&) and aliases (*) are not allowed",
    ),
    "alias-without-anchor": (
        "key: *elsewhere\n",
        "line 1, column 6: alias *elsewhere: aliases (*) and anchors",
    ),
    "merge-key": (
        TINY.replace("    code: Y1\n", "    <<: {code: Y1}\n"),
        "line 47, column 5: merge keys (<<) are not allowed",
    ),
    "python-object-tag": (
        'key: !!python/object/apply:os.system ["touch pwned"]\n',
        "line 1, column 6: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    ),
    "python-name-tag": (
        "key: !!python/name:os.system\n",
        "line 1, column 6: tag 'tag:yaml.org,2002:python/name:os.system' is not allowed",
    ),
    "custom-tag": ("key: !secret tiny\n", "line 1, column 6: tag '!secret' is not allowed"),
    "set-tag": ("levels: !!set {area, item}\n", "tag 'tag:yaml.org,2002:set' is not allowed"),
    "deep-flow-lists": ("[" * 10_000 + "]" * 10_000, "nest"),
    "deep-flow-mappings": (
        "{a: " * 10_000 + "}" * 10_000,
        "line 1, column 129: lists and mappings nested more than 32",
    ),
    "deep-block-lists": ("- " * 10_000 + "x\n", "line 1, column 65: lists and mappings nested more than 32"),
    "deep-block-mappings": (
        "".join(" " * depth + "a:\n" for depth in range(100)) + " " * 100 + "b\n",
        "line 33, column 33: lists and mappings nested more than 32",
    ),
    "200,000-tiny-items": ("key: tiny\nnodes:\n" + "- {}\n" * 200_000, "more than 100,000 values"),
    "sexagesimal-bomb": ("key: 1" + ":59" * 100_000 + "\n", "line 1, column 6: '1:59:59"),
    "huge-binary-number": ("key: 0b" + "1" * 100_000 + "\n", "is too long for a whole number"),
    "bad-explicit-int": ("key: !!int lots\n", "line 1, column 6: 'lots' is not a whole number"),
    "bad-explicit-bool": ("key: !!bool maybe\n", "'maybe' is not true or false"),
    "key-read-as-true": ("on: tiny\n", "line 1, column 1: the key 'on' must be text; quote it"),
    "list-as-key": ("? [a, b]\n: tiny\n", "a mapping key must be text, not a sequence"),
    "two-documents": ("key: a\n---\nkey: b\n", "not valid YAML at line 2, column 1"),
    "nul-byte": ("key: ti\x00ny\n", "line 1, column 8: character U+0000 is not allowed"),
    "escape-character": ("key: ti\x1bny\n", "line 1, column 8: character U+001B is not allowed"),
}


@pytest.mark.parametrize(("text", "problem"), list(HOSTILE.values()), ids=list(HOSTILE))
def test_it_refuses_a_hostile_file_naming_the_place_and_loads_nothing(tmp_path, text, problem):
    path = with_valid_neighbour(tmp_path) / "hostile.yaml"
    path.write_text(text, encoding="utf-8")

    message, output = refused(tmp_path)

    assert any(line.startswith(f"{path}: ") and problem in line for line in output.splitlines()), output
    assert "nothing was loaded" in message
    assert len(output) + len(message) < OUTPUT_LIMIT
    assert "Traceback" not in output
    assert not (tmp_path / "pwned").exists()
    assert_nothing_loaded()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param(
            b"key: tiny\ntitle: caf\xe9\n", "line 2, column 11: byte 0xe9 is not UTF-8 text", id="latin-1"
        ),
        pytest.param(b"key: \xc3(\n", "line 1, column 6: byte 0xc3 is not UTF-8 text", id="broken-sequence"),
        pytest.param(
            TINY.encode("utf-16"),
            "line 1, column 1: byte 0xff is not UTF-8 text (it looks like UTF-16)",
            id="utf-16",
        ),
        pytest.param(
            b"\xef\xbb\xbfkey: ti\x00ny\n",
            "line 1, column 9: character U+0000 is not allowed",
            id="bom-then-nul",
        ),
    ],
)
def test_it_refuses_a_file_that_is_not_utf8_text(tmp_path, content, problem):
    path = with_valid_neighbour(tmp_path) / "encoded.yaml"
    path.write_bytes(content)

    message, output = refused(tmp_path)

    assert f"{path}: {problem}" in output
    assert len(output) + len(message) < OUTPUT_LIMIT
    assert_nothing_loaded()


def test_a_utf8_byte_order_mark_is_ignored(tmp_path):
    (tmp_path / "tiny-1.0.yaml").write_bytes(b"\xef\xbb\xbf" + TINY.encode("utf-8"))
    out = StringIO()
    call_command("load_frameworks", directory=tmp_path, stdout=out, stderr=StringIO())

    (tmp_path / "tiny-1.0.yaml").write_text(TINY, encoding="utf-8")
    again = StringIO()
    call_command("load_frameworks", directory=tmp_path, stdout=again, stderr=StringIO())

    assert "tiny v1.0: created" in out.getvalue()
    assert "tiny v1.0: unchanged" in again.getvalue()


def test_it_refuses_a_file_over_2_mb_before_reading_it(tmp_path):
    path = with_valid_neighbour(tmp_path) / "large.yaml"
    path.write_text("description: " + "x" * (3 * 1024 * 1024) + "\n")

    message, output = refused(tmp_path)

    assert (
        f"{path}: the file has 3,145,742 bytes; framework files are limited to 2,097,152 bytes (2 MB)"
        in output
    )
    assert len(output) < OUTPUT_LIMIT
    assert_nothing_loaded()


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_it_refuses_what_is_not_a_regular_file_without_waiting_on_it(tmp_path, kind):
    path = with_valid_neighbour(tmp_path) / "special.yaml"
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would wait for a writer forever
    elif kind == "device":
        path.symlink_to("/dev/zero")  # reading it would never end
    else:
        path.mkdir()

    _, output = refused(tmp_path)

    assert f"{path}: not a regular file" in output
    assert_nothing_loaded()


def test_a_long_list_of_bad_items_is_checked_and_listed_only_so_far(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text(TINY.split("nodes:")[0] + "nodes:\n" + "  - {code: [x]}\n" * 20_000)

    message, output = refused(tmp_path)

    lines = output.splitlines()
    assert lines[0] == f"{path}: nodes[0]: missing id"
    assert len(lines) == PROBLEMS_LISTED_PER_FILE + 1
    assert lines[-1] == (
        f"… and {MAX_PROBLEMS_PER_FILE - PROBLEMS_LISTED_PER_FILE:,} more problem(s); "
        f"a file is checked up to {MAX_PROBLEMS_PER_FILE:,} problems"
    )
    assert (
        message
        == f"more than {MAX_PROBLEMS_PER_FILE:,} problem(s) in 1 framework file(s); nothing was loaded."
    )
    assert len(output) < OUTPUT_LIMIT


def test_the_listing_is_bounded_across_files_and_counts_the_rest(tmp_path):
    for number in range(5):
        data = fixture_definition("tiny-1.0") | {"key": f"tiny{number}"}
        data["nodes"] = [{"id": f"tiny{number}.n{index}"} for index in range(12)]  # each lacks a title
        definition_write(tmp_path, data)

    message, output = refused(tmp_path)

    lines = output.splitlines()
    assert len(lines) == PROBLEMS_LISTED + 1
    assert (
        sum(line.startswith(str(tmp_path / "tiny0-1.0.yaml")) for line in lines) == PROBLEMS_LISTED_PER_FILE
    )
    assert lines[-1] == f"… and {5 * 12 * 2 - PROBLEMS_LISTED} more problem(s)"
    assert message == "120 problem(s) in 5 framework file(s); nothing was loaded."


def test_values_quoted_from_the_file_are_cut_short_and_cannot_drive_the_terminal(tmp_path):
    data = fixture_definition("tiny-1.0")
    data["levels"] = ["area", "x" * 1_000_000]
    data["nodes"][0]["id"] = "tiny.a\x1b[2J\nInjected: all clear " + "y" * 500
    path = definition_write(tmp_path, data)

    message, output = refused(tmp_path)

    assert f"{path}: levels[1]: 'xxxxxxxx" in output
    assert "\x1b" not in output
    assert "\\x1b[2J\\nInjected" in output
    assert not any(line.startswith("Injected") for line in output.splitlines())
    assert max(len(line) for line in output.splitlines()) < 600
    assert len(output) < OUTPUT_LIMIT


def test_a_crosswalk_naming_many_unknown_frameworks_costs_two_queries(
    tmp_path, django_assert_max_num_queries
):
    data = fixture_definition("tiny-1.0")
    data["nodes"][1]["crosswalk"] = [
        {"framework": f"other{index}", "version": "1.0", "nodes": ["x"]} for index in range(500)
    ]
    definition_write(tmp_path, data)

    with django_assert_max_num_queries(6):  # framework_definitions_read, inside the command's transaction
        _, output = refused(tmp_path)

    assert "unknown crosswalk target framework other0 1.0" in output


# --------------------------------------------------------------------------- memory, in a real process


def test_a_hostile_folder_is_refused_in_a_process_limited_to_1_gib(tmp_path):
    (tmp_path / "laughs.yaml").write_text(billion_laughs())
    (tmp_path / "deep.yaml").write_text("nodes: " + "[" * 100_000 + "]" * 100_000 + "\n")
    (tmp_path / "deeper.yaml").write_text("nodes:\n" + "- " * 100_000 + "x\n")
    environment = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SECRET_KEY=secrets.token_urlsafe(50),
    )

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    completed = subprocess.run(
        [sys.executable, "manage.py", "load_frameworks", "--dir", str(tmp_path)],
        cwd=ROOT,
        env=environment,
        preexec_fn=limit_memory,
        capture_output=True,
        text=True,
        timeout=120,  # a guard against a hang, not a speed target
    )

    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr and "MemoryError" not in completed.stderr
    assert f"{tmp_path / 'laughs.yaml'}: line 3, column 8: anchor &l0" in completed.stderr
    assert f"{tmp_path / 'deep.yaml'}: " in completed.stderr
    assert f"{tmp_path / 'deeper.yaml'}: line 2, column 63: lists and mappings nested" in completed.stderr
    assert "3 problem(s) in 3 framework file(s); nothing was loaded." in completed.stderr
    assert len(completed.stdout) + len(completed.stderr) < OUTPUT_LIMIT


# --------------------------------------------------------------------------- the reader on its own


@pytest.fixture(params=[True, False], ids=["libyaml", "pure-python"])
def parser(request, monkeypatch):
    """Run a test with libyaml's event reader and with PyYAML's pure-Python one (used where PyYAML
    was built without libyaml): the limits are the composer's, so they must hold for both."""
    if request.param and not yaml.__with_libyaml__:
        pytest.skip("PyYAML here has no libyaml")
    monkeypatch.setattr(yaml_data, "LIBYAML", request.param)
    return request.param


SMALL_HOSTILE = [
    name
    for name in HOSTILE
    if name not in ("200,000-tiny-items", "deep-flow-lists")  # the slow ones, and libyaml's own message
]


@pytest.mark.parametrize("name", SMALL_HOSTILE)
def test_both_yaml_readers_refuse_the_same_files_the_same_way(parser, name):
    text, problem = HOSTILE[name]

    definition = framework_definition_parse(content=text.encode(), source_file="hostile.yaml")

    assert definition.data == {}
    assert [problem in str(found) for found in definition.problems] == [True]


def test_both_yaml_readers_refuse_deep_flow_nesting(parser):
    definition = framework_definition_parse(content=b"[" * 10_000, source_file="deep.yaml")

    assert len(definition.problems) == 1
    assert "nest" in definition.problems[0].message


def test_both_yaml_readers_read_the_shipped_frameworks_as_plain_yaml_does(parser):
    shipped = sorted((ROOT / "commitments" / "frameworks").glob("*.yaml"))
    for path in shipped:
        definition = framework_definition_parse(content=path.read_bytes(), source_file=path.name)

        assert definition.problems == [], path
        assert definition.data == yaml.safe_load(path.read_text(encoding="utf-8")), path
    assert shipped


def assert_well_formed(definition: FrameworkDefinition) -> None:
    assert isinstance(definition, FrameworkDefinition)
    assert isinstance(definition.data, dict)
    for problem in definition.problems:
        line = str(problem)
        assert "\n" not in line and "\r" not in line and len(line) < 600
    if not definition.data:
        assert definition.problems


# fmt: off
YAML_PIECES = [
    "key", "nodes", "levels", "id", "title", "parent", "tiny", ": ", ":", "- ", "-", "? ", "\n", "  ", " ",
    "[", "]", "{", "}", ",", "&a ", "*a", "<<: ", "!!str ", "!!int ", "!!bool ", "!!float ", "!!null ",
    "!!map ", "!!seq ", "!!binary ", "!!python/object:os.system ", "!x ", "! ", '"', "'", "\\", "\\x1b",
    "|", ">", "#", "%YAML 1.1\n", "%TAG ! tag:yaml.org,2002:\n", "---", "...", "0x1F", "0b1", "1:20",
    "1_0", "1e9", ".nan", "~", "null", "on", "yes", "2024-01-01", "=", "\t", "\ufeff", "é", "\U0001f600",
]
# fmt: on


@given(st.lists(st.sampled_from(YAML_PIECES), max_size=60).map("".join))
def test_any_yaml_like_text_gives_a_definition_or_problems(text):
    assert_well_formed(framework_definition_parse(content=text.encode(), source_file="fuzz.yaml"))


@given(st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
def test_any_bytes_give_a_definition_or_problems(content):
    assert_well_formed(framework_definition_parse(content=content, source_file="fuzz.yaml"))


SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10) | st.integers(), inner, max_size=4)
    ),
    max_leaves=20,
)
# fmt: off
FIELDS = [
    "key", "version", "title", "levels", "nodes", "source", "id", "parent", "metrics", "crosswalk",
    "framework", "unit", "published_on", "evidence_expected", "description",
]
# fmt: on


def _replace_somewhere(data, choices):
    """The tiny fixture with a value somewhere inside replaced by an arbitrary one."""
    value, steps, replacement = data, choices[:-1], choices[-1]
    for step in steps:
        if isinstance(value, dict) and value:
            key = sorted(value)[step % len(value)]
            if not isinstance(value[key], dict | list):
                value[key] = replacement
                return data
            value = value[key]
        elif isinstance(value, list) and value:
            value = value[step % len(value)]
    if isinstance(value, dict):
        value[FIELDS[steps[0] % len(FIELDS)] if steps else "key"] = replacement
    elif isinstance(value, list):
        value.append(replacement)
    return data


@given(st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=6), VALUES)
def test_any_near_valid_framework_gives_a_definition_or_problems(steps, replacement):
    data = _replace_somewhere(fixture_definition("tiny-1.0"), [*steps, replacement])
    content = yaml.safe_dump(data, allow_unicode=True).encode()

    definition = framework_definition_parse(content=content, source_file="fuzz.yaml")

    assert_well_formed(definition)
    if not definition.problems:  # then every node sits in the tree the loader walks
        assert sum(1 for _ in definition.walk()) == len(definition.nodes)


def test_guidance_nested_past_the_narrative_limits_is_refused_naming_the_node_and_field(tmp_path):
    data = fixture_definition("tiny-1.0")
    leaf = next(item for item in data["nodes"] if "evidence_expected" in item)
    leaf["evidence_expected"] = "\n".join("> " * depth + "quoted" for depth in range(1, 40))
    definition_write(tmp_path, data)

    error, output = refused(tmp_path)

    assert f"{leaf['id']}: evidence_expected: Nesting is limited to 20 levels" in output
    assert len(output) < 4096
    assert_nothing_loaded()
