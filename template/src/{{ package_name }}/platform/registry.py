"""The registered model of one environment, ``<catalog>.<schema>.<model>``, through MLflow's registry API.

The same calls work against the local sqlite registry and Unity Catalog; only the registry URI differs.
Every decision on a version goes through :meth:`ModelRegistry.record`: it sets the version's current-state
tags and appends the event to the model's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from ..errors import MLOpsError
from .base import Processes
from .history import ModelHistory

CHAMPION = "champion"
CHALLENGER = "challenger"
PREVIOUS_CHAMPION = "previous_champion"
VALIDATION_STATUS = "model_validation_status"
"""Version tag: PENDING while checks run, then PASSED or FAILED."""
APPROVAL = "approval"
"""Version tag set to ``approved`` by a reviewer, where deployment requires approval: named after the approval
task of the deployment job, as Databricks' Approve button on the model version page names it."""
APPROVED = "approved"
DEPLOYMENT_JOB = "deployment_job"
"""Registered model tag: the job that starts for every new version (on Databricks, also linked to the
model)."""
DEPLOYMENT_DECISION = "deployment_decision"
"""Version tag: the last deployment decision (promoted, rejected, rolled back, restored)."""
PROCESS = "process"
"""Run and version tag: the process that opened the run or started validating the version."""
JOB_RUN = "job_run"
"""Version tag: the job run that registered the version (none when a person ran `train`)."""
CONTRACT = "input_contract"
"""Key of the input contract in the logged model's metadata."""


@dataclass(frozen=True)
class ModelRegistry:
    name: str
    client: MlflowClient
    history: ModelHistory
    processes: Processes
    experiment_id: str
    unity_catalog: bool = False
    """Whether the registry is Unity Catalog (Databricks), which links deployment jobs to models."""

    def run_tags(self) -> dict[str, str]:
        """Tags for every MLflow run this process starts, so an interrupted run can be closed later."""
        return {PROCESS: self.processes.token}

    def register(self, model_uri: str, run_id: str, description: str, tags: dict[str, str]) -> str:
        """Register a logged model as a new version; returns the version number."""
        self._ensure_model()
        version = str(
            self.client.create_model_version(
                self.name, model_uri, run_id=run_id, description=description, tags=tags
            ).version
        )
        self.record(version, "registered", description)
        return version

    def _ensure_model(self) -> None:
        try:
            self.client.get_registered_model(self.name)
        except MlflowException:
            self.client.create_registered_model(self.name)

    def record(self, version: str, event: str, detail: str = "", tags: dict[str, str] | None = None) -> None:
        """Set the version's current-state ``tags`` and append ``event`` to the model's history."""
        for key, value in (tags or {}).items():
            self.client.set_model_version_tag(self.name, version, key, value)
        self.history.record(version, event, detail, self.processes.actor())

    def link_deployment_job(self, job_id: str) -> None:
        """Make ``job_id`` the model's deployment job: it starts, with parameters ``model_name`` and
        ``model_version``, for every new version (Databricks does it for a linked job; the local runner
        reads the tag)."""
        self._ensure_model()
        self.client.set_registered_model_tag(self.name, DEPLOYMENT_JOB, job_id)
        if self.unity_catalog:
            self.client.update_registered_model(self.name, deployment_job_id=job_id)

    def deployment_job(self) -> str | None:
        try:
            return self.client.get_registered_model(self.name).tags.get(DEPLOYMENT_JOB)
        except MlflowException:
            return None

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

    def attach_report(self, version: str, path: str, text: str) -> None:
        """Store a text artifact (a report) with the run that produced the version."""
        run_id = self.version(version).run_id
        if run_id is None:
            raise MLOpsError(f"{self.name} version {version} has no run to attach {path} to")
        self.client.log_text(run_id, text, path)

    def uri(self, version: str) -> str:
        return f"models:/{self.name}/{version}"

    def load(self, version: str) -> Any:
        """The version's scikit-learn pipeline."""
        return mlflow.sklearn.load_model(self.uri(version))

    def metadata(self, version: str) -> dict[str, Any]:
        """What ``train`` logged in the version's model metadata (input contract and more)."""
        return dict(mlflow.models.get_model_info(self.uri(version)).metadata or {})

    def contract(self, version: str) -> dict[str, Any]:
        """The input contract logged with the version's model."""
        contract = self.metadata(version).get(CONTRACT)
        if contract is None:
            raise MLOpsError(
                f"{self.name} version {version} carries no input contract (it was not logged by `train`); "
                "train a new version"
            )
        return dict(contract)

    def close_interrupted(self) -> list[str]:
        """Close what a process that ended left open: runs still RUNNING, versions still PENDING; both
        become FAILED. Returns what was closed."""
        closed = []
        for run in self.client.search_runs([self.experiment_id], "attributes.status = 'RUNNING'"):
            token = run.data.tags.get(PROCESS)
            if token and not self.processes.is_alive(token):
                self.client.set_terminated(run.info.run_id, "FAILED")
                closed.append(f"run {run.info.run_name} ({run.info.run_id})")
        for version in self.versions():
            token = version.tags.get(PROCESS)
            if (
                version.tags.get(VALIDATION_STATUS) == "PENDING"
                and token
                and not self.processes.is_alive(token)
            ):
                self.record(
                    str(version.version),
                    "validation interrupted",
                    "the process validating it ended before it finished",
                    {VALIDATION_STATUS: "FAILED"},
                )
                closed.append(f"version {version.version} (was PENDING)")
        return closed
