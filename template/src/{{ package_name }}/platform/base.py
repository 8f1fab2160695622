"""The interface every pipeline step uses: tables, batch scoring, sums over tables, a model registry, task
values, locks, jobs, the platform's own monitors and notifications.

Steps receive a :class:`Platform` and never ask where they run; ``platform.local`` and a Databricks backend
implement the same protocols. Work that grows with the data (scoring a table, summing it by group) is a
platform operation on table names, so each backend runs it where the data is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ..errors import MLOpsError

if TYPE_CHECKING:  # pandas is slow to import and the CLI's --help must not pay for it
    import numpy as np
    import pandas as pd

    from .notify import Notifier
    from .registry import ModelRegistry

USER_DATA = "load-table"
"""The writer of tables that hold the user's own data: no pipeline writes them, ``clean`` keeps them."""
WRITER_PROPERTY = "mlops.writer"
"""The table property that records which writer created a table."""
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_FILE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
OnViolation = Literal["fail", "quarantine"]
OnDuplicateKeys = Literal["fail", "deduplicate"]


class Tables(Protocol):
    """Tables named ``<catalog>.<schema>.<table>``.

    Every write names its ``writer`` (the command that owns the table, e.g. ``score-batch``). A table records
    the writer that created it, and no other writer may change it: user data is never overwritten by a
    pipeline, and a pipeline never writes into another's table. Writes are allowed in the environment's
    own catalog only.
    """

    def exists(self, name: str) -> bool: ...

    def writer(self, name: str) -> str | None:
        """The writer that owns the table, or None for a table this project did not create."""
        ...

    def version(self, name: str) -> int:
        """The table's current Delta version: identifies the snapshot a run read."""
        ...

    def read(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The whole table in memory: for tables that fit on one machine (training sets, history)."""
        ...

    def count_by(self, name: str, column: str) -> dict[Any, int]:
        """Rows per value of ``column``, counted where the data is."""
        ...

    def overwrite(self, name: str, frame: pd.DataFrame, writer: str) -> None:
        """Create the table, or replace the contents of a table ``writer`` owns."""
        ...

    def append(self, name: str, frame: pd.DataFrame, writer: str) -> None: ...

    def replace(self, name: str, frame: pd.DataFrame, writer: str, where: str) -> None:
        """Replace the rows that match the SQL predicate ``where`` with ``frame``, in one atomic commit (a
        Delta ``replaceWhere``); the other rows stay. Creates the table if it does not exist. Every row of
        ``frame`` must match ``where``: re-running the same write changes nothing."""
        ...

    def load_file(self, name: str, path: str, writer: str, replace: bool = False) -> int:
        """Load a CSV or Parquet file (or folder) into a table, in bounded memory; returns the row count."""
        ...


def check_table_name(name: str) -> list[str]:
    """The parts of a ``<catalog>.<schema>.<table>`` name; anything else is refused."""
    parts = name.split(".")
    if len(parts) != 3 or not all(_IDENTIFIER.match(part) for part in parts):
        raise MLOpsError(
            f"table name '{name}' must be <catalog>.<schema>.<table> of lowercase letters, digits and '_'"
        )
    return parts


def check_writable(name: str, writable_schema: str) -> None:
    """An environment writes only its own schema; every other schema is read-only to it, as its service
    principal's grants make them on Databricks."""
    if ".".join(check_table_name(name)[:2]) != writable_schema:
        raise MLOpsError(
            f"refusing to write {name}: this environment writes only its own schema {writable_schema} "
            "(everything else is read-only to it)"
        )


def check_owner(name: str, owner: str | None, writer: str) -> None:
    """Only the writer that created a table writes it again: no pipeline overwrites the user's data or
    another pipeline's output."""
    if owner != writer:
        held = "data this project did not write" if owner is None else f"the output of `{owner}`"
        raise MLOpsError(
            f"refusing to write {name} from `{writer}`: the table holds {held}; "
            "point the setting that names it at another table"
        )


def file_format(path: str, folder: bool) -> str:
    """How to read a file to load: CSV or Parquet by its suffix; a folder holds Parquet files."""
    suffix = path[path.rfind(".") :].lower() if "." in path.rsplit("/", 1)[-1] else ""
    fmt = "parquet" if folder else _FILE_FORMATS.get(suffix)
    if fmt is None:
        raise MLOpsError(f"cannot load {path}: use a .csv or .parquet file (or a folder of Parquet files)")
    return fmt


@dataclass(frozen=True)
class RowProblems:
    """Which rows of one frame break which rule: ``(column, problem) -> row mask``, with an example value."""

    rows: int
    masks: Mapping[tuple[str, str], np.ndarray]
    examples: Mapping[tuple[str, str], str]

    @property
    def bad(self) -> np.ndarray:
        """Rows with at least one problem."""
        import numpy as np

        bad = np.zeros(self.rows, dtype=bool)
        for mask in self.masks.values():
            bad |= mask
        return bad

    def reasons(self) -> list[str]:
        """For each bad row, in order: its problems, e.g. ``region: unknown category; tenure: null``."""
        bad = self.bad
        parts: list[list[str]] = [[] for _ in range(int(bad.sum()))]
        for (column, problem), mask in self.masks.items():
            for position in mask[bad].nonzero()[0]:
                parts[position].append(f"{column}: {problem}")
        return ["; ".join(part) for part in parts]


@dataclass
class ProblemSummary:
    """Row problems counted over every chunk of a table."""

    rows: int = 0
    bad_rows: int = 0
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    examples: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, problems: RowProblems) -> None:
        self.rows += problems.rows
        self.bad_rows += int(problems.bad.sum())
        for key, mask in problems.masks.items():
            self.counts[key] = self.counts.get(key, 0) + int(mask.sum())
            self.examples.setdefault(key, problems.examples[key])

    def table(self) -> str:
        """The problems as a small text table: column, problem, rows, example."""
        rows = [("column", "problem", "rows", "example")]
        rows += [(c, p, f"{n:,}", self.examples[c, p]) for (c, p), n in sorted(self.counts.items())]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return "\n".join(
            "  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows
        )


