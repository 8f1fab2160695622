"""Run a job of the Databricks bundle on this machine, as the Databricks jobs service would.

The bundle's job definition is the one description of each pipeline: the runner takes its wheel tasks in
``depends_on`` order, resolves their parameters (bundle references through :class:`~...bundle.Bundle`, dynamic
values ``{{job.run_id}}`` and ``{{job.parameters.<name>}}`` here) and calls each in this process, giving every
task its own task-value context. A failed task skips everything downstream of it, as on Databricks. And as
Databricks does for a model with a deployment job, every version a job registers starts that job.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from uuid import uuid4

from ...bundle import Bundle, Job, Task
from ...errors import MLOpsError
from ...settings import Settings
from ..registry import JOB_RUN, ModelRegistry
from .task_values import task_context

log = logging.getLogger(__name__)
TaskStatus = Literal["succeeded", "failed", "skipped"]
_DYNAMIC = re.compile(r"\{\{\s*([^}\s]+)\s*\}\}")


@dataclass(frozen=True)
class JobRun:
    run_id: str
    statuses: dict[str, TaskStatus]

    @property
    def succeeded(self) -> bool:
        return all(status == "succeeded" for status in self.statuses.values())


def run_locally(
    settings: Settings,
    job: str,
    parameters: Mapping[str, str],
    invoke: Callable[[list[str]], int],
    say: Callable[[str], None],
) -> bool:
    """Run ``job`` for the settings' environment, then the deployment job of every version it registered;
    ``say`` reports progress. Returns whether every job run succeeded."""
    from .. import connect

    bundle = Bundle.load(settings.project_dir)
    registry = connect(settings, registry=True).registry
    runs = [(bundle.job(job, settings.env), dict(parameters), f"job {job} ({settings.env})")]
    succeeded = True
    while runs:
        definition, values, title = runs.pop(0)
        say(f"[bold]── {title}[/]")
        result = run_job(
            definition,
            lambda value: bundle.resolve(value, settings.env),
            values,
            invoke,
            on_task=lambda task, status: say(f"task {task.key}: {status}"),
        )
        succeeded = succeeded and result.succeeded
        deployment_job = registry.deployment_job()
        for version in _registered_by(registry, result.run_id):
            if deployment_job is not None:
                started = {"model_name": registry.name, "model_version": version}
                title = f"job {deployment_job}, for version {version}"
                runs.append((bundle.job(deployment_job, settings.env), started, title))
    return succeeded


def _registered_by(registry: ModelRegistry, run_id: str) -> list[str]:
    """The versions the job run registered: not those another run registered meanwhile (a job that this run
    started runs the deployment jobs of its own versions)."""
    return [str(v.version) for v in registry.versions() if v.tags.get(JOB_RUN) == run_id]


def run_job(
    job: Job,
    resolve: Callable[[str], str],
    parameters: Mapping[str, str],
    invoke: Callable[[list[str]], int],
    on_task: Callable[[Task, TaskStatus], None] = lambda task, status: None,
) -> JobRun:
    """Run ``job``'s tasks in order through ``invoke`` (the CLI); ``resolve`` resolves bundle references and
    ``parameters`` override the job parameters' defaults."""
    unknown = sorted(set(parameters) - set(job.parameters))
    if unknown:
        raise MLOpsError(
            f"job {job.key} has no parameter {', '.join(unknown)} "
            f"(parameters: {', '.join(job.parameters) or 'none'})"
        )
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid4().hex[:6]}"
    dynamic = {"job.run_id": run_id} | {
        f"job.parameters.{k}": v for k, v in {**job.parameters, **parameters}.items()
    }
    statuses: dict[str, TaskStatus] = {}
    for task in job.tasks:
        if any(statuses[upstream] != "succeeded" for upstream in task.depends_on):
            statuses[task.key] = "skipped"
        else:
            arguments = [_dynamic(resolve(parameter), dynamic) for parameter in task.parameters]
            with task_context(run_id, task.key):
                statuses[task.key] = "succeeded" if _succeeds(task, invoke, arguments) else "failed"
        on_task(task, statuses[task.key])
    return JobRun(run_id, statuses)


def _succeeds(task: Task, invoke: Callable[[list[str]], int], arguments: list[str]) -> bool:
    """Whether the task's command exits 0; a task that raises fails like one that exits non-zero, and the
    job goes on with whatever does not depend on it."""
    try:
        return invoke(arguments) == 0
    except Exception:
        log.exception("task %s raised an unexpected error", task.key)
        return False


def _dynamic(parameter: str, values: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            known = ", ".join(sorted(values))
            raise MLOpsError(f"the local runner cannot resolve {{{{{match.group(1)}}}}} (it knows {known})")
        return values[match.group(1)]

    return _DYNAMIC.sub(value, parameter)
