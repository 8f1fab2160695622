"""Install generated projects and run their own checks (slow; CI runs these too).

The covering set is all-pairs over the accepted answers that change generated Python code (task_type,
feature_store, monitoring, and each enabled inference mode as a boolean, at least one of them on), seeded with
the default answers; the accepted values of cloud, ci_provider and compute are dealt round-robin over the rows
(repeating rows if there are fewer rows than values) so each of them appears. Disabled choices are left out:
copier refuses them. Each project is rendered, installed with `uv sync` on this interpreter (uv never
downloads a Python: only 3.11 exists here; uv's package cache is shared by all of them), then runs
`<package> --help`, `ruff check .`, `ruff format --check .`, `mypy` (src and bench) and its own test suite (pytest's "no
tests" exit 5 fails like any other). A repeated row's code is an earlier project's: it runs only the tests of
what its own answers shape, its bundle and CI files (the render matrix lints every combination's code). The
default project instead follows the next steps copier prints, line by line (`make setup` installs it, `make
test` runs its tests), and must leave `git status` clean. Timings per project appear in the terminal summary.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import lakeops_render as lr
import pytest
import yaml

CODE_AXES = ("task_type", "feature_store", "monitoring")
ROUND_ROBIN_AXES = ("cloud", "ci_provider", "compute")
STEP_TIMEOUT = 1800  # seconds; a hung step fails instead of blocking CI forever


def _questions() -> dict[str, Any]:
    """copier.yml read at collection time (plain YAML; no fixture exists yet)."""
    return yaml.safe_load((lr.REPO / "copier.yml").read_text())


def covering_set(questions: dict[str, Any]) -> list[dict[str, Any]]:
    inference = questions["inference"]
    modes = [m for m in lr.choice_values(inference) if m not in lr.disabled_choices(inference)]
    factors: dict[str, list[Any]] = {a: lr.accepted_domain(questions[a]) for a in CODE_AXES}
    factors |= {f"inference:{m}": [False, True] for m in modes}
    defaults = {a: questions[a]["default"] for a in CODE_AXES} | {
        f"inference:{m}": m in inference["default"] for m in modes
    }

    def valid(row: dict[str, Any]) -> bool:  # at least one inference mode
        return any(row[f"inference:{m}"] for m in modes)

    rows = lr.allpairs(factors, seed_rows=[defaults], valid=valid)
    dealt = {a: lr.accepted_domain(questions[a]) for a in ROUND_ROBIN_AXES}
    combos = []
    for i in range(max(len(rows), *map(len, dealt.values()))):
        row = rows[i % len(rows)]
        combo = {a: row[a] for a in CODE_AXES}
        combo["inference"] = [m for m in modes if row[f"inference:{m}"]]
        for axis, values in dealt.items():
            combo[axis] = questions[axis]["default"] if i == 0 else values[i % len(values)]
        combos.append(combo)
    return combos


def case_id(i: int, combo: dict[str, Any]) -> str:
    if i == 0:
        return "0-defaults"
    flags = [k for k in ("feature_store", "monitoring") if combo[k]]
    return "-".join(
        [
            str(i),
            combo["task_type"],
            *flags,
            "+".join(combo["inference"]),
            *(combo[a] for a in ROUND_ROBIN_AXES),
        ]
    )


COMBOS = covering_set(_questions())
# What a project repeating an earlier project's code still has of its own: its bundle and its CI files.
ANSWER_DEPENDENT_TESTS = ("tests/unit/test_bundle.py", "tests/unit/test_ci.py")


def repeats_code(i: int) -> bool:
    """Whether an earlier project of the set has the same answers for every axis that changes Python code:
    such a project exists only to deal a value of cloud, ci_provider or compute, which shape the bundle and
    the CI files alone (the render matrix lints every combination's code)."""

    def code(combo: dict[str, Any]) -> tuple[Any, ...]:
        return (*(combo[a] for a in CODE_AXES), tuple(combo["inference"]))

    return any(code(earlier) == code(COMBOS[i]) for earlier in COMBOS[:i])


def test_covering_set_covers_every_pair_and_every_value(template_src: Path, tmp_path: Path) -> None:
    """The generator against every accepted combination of the code axes: each pair of values one of them
    holds (each inference mode a boolean) is in some row, every accepted value of the other axes appears, the
    defaults come first, and copier accepts every row."""
    questions = _questions()
    modes = lr.choice_values(questions["inference"])

    def pairs(combo: dict[str, Any]) -> set[tuple[tuple[str, Any], tuple[str, Any]]]:
        row = {a: combo[a] for a in CODE_AXES} | {m: m in combo["inference"] for m in modes}
        return set(itertools.combinations(row.items(), 2))

    accepted = [
        dict(zip(CODE_AXES, values, strict=True), inference=inference)
        for values in itertools.product(*(lr.accepted_domain(questions[a]) for a in CODE_AXES))
        for inference in lr.accepted_domain(questions["inference"])
    ]
    missing = set().union(*map(pairs, accepted)) - set().union(*map(pairs, COMBOS))
    assert not missing, f"pairs no generated project holds: {sorted(missing, key=str)}"
    for axis in ROUND_ROBIN_AXES:
        assert {c[axis] for c in COMBOS} == set(lr.accepted_domain(questions[axis]))
    assert COMBOS[0] == {a: questions[a]["default"] for a in COMBOS[0]}
    for i, combo in enumerate(COMBOS):
        with lr.worker(template_src, tmp_path / str(i), combo) as w:
            w._ask()  # copier's questionnaire: raises when it refuses an answer
    print(f"{len(COMBOS)} generated projects cover every pair of {[*CODE_AXES, *modes]}")


def base_python() -> str:
    """The interpreter under the test venv (uv would otherwise look for, and try to download, another)."""
    candidate = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(candidate if candidate.exists() else sys.executable)


def project_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT"}
    }
    return (
        env
        | lr.QUIET_ENV
        | lr.GIT_ENV
        | {"UV_PYTHON": base_python(), "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"}
    )


