"""The workspace through the Databricks SDK: who is acting, whether a job run is still going, locks between
processes, task values, starting jobs, and the data profiles of tables.

Every SDK client is built with short timeouts (:func:`workspace_client`), so an unreachable workspace fails a
command in seconds instead of after the SDK's default five minutes of retries.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from ...errors import MLOpsError
from ..base import InferenceProfile

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.catalog import SchemasAPI, TablesAPI
    from databricks.sdk.service.dataquality import DataQualityAPI, Monitor
    from databricks.sdk.service.files import FilesAPI
    from databricks.sdk.service.jobs import JobsAPI

HTTP_TIMEOUT_SECONDS = 5
RETRY_TIMEOUT_SECONDS = 10
_POLL_SECONDS = 2.0
_ENDED = {"TERMINATED", "SKIPPED", "INTERNAL_ERROR"}
_JOB_RUN = "job-run:"


def workspace_client() -> WorkspaceClient:
    """The workspace this process runs in (on a runtime) or is configured for (environment variables or
    ~/.databrickscfg), with short timeouts; a one-line error when there is none."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    try:
        return WorkspaceClient(
            config=Config(
                http_timeout_seconds=HTTP_TIMEOUT_SECONDS, retry_timeout_seconds=RETRY_TIMEOUT_SECONDS
            )
        )
    except Exception as error:  # the SDK raises ValueError, or its own errors, for missing credentials
        raise MLOpsError(f"cannot connect to Databricks: {first_line(error)}") from None


class WorkspaceProcesses:
    """Processes on Databricks: a job task is known by its job run, whose state the Jobs API tells; a person's
    session (a notebook, Databricks Connect) cannot be watched and is never taken for ended. Locks are files
    in the environment's volume, created only if absent (the Files API refuses to overwrite)."""

    def __init__(
        self, jobs: JobsAPI, files: FilesAPI, user: str, lock_folder: str, job_run: str | None
    ) -> None:
        self.jobs = jobs
        self.files = files
        self.user = user
        self.lock_folder = lock_folder
        self.token = f"{_JOB_RUN}{job_run}" if job_run else f"session:{uuid4().hex}"

    def is_alive(self, token: str) -> bool:
        if not token.startswith(_JOB_RUN):
            return True
        from databricks.sdk.errors import NotFound

        try:
            state = self.jobs.get_run(int(token.removeprefix(_JOB_RUN))).state
        except NotFound:
            return False
        return state is None or state.life_cycle_state is None or state.life_cycle_state.value not in _ENDED

    @contextmanager
    def lock(self, name: str, wait_seconds: float) -> Iterator[None]:
        from databricks.sdk.errors import AlreadyExists, NotFound, ResourceAlreadyExists

        path = f"{self.lock_folder}/{name.replace('/', '_').replace(' ', '_')}.lock"
        mine = json.dumps({"token": self.token, "holder": self._describe()}).encode()
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                self.files.upload(path, io.BytesIO(mine), overwrite=False)
                break
            except (AlreadyExists, ResourceAlreadyExists):
                holder = self._holder(path)
                if holder is not None and not self.is_alive(holder["token"]):
                    self.files.delete(path)  # left by a run that ended: take it over
                    continue
                if time.monotonic() >= deadline:
                    who = holder["holder"] if holder else "another process"
                    raise MLOpsError(
                        f"{name} is busy: {who} holds it (waited {wait_seconds:.0f} s); "
                        "run again when it has finished"
                    ) from None
                time.sleep(_POLL_SECONDS)
        try:
            yield
        finally:
            with suppress(NotFound):
                self.files.delete(path)

    def actor(self) -> str:
        return self.user

    def _holder(self, path: str) -> dict[str, Any] | None:
        from databricks.sdk.errors import NotFound

        try:
            contents = self.files.download(path).contents
        except NotFound:
            return None
        return json.loads(contents.read()) if contents is not None else None

    def _describe(self) -> str:
        run = (
            f"job run {self.token.removeprefix(_JOB_RUN)}" if self.token.startswith(_JOB_RUN) else "a session"
        )
        return f"{self.user} ({run}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC)"


