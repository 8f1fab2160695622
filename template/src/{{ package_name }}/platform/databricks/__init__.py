"""The Databricks platform: Unity Catalog tables through Spark, MLflow tracking on the workspace with the
Unity Catalog registry, task values through dbutils, and the SDK for the rest.

On a Databricks runtime the job's own Spark session and credentials are used; from a laptop, Databricks
Connect (``databricks-connect``, configured like the Databricks CLI) provides both.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from ...errors import MLOpsError
from ..base import Platform
from ..notify import Notifier
from .scoring import SparkBatchScoring
from .sums import SparkTableSums
from .tables import SparkTables
from .workspace import (
    DbutilsTaskValues,
    WorkspaceJobs,
    WorkspaceMonitors,
    WorkspaceProcesses,
    first_line,
    workspace_client,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from ...settings import Settings
    from ..registry import ModelRegistry

__all__ = [
    "SparkBatchScoring",
    "SparkTableSums",
    "SparkTables",
    "WorkspaceJobs",
    "WorkspaceMonitors",
    "WorkspaceProcesses",
    "connect_databricks",
]
log = logging.getLogger(__name__)
RUNTIME = "DATABRICKS_RUNTIME_VERSION"


def connect_databricks(settings: Settings, registry: bool = False) -> Platform:
    workspace = workspace_client()
    try:
        user = workspace.current_user.me().user_name or "unknown"
    except Exception as error:  # no network, wrong host, expired credentials: the SDK's own errors
        raise MLOpsError(
            f"cannot connect to Databricks at {workspace.config.host}: {first_line(error)}"
        ) from None
    target = settings.target
    tables = SparkTables(spark_session(), writable_schema=f"{target.catalog}.{target.schema}")
    processes = WorkspaceProcesses(
        workspace.jobs,
        workspace.files,
        user,
        lock_folder=f"/Volumes/{target.catalog}/{target.schema}/{target.volume}/locks",
        job_run=settings.job_run,
    )
    return Platform(
        name="databricks",
        tables=tables,
        scoring=SparkBatchScoring(tables),
        sums=SparkTableSums(tables),
        task_values=DbutilsTaskValues(workspace.dbutils.jobs.taskValues),
        processes=processes,
        jobs=WorkspaceJobs(workspace.jobs),
        monitors=WorkspaceMonitors(
            workspace.data_quality, workspace.tables, workspace.schemas, workspace.config.host
        ),
        notifier=Notifier(settings.notifications.webhook_url, settings.notifications.emails),
        connected_registry=_connect_mlflow(settings, tables, processes) if registry else None,
    )


def spark_session() -> SparkSession:
    """The runtime's Spark session, or a Databricks Connect session from a laptop."""
    if os.environ.get(RUNTIME):
        from pyspark.sql import SparkSession

        return SparkSession.builder.getOrCreate()
    try:
        from databricks.connect import DatabricksSession
    except ImportError:
        raise MLOpsError(
            "cannot connect to Databricks from this machine without Databricks Connect: "
            "`uv sync --group connect` installs it (or unset the platform variable to run locally)"
        ) from None
    return DatabricksSession.builder.getOrCreate()


def _connect_mlflow(settings: Settings, tables: SparkTables, processes: WorkspaceProcesses) -> ModelRegistry:
    """MLflow tracking in the workspace, in the bundle's experiment, and the Unity Catalog registry."""
    import mlflow
    from mlflow.tracking import MlflowClient

    from ..history import ModelHistory
    from ..registry import ModelRegistry

    for name in ("mlflow", "py4j"):
        logging.getLogger(name).setLevel(logging.ERROR)
    mlflow.set_tracking_uri("databricks")
    mlflow.set_registry_uri("databricks-uc")
    experiment_id = mlflow.set_experiment(settings.target.experiment).experiment_id
    history = ModelHistory(tables, settings.history_table, settings.model_full_name)
    registry = ModelRegistry(
        settings.model_full_name,
        MlflowClient("databricks", "databricks-uc"),
        history,
        processes,
        experiment_id,
        unity_catalog=True,
    )
    for closed in registry.close_interrupted():
        log.warning("closed as FAILED: %s, left open by a job run that ended", closed)
    return registry
