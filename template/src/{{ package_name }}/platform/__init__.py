"""Where the pipeline runs. Steps call :func:`connect` and use the :class:`Platform` they get back."""

from __future__ import annotations

from ..settings import Settings
from .base import Platform, Tables, TaskValues
from .local import connect_local

__all__ = ["Platform", "Tables", "TaskValues", "connect"]


def connect(settings: Settings) -> Platform:
    """The platform for this process: the embedded local lakehouse."""
    return connect_local(settings)
