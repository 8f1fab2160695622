"""The embedded platform: Delta tables and an MLflow sqlite registry under the project's lakehouse folder."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import MLOpsError
from ...settings import Settings
from .. import PLATFORM
from ..base import InferenceProfile, Platform
from ..notify import Notifier
from .jobs import LocalJobs
from .processes import LocalProcesses
from .scoring import LocalBatchScoring
from .sums import LocalTableSums
from .tables import LocalTables
from .task_values import LocalTaskValues

if TYPE_CHECKING:
    from ..registry import ModelRegistry

__all__ = [
    "LocalJobs",
    "LocalMonitors",
    "LocalProcesses",
    "LocalTableSums",
    "LocalTables",
    "LocalTaskValues",
    "connect_local",
]
log = logging.getLogger(__name__)


def connect_local(settings: Settings, registry: bool = False) -> Platform:
    """The embedded lakehouse; refused on a Databricks runtime, where it would write a sqlite registry and
    Delta files into the workspace instead of using Unity Catalog."""
    if runtime := os.environ.get("DATABRICKS_RUNTIME_VERSION"):
        raise MLOpsError(
            f"the local platform does not run on Databricks (runtime {runtime}): unset {PLATFORM} "
            "to use Unity Catalog and the workspace's MLflow"
        )
    root = settings.lakehouse_dir
    root.mkdir(parents=True, exist_ok=True)
    tables = LocalTables(
        root / "catalogs", writable_schema=f"{settings.target.catalog}.{settings.target.schema}"
    )
    processes = LocalProcesses.of(root / "processes")
    return Platform(
        name="local",
        tables=tables,
        scoring=LocalBatchScoring(tables),
        sums=LocalTableSums(tables),
        task_values=LocalTaskValues(root / "task_values"),
        processes=processes,
        jobs=LocalJobs(settings.env, settings.conf_dir.resolve()),
        monitors=LocalMonitors(),
        notifier=Notifier(settings.notifications.webhook_url, settings.notifications.emails),
        connected_registry=_connect_mlflow(settings, tables, processes) if registry else None,
    )


@dataclass(frozen=True)
class LocalMonitors:
    """The local platform keeps no profile of an inference table of its own (monitoring's HTML report stands
    in for it)."""

    def refresh(self, profile: InferenceProfile) -> None:
        return None


def _connect_mlflow(settings: Settings, tables: LocalTables, processes: LocalProcesses) -> ModelRegistry:
    """MLflow tracking and registry in ``<lakehouse>/mlflow.db``, artifacts in ``<lakehouse>/mlartifacts``;
    what an ended process left open is closed first."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    import mlflow
    from mlflow.tracking import MlflowClient

    from ..history import ModelHistory
    from ..registry import ModelRegistry

    for name in ("mlflow", "alembic"):  # keep library chatter out of the pipeline's own output
        logging.getLogger(name).setLevel(logging.CRITICAL)
    root = settings.lakehouse_dir
    tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    name = settings.target.experiment
    experiment = mlflow.get_experiment_by_name(name)
    experiment_id = (
        experiment.experiment_id
        if experiment is not None
        else mlflow.create_experiment(name, artifact_location=(root / "mlartifacts").as_uri())
    )
    mlflow.set_experiment(experiment_id=experiment_id)
    history = ModelHistory(tables, settings.history_table, settings.model_full_name)
    registry = ModelRegistry(
        settings.model_full_name, MlflowClient(tracking_uri, tracking_uri), history, processes, experiment_id
    )
    for closed in registry.close_interrupted():
        log.warning("closed as FAILED: %s, left open by a process that ended", closed)
    return registry
