"""The ``validate`` task: mark the version challenger/PENDING, run every check, record PASSED or FAILED."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from mlflow.entities.model_registry import ModelVersion

from ..data.training_set import load_training_set
from ..errors import MLOpsError
from ..inference.model import load_model
from ..platform import Platform
from ..platform.registry import CHALLENGER, CHAMPION, PROCESS, VALIDATION_STATUS
from ..settings import Settings
from ..training.metrics import evaluate
from ..training.versions import version_to_use
from . import checks
from .checks import CheckResult


@dataclass(frozen=True)
class ValidationReport:
    model: str
    version: str
    status: str
    checks: list[CheckResult]

    @property
    def failures(self) -> list[CheckResult]:
        return [check for check in self.checks if not check.passed]

    def summary(self) -> str:
        return "; ".join(f"{check.name}: {check.detail}" for check in self.failures) or "all checks passed"

    def raise_if_failed(self) -> None:
        """Fail the task, so the job stops before deploy."""
        if self.failures:
            raise MLOpsError(
                f"{self.model} version {self.version} FAILED validation ({self.summary()}); it will not be "
                "deployed. The report is in its run's validation/ artifacts"
            )

    def markdown(self) -> str:
        rows = "\n".join(
            f"| {check.name} | {'passed' if check.passed else '**failed**'} | {check.detail} |"
            for check in self.checks
        )
        return (
            f"# Validation of {self.model} version {self.version}: {self.status}\n\n"
            f"| check | result | detail |\n|---|---|---|\n{rows}\n"
        )


def validate(settings: Settings, platform: Platform, model_version: str | None = None) -> ValidationReport:
    """Run the checks and tag the version with the outcome; people are notified of a failure. A version
    that is already champion is re-checked without becoming challenger again."""
    registry = platform.registry
    version = version_to_use(platform, model_version)
    registered = registry.version(version)
    if registry.aliases().get(CHAMPION) != version:
        registry.set_alias(CHALLENGER, version)
    registry.record(
        version,
        "validation started",
        tags={VALIDATION_STATUS: "PENDING", PROCESS: platform.processes.token},
    )

    try:
        results = _checks(settings, platform, version, registered)
    except Exception as error:  # a version whose checks cannot run is not fit for production either
        registry.record(
            version, "validation FAILED", f"the checks could not run: {error}", {VALIDATION_STATUS: "FAILED"}
        )
        raise
    status = "PASSED" if all(result.passed for result in results) else "FAILED"
    report = ValidationReport(registry.name, version, status, results)

    registry.attach_report(version, f"validation/v{version}.md", report.markdown())
    registry.attach_report(version, f"validation/v{version}.json", json.dumps(asdict(report), indent=2))
    check_tags = {f"validation_{r.name}": "passed" if r.passed else "failed" for r in results}
    registry.record(
        version, f"validation {status}", report.summary(), {**check_tags, VALIDATION_STATUS: status}
    )
    if report.failures:
        platform.notifier.send(
            f"{registry.name} version {version} FAILED validation in {settings.env}", report.summary()
        )
    return report


def _checks(
    settings: Settings, platform: Platform, version: str, registered: ModelVersion
) -> list[CheckResult]:
    registry = platform.registry
    data = load_training_set(settings, platform.tables)
    actual = data.y(data.holdout)
    predicted = load_model(registry, version).predict(data.holdout)
    return [
        checks.model_format(registry.uri(version)),
        *checks.thresholds(evaluate(actual, predicted), settings.validation.thresholds),
        *checks.slices(data.holdout, actual, predicted, data.data.categorical_features, settings.validation),
        checks.compliance(registered, settings.validation.required_tags),
    ]
