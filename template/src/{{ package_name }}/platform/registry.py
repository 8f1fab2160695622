"""The registered model of one environment, ``<catalog>.<schema>.<model>``, through MLflow's registry API.

The same calls work against the local sqlite registry and Unity Catalog; only the registry URI differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from ..errors import MLOpsError

CHAMPION = "champion"
CHALLENGER = "challenger"
PREVIOUS_CHAMPION = "previous_champion"
VALIDATION_STATUS = "model_validation_status"
"""Version tag: PENDING while checks run, then PASSED or FAILED."""
APPROVAL_STATUS = "approval_status"
"""Version tag set to APPROVED by the ``approve`` command, where deployment requires approval."""


@dataclass(frozen=True)
class ModelRegistry:
    name: str
    client: MlflowClient

    def register(self, model_uri: str, run_id: str, description: str, tags: dict[str, str]) -> str:
        """Register a logged model as a new version; returns the version number."""
        try:
            self.client.get_registered_model(self.name)
        except MlflowException:
            self.client.create_registered_model(self.name)
        version = self.client.create_model_version(
            self.name, model_uri, run_id=run_id, description=description, tags=tags
        )
        return str(version.version)

    def version(self, version: str) -> ModelVersion:
        try:
            return self.client.get_model_version(self.name, version)
        except MlflowException:
            raise MLOpsError(
                f"model {self.name} has no version {version}; list versions with `status --env ...`"
            ) from None

    def latest_version(self) -> str:
        versions = self.versions()
        if not versions:
            raise MLOpsError(f"model {self.name} has no versions yet; train one with `train --env ...`")
        return str(versions[-1].version)

    def versions(self) -> list[ModelVersion]:
        """Every version, oldest first."""
        return sorted(
            self.client.search_model_versions(f"name = '{self.name}'"), key=lambda v: int(v.version)
        )

    def by_alias(self, alias: str) -> ModelVersion | None:
        try:
            return self.client.get_model_version_by_alias(self.name, alias)
        except MlflowException:
            return None

    def aliases(self) -> dict[str, str]:
        try:
            model = self.client.get_registered_model(self.name)
        except MlflowException:
            return {}
        return {alias: str(version) for alias, version in model.aliases.items()}

    def set_alias(self, alias: str, version: str) -> None:
        self.client.set_registered_model_alias(self.name, alias, version)

    def delete_alias(self, alias: str) -> None:
        self.client.delete_registered_model_alias(self.name, alias)

    def set_tags(self, version: str, tags: dict[str, Any]) -> None:
        for key, value in tags.items():
            self.client.set_model_version_tag(self.name, version, key, str(value))

    def attach_report(self, version: str, path: str, text: str) -> None:
        """Store a text artifact (a report) with the run that produced the version."""
        run_id = self.version(version).run_id
        if run_id is None:
            raise MLOpsError(f"{self.name} version {version} has no run to attach {path} to")
        self.client.log_text(run_id, text, path)

    def uri(self, version: str) -> str:
        return f"models:/{self.name}/{version}"

    def load(self, version: str) -> Any:
        """The version's scikit-learn pipeline, for evaluation and scoring."""
        return mlflow.sklearn.load_model(self.uri(version))
