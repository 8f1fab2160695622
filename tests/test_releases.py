"""Releases are PEP 440 versions, one CHANGELOG entry each, the newest in pyproject.toml."""

from __future__ import annotations

import tomllib

import lakeops_render as lr
from packaging.version import Version


def test_changelog_versions_are_pep_440_and_newest_first() -> None:
    versions = lr.released_versions()

    assert versions, "CHANGELOG.md lists no release"
    assert versions == sorted(versions, key=Version, reverse=True)
    assert len(set(versions)) == len(versions)


def test_pyproject_names_the_newest_release() -> None:
    project = tomllib.loads((lr.REPO / "pyproject.toml").read_text())["project"]

    assert project["version"] == lr.released_versions()[0]