@dataclass(frozen=True)
class DbutilsTaskValues:
    """``dbutils.jobs.taskValues``: outside a job run, values set are dropped and none are read."""

    task_values: Any

    def set(self, key: str, value: str) -> None:
        self.task_values.set(key=key, value=value)

    def get(self, task_key: str, key: str) -> str | None:
        return self.task_values.get(taskKey=task_key, key=key, default=None, debugValue="") or None


@dataclass(frozen=True)
class WorkspaceJobs:
    jobs: JobsAPI

    def run_now(self, job: str, parameters: Mapping[str, str] | None = None) -> str:
        if not job.isdigit():
            raise MLOpsError(
                f"cannot start job '{job}' on Databricks: pass its job id (the bundle's jobs pass "
                "${resources.jobs.<key>.id})"
            )
        started = self.jobs.run_now(job_id=int(job), job_parameters=dict(parameters) if parameters else None)
        return f"job {job}, run {started.run_id}"


_GRANULARITIES = {"hour": "AGGREGATION_GRANULARITY_1_HOUR", "day": "AGGREGATION_GRANULARITY_1_DAY"}
_PROBLEM_TYPES = {
    "regression": "INFERENCE_PROBLEM_TYPE_REGRESSION",
    "classification": "INFERENCE_PROBLEM_TYPE_CLASSIFICATION",
}


@dataclass(frozen=True)
class WorkspaceMonitors:
    """Data profiling ("InferenceLog") of an inference table, with its dashboard and its own metric tables
    (``<table>_profile_metrics``, ``<table>_drift_metrics``). Created by the first call, once the table
    exists: a bundle resource would need the table at the first deploy, before any job wrote it."""

    data_quality: DataQualityAPI
    tables: TablesAPI
    schemas: SchemasAPI
    host: str

    def refresh(self, profile: InferenceProfile) -> str:
        from databricks.sdk.errors import DatabricksError, NotFound
        from databricks.sdk.service.dataquality import Refresh

        try:
            table_id = self.tables.get(profile.table).table_id or ""
            try:
                monitor = self.data_quality.get_monitor(object_type="table", object_id=table_id)
            except NotFound:  # its first refresh starts as it is created
                monitor = self.data_quality.create_monitor(self._monitor(profile, table_id))
            else:
                refresh = Refresh(object_type="table", object_id=table_id)
                self.data_quality.create_refresh(object_type="table", object_id=table_id, refresh=refresh)
        except DatabricksError as error:
            raise MLOpsError(f"cannot profile {profile.table}: {first_line(error)}") from None
        config = monitor.data_profiling_config
        dashboard = config.dashboard_id if config is not None else None
        where = f": dashboard {self.host}/dashboardsv3/{dashboard}" if dashboard else ""
        return f"data profile of {profile.table} refreshing{where}"

    def _monitor(self, profile: InferenceProfile, table_id: str) -> Monitor:
        from databricks.sdk.service.dataquality import (
            AggregationGranularity,
            DataProfilingConfig,
            InferenceLogConfig,
            InferenceProblemType,
            Monitor,
        )

        inference_log = InferenceLogConfig(
            problem_type=InferenceProblemType(_PROBLEM_TYPES[profile.problem_type]),
            timestamp_column=profile.timestamp_column,
            granularities=[AggregationGranularity(_GRANULARITIES[profile.granularity])],
            prediction_column=profile.prediction_column,
            model_id_column=profile.model_id_column,
        )
        output_schema_id = self.schemas.get(profile.output_schema).schema_id or ""
        config = DataProfilingConfig(output_schema_id=output_schema_id, inference_log=inference_log)
        return Monitor(object_type="table", object_id=table_id, data_profiling_config=config)


def first_line(error: Exception) -> str:
    """An SDK error's message, without the lines of detail that follow."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
