"""The bundle's jobs on this machine: a job started from a step runs in a process of its own, with the local
runner (``<package> run <job>``), as Databricks runs a job apart from the task that started it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE = __name__.split(".")[0]


@dataclass(frozen=True)
class LocalJobs:
    env: str
    conf_dir: Path
    """Absolute: the job's process starts in the project folder."""

    def run_now(self, job: str, parameters: Mapping[str, str] | None = None) -> str:
        """Run ``job`` (the bundle's job key) for this environment to its end; its output is this
        process's."""
        command = [sys.executable, "-m", PACKAGE, "run", job, "--env", self.env]
        command += ["--conf-dir", str(self.conf_dir)]
        command += [f"--param={name}={value}" for name, value in (parameters or {}).items()]
        exit_code = subprocess.run(command, cwd=self.conf_dir.parent, check=False).returncode
        outcome = "succeeded" if exit_code == 0 else f"did not complete (exit code {exit_code})"
        return f"local run of job {job}: {outcome}"