class RowScorer(Protocol):
    """What a backend needs to score a table: which columns to read, and for each batch of rows their
    problems and the predictions of the rows without any. Picklable, so a cluster can ship it to its
    workers."""

    @property
    def columns(self) -> Sequence[str]:
        """The source columns to read: the key and the features."""
        ...

    def check(self, frame: pd.DataFrame) -> RowProblems:
        """The rows' problems, without scoring them."""
        ...

    def score(self, frame: pd.DataFrame) -> tuple[RowProblems, pd.DataFrame]:
        """The rows' problems, and the predictions of the rows without any."""
        ...


@dataclass(frozen=True)
class ScoringRequest:
    """Score ``source`` into ``target``, replacing the rows of run ``run`` (re-running a run adds nothing)."""

    source: str
    target: str
    quarantine: str
    key: str
    scorer: RowScorer
    run: str
    writer: str
    batch_rows: int
    on_violation: OnViolation
    on_duplicate_keys: OnDuplicateKeys
    run_column: str = "scoring_run"


@dataclass(frozen=True)
class ScoringOutcome:
    scored: int
    quarantined: int
    duplicates_dropped: int


class BatchScoring(Protocol):
    def score_table(self, request: ScoringRequest) -> ScoringOutcome:
        """Score every row of the source table in one atomic write of the target.

        Raises :class:`~..errors.MLOpsError` when the source has duplicate keys (unless deduplicating) or,
        with ``on_violation="fail"``, rows out of contract; then nothing is written. With ``"quarantine"``
        the rows out of contract go to the quarantine table with their reasons and the others are scored.
        """
        ...


class PartialSums(Protocol):
    """What a backend needs to sum a table by group where the data is: which columns to read and, for each
    batch of rows, partial sums that add up across batches. Picklable, so a cluster can ship it to its
    workers."""

    @property
    def columns(self) -> Sequence[str]:
        """The columns to read."""
        ...

    @property
    def keys(self) -> Sequence[str]:
        """The group columns of :meth:`sums`' output; its other columns are numbers to add up."""
        ...

    def sums(self, frame: pd.DataFrame) -> pd.DataFrame:
        """One batch's sums: a row per group, the keys, then the numeric columns (typed even when empty)."""
        ...


