"""Shared fixtures of the template's self-tests.

Every render comes from a plain copy of the working tree (tracked + untracked files, uncommitted edits
included), made once per test session (per xdist worker): no `git clone` per render and no DirtyLocalWarning.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import copier
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import lakeops_render as lr


@pytest.fixture(scope="session", autouse=True)
def _no_telemetry() -> Iterator[None]:
    """MLflow and friends phone home unless told not to; subprocesses inherit this."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in lr.QUIET_ENV.items():
            mp.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return lr.REPO


@pytest.fixture(scope="session")
def template_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain (non-git) copy of the template repository's working tree."""
    return lr.copy_working_tree(tmp_path_factory.mktemp("template") / "lakeops")


@pytest.fixture(scope="session")
def questions(template_src: Path) -> dict[str, dict[str, Any]]:
    """copier.yml's questions, as copier reads them."""
    return lr.load_questions(template_src)


@pytest.fixture(scope="session")
def default_answers(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every answer of a `copier copy --defaults`, derived ones included (package_name, hosts...)."""
    with lr.worker(template_src, tmp_path_factory.mktemp("defaults") / "project") as w:
        w._ask()
        return dict(w._answers_to_remember())


Render = Callable[..., Path]


@pytest.fixture
def render(template_src: Path, tmp_path: Path) -> Render:
    """Render the template in-process: `render(dst=None, **answers) -> project path`."""

    def _render(dst: Path | None = None, **data: Any) -> Path:
        dst = dst or tmp_path / "project"
        copier.run_copy(str(template_src), dst, data=data, defaults=True, unsafe=False, quiet=True)
        return dst

    return _render


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Per-project timings recorded by test_generated_projects (also under xdist: user_properties travel)."""
    rows = [
        (report.nodeid, dict(report.user_properties)["timings"])
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if report.when == "call" and "timings" in dict(report.user_properties)
    ]
    if rows:
        terminalreporter.section("generated projects: seconds per step")
        for nodeid, timings in sorted(rows):
            steps = " ".join(f"{k}={v}" for k, v in timings.items() if k != "project")
            terminalreporter.write_line(f"{nodeid.split('[', 1)[-1].rstrip(']')}: {steps}")
