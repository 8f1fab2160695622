"""The ``deploy`` task and the ``approve`` and ``rollback`` commands.

Aliases move in an order that never leaves the model without a champion: ``previous_champion`` first, then
``champion`` in one call. A run that fails before that call leaves the current champion untouched.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from ..data.training_set import load_training_set
from ..errors import MLOpsError
from ..platform import Platform
from ..platform.registry import (
    APPROVAL_STATUS,
    CHALLENGER,
    CHAMPION,
    PREVIOUS_CHAMPION,
    VALIDATION_STATUS,
)
from ..settings import Settings
from ..training.estimator import baseline, predict
from ..training.metrics import METRICS
from ..training.versions import version_to_use
from .gate import Decision, decide


@dataclass(frozen=True)
class DeployResult:
    version: str
    decision: Decision
    champion: str | None
    """The champion after the decision."""


def deploy(settings: Settings, platform: Platform, model_version: str | None = None) -> DeployResult:
    registry = platform.registry
    version = version_to_use(platform, model_version)
    tags = registry.version(version).tags
    status = tags.get(VALIDATION_STATUS)
    if status != "PASSED":
        raise MLOpsError(
            f"{registry.name} version {version} has validation status {status or 'none'}; only PASSED "
            f"versions are deployed. Run `validate --env {settings.env} --model-version {version}`"
        )
    if settings.deployment.require_approval and tags.get(APPROVAL_STATUS) != "APPROVED":
        raise MLOpsError(
            f"{registry.name} version {version} is awaiting approval in {settings.env}; a reviewer "
            f"approves and deploys it with `approve --env {settings.env} --model-version {version}`"
        )
    champion = registry.by_alias(CHAMPION)
    champion_version = None if champion is None else str(champion.version)
    if champion_version == version:
        return DeployResult(version, Decision(False, "this version is already the champion"), version)

    decision = _compare(settings, platform, version, status, champion_version)
    outcome = "promoted" if decision.promote else "rejected"
    registry.set_tags(version, {"deployment_decision": outcome, "deployment_reason": decision.reason})
    if not decision.promote:
        return DeployResult(version, decision, champion_version)
    if champion_version is not None:
        registry.set_alias(PREVIOUS_CHAMPION, champion_version)
    registry.set_alias(CHAMPION, version)
    if registry.aliases().get(CHALLENGER) == version:
        registry.delete_alias(CHALLENGER)
    return DeployResult(version, decision, version)


def approve(
    settings: Settings, platform: Platform, model_version: str, approver: str | None = None
) -> DeployResult:
    """Record a reviewer's approval of a PASSED version, then deploy it through the same gate."""
    registry = platform.registry
    status = registry.version(model_version).tags.get(VALIDATION_STATUS)
    if status != "PASSED":
        raise MLOpsError(
            f"{registry.name} version {model_version} has validation status {status or 'none'}; "
            "only PASSED versions can be approved"
        )
    registry.set_tags(
        model_version, {APPROVAL_STATUS: "APPROVED", "approved_by": approver or getpass.getuser()}
    )
    return deploy(settings, platform, model_version)


def rollback(settings: Settings, platform: Platform) -> tuple[str, str]:
    """Make the previous champion champion again; returns (demoted version, restored version)."""
    registry = platform.registry
    previous, current = registry.by_alias(PREVIOUS_CHAMPION), registry.by_alias(CHAMPION)
    if previous is None or current is None:
        raise MLOpsError(
            f"{registry.name} has no previous champion to roll back to in {settings.env}; "
            "a rollback is possible after a deploy has replaced a champion"
        )
    registry.set_alias(CHAMPION, str(previous.version))
    registry.delete_alias(PREVIOUS_CHAMPION)
    registry.set_tags(str(current.version), {"deployment_decision": "rolled back"})
    return str(current.version), str(previous.version)


def _compare(
    settings: Settings, platform: Platform, version: str, status: str, champion: str | None
) -> Decision:
    """Challenger against champion (or, with no champion, against the baseline) on the held-out rows."""
    metric = METRICS[settings.deployment.metric]
    data = load_training_set(settings, platform.tables)
    features, actual = data.x(data.holdout), data.y(data.holdout)
    challenger_score = metric(actual, predict(platform.registry.load(version), features))
    if champion is None:
        reference, reference_name = baseline(data.train[data.data.target]), "baseline"
        reference_score = metric(actual, predict(reference, features))
    else:
        reference_name = f"champion v{champion}"
        reference_score = metric(actual, predict(platform.registry.load(champion), features))
    return decide(
        status, challenger_score, reference_score, reference_name, metric, settings.deployment.min_improvement
    )
