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


def validated(content: bytes):
    """The trestle model of an OSCAL JSON file; fails the test when trestle does not accept it."""
    document = json.loads(content.decode("utf-8"))
    [(root, body)] = document.items()
    model = MODELS[root].model_validate(body)
    validator = validator_factory.get(argparse.Namespace(mode=const.VAL_MODE_ALL))
    assert validator.model_is_valid(model, True, None), validator.error_msg()
    # Written back, the model says what the file said: nothing was dropped or coerced.
    assert json.loads(model.oscal_serialize_json()) == _utc_as_offset(document)
    return model
