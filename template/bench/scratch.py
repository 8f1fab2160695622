"""What the benchmarks share: a scratch copy of the project to run in, and measurements taken in processes
of their own."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


@contextmanager
def scratch_project() -> Iterator[Path]:
    """A temporary copy of the project's bundle and configuration: what runs in it writes a lakehouse of its
    own, never the project's."""
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        shutil.copy(PROJECT / "databricks.yml", project / "databricks.yml")
        for name in ("conf", "resources"):
            shutil.copytree(PROJECT / name, project / name)
        yield project


def peak_rss_mib() -> float:
    """This process's peak resident memory, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_own_process(script: str, mode: str, conf: Path, rows: int = 0) -> dict[str, float]:
    """Run ``script --mode <mode>`` in a fresh process, so that the peak RSS it reports is its own; returns
    the JSON object it prints last."""
    output = subprocess.run(
        [sys.executable, script, "--mode", mode, "--conf", str(conf), "--rows", str(rows)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    measured: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return measured
