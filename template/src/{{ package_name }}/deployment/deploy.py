"""The ``deploy`` task and the ``approve`` and ``rollback`` commands.

Every change of the champion happens under the model's deploy lock, so deploys never race: each decides
against the champion the one before it left. Aliases move in an order that never leaves the model without a
champion (``previous_champion`` first, then ``champion`` in one call), and each decision is recorded in the
version's tags and the model's history.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..data.training_set import load_training_set
from ..errors import MLOpsError
from ..inference.model import load_model
from ..platform import Platform
from ..platform.registry import (
    APPROVAL,
    APPROVED,
    CHALLENGER,
    CHAMPION,
    DEPLOYMENT_DECISION,
    PREVIOUS_CHAMPION,
    VALIDATION_STATUS,
)
from ..settings import Settings
from ..training.estimator import baseline, predict
from ..training.metrics import METRICS
from ..training.versions import version_to_use
from .gate import Decision, decide

LOCK_WAIT_SECONDS = 300
ROLLED_BACK = "rolled back"


@dataclass(frozen=True)
class DeployResult:
    version: str
    decision: Decision
    champion: str | None
    """The champion after the decision."""


def deploy(settings: Settings, platform: Platform, model_version: str | None = None) -> DeployResult:
    version = version_to_use(platform, model_version)
    with _deploy_lock(platform):
        return _deploy(settings, platform, version)


def check_approval(settings: Settings, platform: Platform, model_version: str | None = None) -> str:
    """The approval task of the deployment job: raises until the version may be deployed without waiting
    for a person; returns why it may."""
    registry = platform.registry
    version = version_to_use(platform, model_version)
    tags = registry.version(version).tags
    _require_passed(tags, registry.name, version, "deployed")
    if not settings.target.require_approval:
        return f"{registry.name} version {version} needs no approval in {settings.env}"
    if tags.get(APPROVAL, "").lower() != APPROVED:
        raise MLOpsError(
            f"{registry.name} version {version} awaits approval in {settings.env}: a reviewer approves it "
            f"on its model version page (Approve), or with "
            f"`approve --env {settings.env} --model-version {version}`"
        )
    return f"{registry.name} version {version} is approved"


def approve(
    settings: Settings, platform: Platform, model_version: str, approver: str | None = None
) -> DeployResult:
    """Record a reviewer's approval of a PASSED version, then deploy it through the same gate."""
    registry = platform.registry
    with _deploy_lock(platform):
        _require_passed(registry.version(model_version).tags, registry.name, model_version, "approved")
        who = approver or platform.processes.actor()
        registry.record(model_version, "approved", f"by {who}", {APPROVAL: APPROVED, "approved_by": who})
        return _deploy(settings, platform, model_version)


def rollback(settings: Settings, platform: Platform) -> tuple[str, str]:
    """Swap the champion and the previous champion; returns (demoted version, restored version). The demoted
    version is not promoted again by a plain ``deploy``; ``rollback`` once more restores it."""
    registry = platform.registry
    with _deploy_lock(platform):
        previous, current = registry.by_alias(PREVIOUS_CHAMPION), registry.by_alias(CHAMPION)
        if previous is None or current is None:
            raise MLOpsError(
                f"{registry.name} has no previous champion to roll back to in {settings.env}; "
                "a rollback is possible after a deploy has replaced a champion"
            )
        demoted, restored = str(current.version), str(previous.version)
        registry.set_alias(CHAMPION, restored)
        registry.set_alias(PREVIOUS_CHAMPION, demoted)
        registry.record(
            demoted, ROLLED_BACK, f"version {restored} is champion again", {DEPLOYMENT_DECISION: ROLLED_BACK}
        )
        registry.record(
            restored, "restored", f"replaces version {demoted}", {DEPLOYMENT_DECISION: "restored"}
        )
    return demoted, restored


@contextmanager
def _deploy_lock(platform: Platform) -> Iterator[None]:
    with platform.processes.lock(f"deploy {platform.registry.name}", wait_seconds=LOCK_WAIT_SECONDS):
        yield


def _require_passed(tags: dict[str, str], model: str, version: str, action: str) -> str:
    status = tags.get(VALIDATION_STATUS)
    if status != "PASSED":
        raise MLOpsError(
            f"{model} version {version} has validation status {status or 'none'}; only PASSED versions are "
            f"{action}. Run `validate --model-version {version}`"
        )
    return status


def _deploy(settings: Settings, platform: Platform, version: str) -> DeployResult:
    registry = platform.registry
    tags = registry.version(version).tags
    status = _require_passed(tags, registry.name, version, "deployed")
    if tags.get(DEPLOYMENT_DECISION) == ROLLED_BACK:
        raise MLOpsError(
            f"{registry.name} version {version} was rolled back; `deploy` does not promote it again. "
            f"`rollback --env {settings.env}` restores it, or train a new version"
        )
    if settings.target.require_approval and tags.get(APPROVAL, "").lower() != APPROVED:
        raise MLOpsError(
            f"{registry.name} version {version} is awaiting approval in {settings.env}; a reviewer "
            f"approves and deploys it with `approve --env {settings.env} --model-version {version}`"
        )
    champion = registry.by_alias(CHAMPION)
    champion_version = None if champion is None else str(champion.version)
    if champion_version == version:
        return DeployResult(version, Decision(False, "this version is already the champion"), version)

    decision = _compare(settings, platform, version, status, champion_version)
    if decision.promote:
        if champion_version is not None:
            registry.set_alias(PREVIOUS_CHAMPION, champion_version)
        registry.set_alias(CHAMPION, version)
        if registry.aliases().get(CHALLENGER) == version:
            registry.delete_alias(CHALLENGER)
    outcome = "promoted" if decision.promote else "rejected"
    registry.record(
        version,
        outcome,
        decision.reason,
        {DEPLOYMENT_DECISION: outcome, "deployment_reason": decision.reason},
    )
    return DeployResult(version, decision, version if decision.promote else champion_version)


def _compare(
    settings: Settings, platform: Platform, version: str, status: str, champion: str | None
) -> Decision:
    """Challenger against champion (or, with no champion, against the baseline) on the held-out rows, each
    scored on its own features. A champion that cannot score the current data is no reference: the
    challenger must then beat the baseline."""
    registry = platform.registry
    metric = METRICS[settings.deployment.metric]
    data = load_training_set(settings, platform.tables)
    actual = data.y(data.holdout)
    challenger_score = metric(actual, load_model(registry, version).predict(data.holdout))
    note = ""
    if champion is not None:
        try:
            reference_score = metric(actual, load_model(registry, champion).predict(data.holdout))
            reference_name = f"champion v{champion}"
        except MLOpsError as error:
            note, champion = f" ({error}; compared with the baseline instead)", None
    if champion is None:
        reference_name = "baseline"
        reference_score = metric(
            actual, predict(baseline(data.train[data.data.target]), data.x(data.holdout))
        )
    decision = decide(
        status, challenger_score, reference_score, reference_name, metric, settings.deployment.min_improvement
    )
    return Decision(decision.promote, decision.reason + note)
