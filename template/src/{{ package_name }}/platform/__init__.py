"""Where the pipeline runs. Steps call :func:`connect` and use the :class:`Platform` they get back."""

from __future__ import annotations

from ..settings import Settings
from .base import Platform, Tables, TaskValues

__all__ = ["Platform", "Tables", "TaskValues", "connect"]


def connect(settings: Settings) -> Platform:
    """The platform for this process: the embedded local lakehouse."""
    from .local import connect_local  # imported here: MLflow is slow to import, the CLI's --help is not

    return connect_local(settings)