@dataclass(frozen=True)
class Lookup:
    """Columns of another table joined to each row by key, as a left join: a row without a match gets
    missing values. A key the other table holds more than once counts once."""

    table: str
    key: str
    columns: Sequence[str]


@dataclass(frozen=True)
class SumRequest:
    """Sum ``table`` with ``sums``: only the rows whose ``since`` column (a timestamp) is at or after its
    time, with ``lookup``'s columns joined, read ``batch_rows`` at a time where the backend reads in
    batches."""

    table: str
    sums: PartialSums
    since: tuple[str, datetime] | None = None
    lookup: Lookup | None = None
    batch_rows: int = 100_000

    @property
    def columns(self) -> list[str]:
        """The columns to read: those of the sums, the ``since`` column and the lookup's key."""
        extra = [self.since[0]] if self.since else []
        extra += [self.lookup.key] if self.lookup else []
        return list(dict.fromkeys([*self.sums.columns, *extra]))


class TableSums(Protocol):
    def sum_table(self, request: SumRequest) -> pd.DataFrame:
        """The request's partial sums added up over the whole table: one row per group, nothing else of the
        table collected."""
        ...


class Jobs(Protocol):
    """The bundle's jobs, started from a step (e.g. training when monitoring raises an alert)."""

    def run_now(self, job: str, parameters: Mapping[str, str] | None = None) -> str:
        """Start a run of ``job`` (a job id on Databricks, the bundle's job key locally, as
        ``${resources.jobs.<key>.id}`` resolves on each); returns what identifies the run. On Databricks it
        returns once the run is queued; locally the job runs to its end first, in a process of its own."""
        ...


@dataclass(frozen=True)
class InferenceProfile:
    """A profile of an inference table the platform keeps itself: drift and quality per time window, model
    version and column (Databricks data profiling, "InferenceLog")."""

    table: str
    problem_type: Literal["regression", "classification"]
    prediction_column: str
    model_id_column: str
    timestamp_column: str
    granularity: Literal["hour", "day"]
    output_schema: str
    """``<catalog>.<schema>`` of the profile's own metric tables."""


class Monitors(Protocol):
    def refresh(self, profile: InferenceProfile) -> str | None:
        """Create the profile if the table has none yet, or refresh it; returns where to look at it, or None
        where the platform keeps no profile of its own."""
        ...


class TaskValues(Protocol):
    """Small values passed between the tasks of one job run (Databricks task values)."""

    def set(self, key: str, value: str) -> None: ...

    def get(self, task_key: str, key: str) -> str | None: ...


class Processes(Protocol):
    """Who this process is, so work it leaves unfinished can be recognised once it has ended."""

    token: str
    """Recorded on runs and versions this process opens."""

    def is_alive(self, token: str) -> bool: ...

    def lock(self, name: str, wait_seconds: float) -> AbstractContextManager[None]:
        """Hold the lock ``name`` (waiting at most ``wait_seconds``) across processes; when it stays busy,
        raise an :class:`~..errors.MLOpsError` that says who holds it."""
        ...

    def actor(self) -> str:
        """Who is acting: the user or service principal, recorded in the model's history."""
        ...


@dataclass(frozen=True)
class Platform:
    name: str
    tables: Tables
    scoring: BatchScoring
    sums: TableSums
    task_values: TaskValues
    processes: Processes
    jobs: Jobs
    monitors: Monitors
    notifier: Notifier
    connected_registry: ModelRegistry | None = None
    """MLflow tracking and the model registry, set up by ``connect(settings, registry=True)``: commands that
    only touch tables never import MLflow."""

    @property
    def registry(self) -> ModelRegistry:
        if self.connected_registry is None:
            raise RuntimeError(
                "this platform was connected without the registry: connect(..., registry=True)"
            )
        return self.connected_registry
