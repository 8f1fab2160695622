"""Fixtures of the contract tests: each backend in turn (see ``backends.py``), and the Spark session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from backends import Backend, LocalBackend, SparkBackend, local_spark

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """One local Spark session for the whole test session: it takes seconds to start."""
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java 17 and no `java` is on PATH: the Spark backend is not tested")
    session = local_spark(tmp_path_factory.mktemp("spark-warehouse"))
    yield session
    session.stop()


@pytest.fixture(params=["local", "spark"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each backend in turn, with nothing in its catalog yet."""
    if request.param == "spark":
        return SparkBackend(request.getfixturevalue("spark"))
    return LocalBackend(tmp_path / "catalogs")
