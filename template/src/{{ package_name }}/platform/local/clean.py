"""``clean``: forget the local lakehouse, except the data that is yours."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..base import USER_DATA
from .tables import LocalTables


def clean(root: Path) -> tuple[list[str], list[str]]:
    """Drop every table a pipeline wrote (synthetic data, predictions, history...), the MLflow runs and
    registry, and task values; keep tables loaded with ``load-table`` or written by anything else. Returns
    (dropped, kept) table names."""
    tables = LocalTables(root / "catalogs", writable_schema="")
    dropped, kept = [], []
    for name in tables.tables():
        if tables.writer(name) in (None, USER_DATA):
            kept.append(name)
        else:
            tables.drop(name)
            dropped.append(name)
    for leftover in (root / "catalogs").glob("*/*/.*.creating"):  # tables a killed process began to create
        shutil.rmtree(leftover)
    for derived in (root / "mlartifacts", root / "task_values"):
        shutil.rmtree(derived, ignore_errors=True)
    (root / "mlflow.db").unlink(missing_ok=True)
    return dropped, kept
