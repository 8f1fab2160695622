"""Task values on disk: what ``dbutils.jobs.taskValues`` is on Databricks.

A job run started by the local runner has its own folder; a step run by hand writes to ``interactive/``, and
reading from a task outside a job run returns the last value set by hand, so ``train`` then ``validate``
works step by step too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TaskContext:
    run_id: str
    task_key: str


INTERACTIVE = TaskContext(run_id="interactive", task_key="interactive")
_current: ContextVar[TaskContext] = ContextVar("task_context", default=INTERACTIVE)


@contextmanager
def task_context(run_id: str, task_key: str) -> Iterator[None]:
    """Run the enclosed task as ``task_key`` of job run ``run_id``."""
    token = _current.set(TaskContext(run_id, task_key))
    try:
        yield
    finally:
        _current.reset(token)


@dataclass(frozen=True)
class LocalTaskValues:
    root: Path

    def set(self, key: str, value: str) -> None:
        context = _current.get()
        path = self.root / context.run_id / f"{context.task_key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        values = json.loads(path.read_text()) if path.exists() else {}
        values[key] = value
        path.write_text(json.dumps(values, indent=2))

    def get(self, task_key: str, key: str) -> str | None:
        context = _current.get()
        source = INTERACTIVE if context == INTERACTIVE else TaskContext(context.run_id, task_key)
        path = self.root / source.run_id / f"{source.task_key}.json"
        if not path.exists():
            return None
        return json.loads(path.read_text()).get(key)
