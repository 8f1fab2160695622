"""Run a Databricks job of ``resources/*.yml`` on this machine.

The bundle's job definition is the one description of each pipeline: the runner reads its tasks, orders
them by ``depends_on`` and calls each ``python_wheel_task``'s parameters in this process, giving every task
its own task-value context. A failed task skips everything downstream of it, as on Databricks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Literal
from uuid import uuid4

import yaml

from ...errors import MLOpsError
from .task_values import task_context

log = logging.getLogger(__name__)
TaskStatus = Literal["succeeded", "failed", "skipped"]
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class Task:
    key: str
    depends_on: tuple[str, ...]
    parameters: tuple[str, ...]


@dataclass(frozen=True)
class JobRun:
    run_id: str
    statuses: dict[str, TaskStatus]

    @property
    def succeeded(self) -> bool:
        return all(status == "succeeded" for status in self.statuses.values())


def job_names(resources_dir: Path) -> list[str]:
    return sorted(_jobs(resources_dir))


def load_job(resources_dir: Path, job: str) -> list[Task]:
    """The job's wheel tasks in an order that respects ``depends_on``."""
    jobs = _jobs(resources_dir)
    if job not in jobs:
        raise MLOpsError(
            f"no job '{job}' in {resources_dir}/*.yml (jobs: {', '.join(sorted(jobs)) or 'none'})"
        )
    source, spec = jobs[job]
    tasks = {}
    for entry in spec.get("tasks", []):
        wheel = entry.get("python_wheel_task")
        if wheel is None:
            raise MLOpsError(
                f"task {entry.get('task_key')} of job {job} in {source} is not a python_wheel_task; "
                "the local runner runs wheel tasks only"
            )
        depends_on = tuple(dependency["task_key"] for dependency in entry.get("depends_on", []))
        tasks[entry["task_key"]] = Task(entry["task_key"], depends_on, tuple(wheel.get("parameters", [])))
    try:
        order = TopologicalSorter({key: task.depends_on for key, task in tasks.items()}).static_order()
        return [tasks[key] for key in order]
    except (CycleError, KeyError) as error:
        raise MLOpsError(f"job {job} in {source} has an invalid depends_on graph: {error}") from None


def run_job(
    tasks: Sequence[Task],
    variables: Mapping[str, str],
    invoke: Callable[[list[str]], int],
    on_task: Callable[[Task, TaskStatus], None] = lambda task, status: None,
) -> JobRun:
    """Run ``tasks`` in order through ``invoke`` (the CLI), substituting bundle ``${variables}``."""
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid4().hex[:6]}"
    statuses: dict[str, TaskStatus] = {}
    for task in tasks:
        if any(statuses[upstream] != "succeeded" for upstream in task.depends_on):
            statuses[task.key] = "skipped"
        else:
            arguments = [_substitute(parameter, variables) for parameter in task.parameters]
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


def _jobs(resources_dir: Path) -> dict[str, tuple[Path, dict]]:
    jobs: dict[str, tuple[Path, dict]] = {}
    for path in sorted(resources_dir.glob("*.yml")):
        document = yaml.safe_load(path.read_text()) or {}
        for name, spec in document.get("resources", {}).get("jobs", {}).items():
            jobs[name] = (path, spec)
    return jobs


def _substitute(parameter: str, variables: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise MLOpsError(
                f"the local runner cannot resolve ${{{name}}} (it knows {', '.join(sorted(variables))})"
            )
        return variables[name]

    return _VARIABLE.sub(value, parameter)
