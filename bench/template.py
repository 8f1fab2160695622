"""What the template costs: render time per combination, a generated project's `make test`, and `.ci/run`.

    uv run python bench/template.py            # renders and the generated project's tests (~3 min)
    uv run python bench/template.py --ci       # also the whole of .ci/run from a clean clone (~8 min)

Renders are measured three ways in one run: the copier CLI (what a user runs; a process and a git clone per
render), copier in-process from a plain copy of the template, and the test suite's render engine (each file
rendered once per distinct combination of the answers it depends on), per combination of the matrix.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import copier  # noqa: E402
import lakeops_render as lr  # noqa: E402

SAMPLES = 5


def _seconds(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=lr.git_env() | lr.QUIET_ENV)
    return time.perf_counter() - started


def renders(work: Path) -> None:
    source = lr.copy_working_tree(work / "template")
    copy = ["copier", "copy", "--defaults", "--quiet", "--vcs-ref", "HEAD", str(REPO)]
    cli = [_seconds([*copy, str(work / f"cli{i}")], work) for i in range(SAMPLES)]
    in_process = []
    for i in range(SAMPLES):
        started = time.perf_counter()
        copier.run_copy(str(source), work / f"api{i}", defaults=True, quiet=True, unsafe=False)
        in_process.append(time.perf_counter() - started)
    started = time.perf_counter()
    matrix = lr.Matrix(source, work / "matrix" / "project")
    trees = [matrix.tree(combo) for combo in matrix.combos]
    engine = (time.perf_counter() - started) / len(trees)
    cli_median, api_median = statistics.median(cli), statistics.median(in_process)
    print(f"render, copier CLI (median of {SAMPLES}):        {cli_median:6.2f} s")
    print(f"render, copier in-process (median of {SAMPLES}): {api_median:6.2f} s")
    print(f"render, test engine, per combination ({len(trees)}): {engine:6.3f} s")
    print(f"  ratios CLI / engine {cli_median / engine:.0f}, in-process / engine {api_median / engine:.0f}")


def generated_tests(work: Path) -> None:
    project = work / "project"
    copier.run_copy(str(REPO), project, vcs_ref="HEAD", defaults=True, quiet=True, unsafe=False)
    setup = _seconds(["make", "setup"], project)
    test = _seconds(["make", "test"], project)
    print(f"generated project: make setup {setup:6.1f} s, make test {test:6.1f} s")


def ci(work: Path) -> None:
    clone = work / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    print(f".ci/run from a clean clone: {_seconds(['bash', '.ci/run'], clone) / 60:6.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ci", action="store_true", help="also time .ci/run from a clean clone")
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lakeops-bench-"))
    try:
        renders(work)
        generated_tests(work)
        if arguments.ci:
            ci(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
