"""Commitment frameworks as data: YAML files in `commitments/frameworks/`, checked, loaded and
exported by the functions re-exported here."""

from commitments.services.frameworks.definitions import (
    FRAMEWORKS_DIR,
    SCHEMA_PATH,
    DefinitionProblem,
    FrameworkDefinition,
    FrameworkDefinitionInvalid,
    framework_definition_parse,
    framework_definitions_read,
    version_sort_key,
)
from commitments.services.frameworks.export import framework_as_dict, framework_find
from commitments.services.frameworks.loading import (
    LoadAction,
    LoadResult,
    framework_load,
    frameworks_load_all,
)

__all__ = [
    "FRAMEWORKS_DIR",
    "SCHEMA_PATH",
    "DefinitionProblem",
    "FrameworkDefinition",
    "FrameworkDefinitionInvalid",
    "LoadAction",
    "LoadResult",
    "framework_as_dict",
    "framework_definition_parse",
    "framework_definitions_read",
    "framework_find",
    "framework_load",
    "frameworks_load_all",
    "version_sort_key",
]
