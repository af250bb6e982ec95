"""Validating OSCAL documents with compliance-trestle: its pydantic models of the NIST OSCAL
schemas (every field's type, pattern and cardinality, no unknown field), and its validators
(duplicate uuids, responsible parties' roles, links)."""

import argparse
import json
import re

from trestle.common import const
from trestle.core.validator_factory import validator_factory
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.catalog import Catalog
from trestle.oscal.component import ComponentDefinition

MODELS = {
    "catalog": Catalog,
    "component-definition": ComponentDefinition,
    "assessment-results": AssessmentResults,
}
# Property names OSCAL itself defines for any object; every other name must carry a namespace
# (NIST's allowed-values constraints, which trestle's models do not check).
OSCAL_PROPERTY_NAMES = {"label", "sort-id", "alt-identifier", "marking"}
UTC_Z = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)Z$")
TIMESTAMPS = {"published", "last-modified", "start", "end", "collected", "expires"}


def _utc_as_offset(value, key=""):
    """Trestle writes the timestamps' UTC as +00:00 where the files say Z: the same instant."""
    if isinstance(value, dict):
        return {name: _utc_as_offset(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [_utc_as_offset(item) for item in value]
    if isinstance(value, str) and key in TIMESTAMPS:
        return UTC_Z.sub(r"\1+00:00", value)
    return value


def _unqualified_names(value) -> set[str]:
    if isinstance(value, list):
        return set().union(set(), *(_unqualified_names(item) for item in value))
    if not isinstance(value, dict):
        return set()
    found = set().union(set(), *(_unqualified_names(item) for item in value.values()))
    for each in value.get("props", []):
        if "ns" not in each:
            found.add(each["name"])
    return found


def validated(content: bytes):
    """The trestle model of an OSCAL JSON file; fails the test when trestle does not accept it."""
    document = json.loads(content.decode("utf-8"))
    [(root, body)] = document.items()
    model = MODELS[root].model_validate(body)
    validator = validator_factory.get(argparse.Namespace(mode=const.VAL_MODE_ALL))
    assert validator.model_is_valid(model, True, None), validator.error_msg()
    assert _unqualified_names(body) <= OSCAL_PROPERTY_NAMES
    # Written back, the model says what the file said: nothing was dropped or coerced.
    assert json.loads(model.oscal_serialize_json()) == _utc_as_offset(document)
    return model
