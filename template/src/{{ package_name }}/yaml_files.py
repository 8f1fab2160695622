"""Reading the project's YAML files (settings and the bundle): mappings only, errors that name the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import MLOpsError


def read_mapping(path: Path) -> dict[str, Any]:
    """The YAML mapping in ``path`` (empty if the file is empty)."""
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise MLOpsError(f"{path} is not valid YAML: {' '.join(str(error).split())}") from None
    if not isinstance(document, dict):
        raise MLOpsError(f"{path} must be a mapping of names to values")
    return document


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` on top; mappings merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
