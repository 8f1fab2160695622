"""The interface every pipeline step uses: tables, a model registry, task values and notifications.

Steps receive a :class:`Platform` and never ask where they run; ``platform.local`` and a Databricks
backend implement the same protocols.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

import pandas as pd

if TYPE_CHECKING:
    from .notify import Notifier
    from .registry import ModelRegistry


class Tables(Protocol):
    """Tables named ``<catalog>.<schema>.<table>``; writes are allowed in the environment's own catalog."""

    def exists(self, name: str) -> bool: ...

    def read(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame: ...

    def read_batches(
        self, name: str, columns: Sequence[str] | None = None, batch_rows: int = 100_000
    ) -> Iterator[pd.DataFrame]: ...

    def overwrite(self, name: str, frame: pd.DataFrame) -> None: ...

    def merge(self, name: str, frame: pd.DataFrame, keys: Sequence[str]) -> None:
        """Upsert ``frame`` on ``keys``: matching rows are updated, others inserted; re-runs add nothing."""
        ...


class TaskValues(Protocol):
    """Small values passed between the tasks of one job run (Databricks task values)."""

    def set(self, key: str, value: str) -> None: ...

    def get(self, task_key: str, key: str) -> str | None: ...


@dataclass(frozen=True)
class Platform:
    name: str
    tables: Tables
    task_values: TaskValues
    notifier: Notifier
    connect_registry: Callable[[], ModelRegistry]
    """Connects MLflow (tracking and registry) on first use of :attr:`registry`: steps that only touch
    tables never pay for it, and steps that log runs use the registry first."""

    @cached_property
    def registry(self) -> ModelRegistry:
        return self.connect_registry()
