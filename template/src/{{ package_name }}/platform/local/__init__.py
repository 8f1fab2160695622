"""The embedded platform: Delta tables and an MLflow sqlite registry under the project's lakehouse folder."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from ...settings import Settings
from ..base import Platform
from ..notify import Notifier
from .tables import LocalTables
from .task_values import LocalTaskValues

if TYPE_CHECKING:
    from ..registry import ModelRegistry

__all__ = ["LocalTables", "LocalTaskValues", "connect_local"]


def connect_local(settings: Settings) -> Platform:
    root = settings.lakehouse_dir
    root.mkdir(parents=True, exist_ok=True)
    return Platform(
        name="local",
        tables=LocalTables(root / "catalogs", writable_catalog=settings.catalog),
        task_values=LocalTaskValues(root / "task_values"),
        notifier=Notifier(settings.notifications.webhook_url, settings.notifications.emails),
        connect_registry=lambda: _connect_mlflow(settings),
    )


def _connect_mlflow(settings: Settings) -> ModelRegistry:
    """MLflow tracking and registry in ``<lakehouse>/mlflow.db``, artifacts in ``<lakehouse>/mlartifacts``."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    import mlflow  # imported here: slow, and not every command needs it
    from mlflow.tracking import MlflowClient

    from ..registry import ModelRegistry

    for name in ("mlflow", "alembic"):  # keep library chatter out of the pipeline's own output
        logging.getLogger(name).setLevel(logging.ERROR)
    root = settings.lakehouse_dir
    tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    if mlflow.get_experiment_by_name(settings.experiment) is None:
        mlflow.create_experiment(settings.experiment, artifact_location=(root / "mlartifacts").as_uri())
    mlflow.set_experiment(settings.experiment)
    return ModelRegistry(settings.model_full_name, MlflowClient(tracking_uri, tracking_uri))
