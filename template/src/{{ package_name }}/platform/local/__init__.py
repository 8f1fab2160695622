"""The embedded platform: Delta tables and an MLflow sqlite registry under the project's lakehouse folder."""

from __future__ import annotations

import logging
import os

import mlflow
from mlflow.tracking import MlflowClient

from ...settings import Settings
from ..base import Platform
from ..notify import Notifier
from ..registry import ModelRegistry
from .tables import LocalTables
from .task_values import LocalTaskValues

__all__ = ["LocalTables", "LocalTaskValues", "connect_local"]


def connect_local(settings: Settings) -> Platform:
    root = settings.lakehouse_dir
    root.mkdir(parents=True, exist_ok=True)
    _quiet_mlflow()
    tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    if mlflow.get_experiment_by_name(settings.experiment) is None:
        mlflow.create_experiment(settings.experiment, artifact_location=(root / "mlartifacts").as_uri())
    mlflow.set_experiment(settings.experiment)
    return Platform(
        name="local",
        tables=LocalTables(root / "catalogs", writable_catalog=settings.catalog),
        task_values=LocalTaskValues(root / "task_values"),
        registry=ModelRegistry(settings.model_full_name, MlflowClient(tracking_uri, tracking_uri)),
        notifier=Notifier(settings.notifications.webhook_url, settings.notifications.emails),
    )


def _quiet_mlflow() -> None:
    """Keep MLflow's and alembic's start-up chatter out of the pipeline's own output."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.ERROR)