def render(template_src: Path, project: Path, combo: dict[str, Any]) -> str:
    """`copier copy --defaults` with these answers; returns the message copier prints after the copy."""
    with lr.worker(template_src, project, combo) as w:
        w.run_copy()
        return w._render_string(w.template.message_after_copy)


def next_steps(message: str) -> list[str]:
    """The shell lines under "Next steps:" in copier's message, as printed (comments included)."""
    return [line.strip() for line in message.split("Next steps:", 1)[1].splitlines() if line.strip()]


def run_step(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    try:
        result = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as timeout:
        return -1, f"timed out after {STEP_TIMEOUT} s\n{timeout.stdout or ''}{timeout.stderr or ''}"
    return result.returncode, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("combo", COMBOS, ids=[case_id(i, c) for i, c in enumerate(COMBOS)])
def test_generated_project_installs_and_passes_its_own_checks(
    template_src: Path, tmp_path: Path, combo: dict[str, Any], record_property: Any
) -> None:
    project = tmp_path / "project"
    timings: dict[str, float] = {}
    start = time.perf_counter()
    message = render(template_src, project, combo)
    timings["render"] = time.perf_counter() - start
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]
    env = project_env()
    uv = shutil.which("uv") or "uv"
    checks = [
        (f"{package} --help", [uv, "run", "--no-sync", package, "--help"]),
        ("ruff check", [uv, "run", "--no-sync", "ruff", "check", "."]),
        ("ruff format", [uv, "run", "--no-sync", "ruff", "format", "--check", "."]),
        ("mypy", [uv, "run", "--no-sync", "mypy"]),
    ]
    follows_next_steps = combo == COMBOS[0]
    if follows_next_steps:  # each printed line as a user runs it (`make setup` installs, `make test` tests)
        setup = [(line.split("#")[0].strip(), ["bash", "-ec", line]) for line in next_steps(message)]
        checks.append(("commit hooks", [uv, "run", "--no-sync", "prek", "run", "--all-files"]))
    else:
        setup = [("uv sync", [uv, "sync", "--python", env["UV_PYTHON"]])]
        pytest_run = [uv, "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"]
        if repeats_code(COMBOS.index(combo)):
            own = [test for test in ANSWER_DEPENDENT_TESTS if (project / test).exists()]
            checks = [("pytest (bundle and CI)", [*pytest_run, *own])]
        else:
            checks.append(("pytest", pytest_run))
    failures = []
    for name, command in setup + checks:
        start = time.perf_counter()
        code, output = run_step(command, project, env)
        timings[name] = time.perf_counter() - start
        if code != 0:
            tail = "\n".join(output.splitlines()[-60:])
            failures.append(f"--- `{name}` exited {code}:\n{tail}")
            if (name, command) in setup:
                break  # the next steps stop here, as a user would
    if follows_next_steps:
        code, output = run_step(["git", "status", "--porcelain", "--untracked-files=all"], project, env)
        if code != 0 or output:
            failures.append(
                f"--- `git status --porcelain` is not empty after the next steps and checks:\n{output}"
            )
    timings["total"] = sum(timings.values())
    record_property(
        "timings", {"project": lr.describe(combo), **{k: round(v, 1) for k, v in timings.items()}}
    )
    print(" ".join(f"{k}={v:.1f}s" for k, v in timings.items()))
    if failures:
        pytest.fail(f"[{lr.describe(combo)}]\n" + "\n".join(failures), pytrace=False)
