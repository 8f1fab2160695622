"""What the environment's endpoint serves: ``@champion``, and a validated challenger's share of the requests
where ``serving.challenger_traffic`` asks for one. A champion the gate just promoted takes over step by step
where ``serving.rollout`` says so, the previous champion answering the rest meanwhile. Every change of the
champion (deploy, approve, rollback, a rollout step) publishes the routes, under the deploy lock, so the
endpoint follows the champion in the order the deploys decided; locally the server picks them up, on
Databricks Model Serving does.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..bundle import Bundle, Target
from ..errors import MLOpsError
from ..platform import Platform
from ..platform.endpoints import EndpointSpec, Routes, ServedVersion
from ..platform.registry import (
    APPROVAL,
    APPROVED,
    CHALLENGER,
    CHAMPION,
    DEPLOYMENT_DECISION,
    PREVIOUS_CHAMPION,
    VALIDATION_STATUS,
    ModelRegistry,
)
from ..settings import Settings

ROLLOUT_STEP = "rollout_step"
"""The tag of a promoted champion that says which step of ``serving.rollout`` it has reached."""
PERMISSIONS = "var.endpoint_permissions"
"""The bundle variable that says who may query or view each target's endpoint."""
_MAX_NAME = 63


def endpoint_name(target: Target) -> str:
    """The endpoint is named after the model it serves, ``<catalog>-<schema>-<model>``: unique in a
    workspace, per user in development mode (whose schema carries the user's prefix). A name longer than
    Databricks allows keeps its start and a hash of the rest."""
    name = target.model_full_name.replace(".", "-")
    if len(name) <= _MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: _MAX_NAME - 9]}-{digest}"


def payload_table(settings: Settings) -> str:
    """Where the endpoint logs every request and response (on Databricks: its AI Gateway inference table)."""
    return settings.table(f"{settings.serving.inference_table_prefix}_payload")


def rollout_share(settings: Settings, tags: dict[str, str]) -> int:
    """The share of the requests (percent) a champion with these tags gets: its step of ``serving.rollout``
    while it is rolling out, else all."""
    step = tags.get(ROLLOUT_STEP)
    if step is None or tags.get(DEPLOYMENT_DECISION) != "promoted":
        return 100
    steps = settings.serving.rollout
    return steps[min(int(step), len(steps) - 1)]


def routes_for(settings: Settings, registry: ModelRegistry) -> Routes:
    """The champion; while it rolls out, also the previous champion, with the rest of the requests; else,
    with ``serving.challenger_traffic``, also the challenger, if it passed validation (and, where the
    environment requires it, approval) without replacing the champion."""
    champion = registry.by_alias(CHAMPION)
    if champion is None:
        raise MLOpsError(f"{registry.name} has no champion to serve; run `run training --env {settings.env}`")
    rolling_out = rollout_share(settings, champion.tags)
    previous = registry.by_alias(PREVIOUS_CHAMPION) if rolling_out < 100 else None
    if previous is not None and previous.version != champion.version:
        return Routes(
            registry.name,
            (
                ServedVersion(str(champion.version), rolling_out),
                ServedVersion(str(previous.version), 100 - rolling_out),
            ),
        )
    share = settings.serving.challenger_traffic
    challenger = registry.by_alias(CHALLENGER) if share else None
    if (
        challenger is None
        or challenger.version == champion.version
        or not _servable(settings, challenger.tags)
    ):
        return Routes(registry.name, (ServedVersion(str(champion.version), 100),))
    return Routes(
        registry.name,
        (ServedVersion(str(champion.version), 100 - share), ServedVersion(str(challenger.version), share)),
    )


def endpoint_for(settings: Settings, registry: ModelRegistry) -> EndpointSpec:
    serving = settings.serving
    return EndpointSpec(
        name=endpoint_name(settings.target),
        routes=routes_for(settings, registry),
        inference_table=settings.table(serving.inference_table_prefix),
        workload_size=serving.workload_size,
        scale_to_zero=serving.scale_to_zero,
        permissions=_permissions(settings),
    )


def publish_routes(settings: Settings, platform: Platform) -> EndpointSpec | None:
    """Make the endpoint serve what the registry's aliases say now; None where ``serving.publish`` is off or
    there is no champion yet."""
    registry = platform.registry
    if not settings.serving.publish or registry.by_alias(CHAMPION) is None:
        return None
    endpoint = endpoint_for(settings, registry)
    platform.endpoints.publish(endpoint)
    return endpoint


def _servable(settings: Settings, tags: dict[str, str]) -> bool:
    approved = tags.get(APPROVAL, "").lower() == APPROVED
    return tags.get(VALIDATION_STATUS) == "PASSED" and (approved or not settings.target.require_approval)


def _permissions(settings: Settings) -> tuple[tuple[str, str], ...]:
    """Who may query or view the endpoint in this environment (``endpoint_permissions`` in databricks.yml);
    none when the bundle does not say."""
    bundle = Bundle.load(settings.project_dir)
    if PERMISSIONS.removeprefix("var.") not in (bundle.document.get("variables") or {}):
        return ()
    entries: Any = bundle.value(PERMISSIONS, settings.env) or []
    return tuple((str(entry["group_name"]), str(entry["level"])) for entry in entries)
