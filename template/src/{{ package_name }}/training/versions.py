"""Which model version a task works on."""

from __future__ import annotations

from ..platform import Platform

# Task values the ``train`` task sets for the tasks after it.
MODEL_VERSION = "model_version"
MODEL_URI = "model_uri"


def version_to_use(platform: Platform, explicit: str | None) -> str:
    """The version given on the command line, else the one ``train`` passed on, else the newest."""
    return explicit or platform.task_values.get("train", MODEL_VERSION) or platform.registry.latest_version()
