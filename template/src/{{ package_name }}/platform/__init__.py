"""Where the pipeline runs. Commands call :func:`connect` once and pass the :class:`Platform` to the steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Platform, Tables, TaskValues

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["Platform", "Tables", "TaskValues", "connect"]


def connect(settings: Settings, registry: bool = False) -> Platform:
    """The platform for this process: the embedded local lakehouse. ``registry`` also sets up MLflow
    tracking and the model registry (slow to import: commands that only touch tables leave it out)."""
    from .local import connect_local

    return connect_local(settings, registry)
