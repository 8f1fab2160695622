"""`copier update` from every release to the working tree (slow; CI runs it too).

A clone of this repository gets the tag `v<version>` on the commit that added each CHANGELOG entry, and the
working tree committed on top. For each release: render a project at its tag, commit it, make the edits a
team makes (append to a generated module, add files), then update to the working tree while changing every
main answer that has another accepted value. The update must exit 0, leave no conflict marker and no `.rej`
file, keep the edits, and otherwise produce exactly a fresh render of the working tree with the same answers:
the same files (none missing, none left over) with the same contents.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import copier
import lakeops_render as lr
import pytest
import yaml

CHANGED_AXES = (
    "task_type",
    "compute",
    "python_version",
    "inference",
    "ci_provider",
    "feature_store",
    "monitoring",
)
APPENDED = '\n\ndef team_helper() -> int:\n    """Added by the team after rendering."""\n    return 42\n'
ADDED = {"notes/analysis.md": "# Our analysis\n", "src/{package}/team.py": '"""Our own module."""\n'}
CONFLICT = ("<<<<<<< ", ">>>>>>> ")


def git(*arguments: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=cwd, env=lr.git_env(), check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's history, tagged at each release, with the working tree committed as HEAD."""
    clone = tmp_path_factory.mktemp("update") / "lakeops"
    git("clone", "--quiet", str(lr.REPO), str(clone), cwd=lr.REPO)
    git("rm", "-rq", "--ignore-unmatch", ".", cwd=clone)
    lr.copy_working_tree(clone)
    git("add", "-A", cwd=clone)
    git("commit", "--quiet", "--allow-empty", "-m", "working tree", cwd=clone)
    for version in lr.released_versions():
        found = git(
            "log", "--reverse", "--format=%H", "-S", f"## {version} ", "--", "CHANGELOG.md", cwd=clone
        )
        assert found, f"no commit adds the CHANGELOG entry of {version}"
        git("tag", f"v{version}", found.split()[0], cwd=clone)
    return clone


def changed_answers(questions: dict[str, Any]) -> dict[str, Any]:
    """For each main axis with another accepted answer, the first one that differs from the default."""
    changed = {}
    for axis in CHANGED_AXES:
        default = questions[axis]["default"]
        others = [value for value in lr.accepted_domain(questions[axis]) if value != default]
        if others:
            changed[axis] = others[0]
    return changed


def files(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


@pytest.mark.slow
@pytest.mark.parametrize("version", lr.released_versions())
def test_update_from_a_release_keeps_edits_and_equals_a_fresh_render(
    template_repo: Path, tmp_path: Path, version: str
) -> None:
    project, fresh = tmp_path / "project", tmp_path / "fresh"
    copier.run_copy(
        str(template_repo), project, vcs_ref=f"v{version}", defaults=True, unsafe=False, quiet=True
    )
    git("init", "--quiet", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "--quiet", "-m", f"Render lakeops {version}", cwd=project)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == f"v{version}"
    package = answers["package_name"]
    module = project / "src" / package / "data" / "training_set.py"
    module.write_text(module.read_text() + APPENDED)
    for path, text in ADDED.items():
        (project / path.format(package=package)).parent.mkdir(parents=True, exist_ok=True)
        (project / path.format(package=package)).write_text(text)
    git("add", "-A", cwd=project)
    git("commit", "--quiet", "-m", "Our edits", cwd=project)

    changed = changed_answers(yaml.safe_load((lr.REPO / "copier.yml").read_text()))
    copier.run_update(
        project, vcs_ref="HEAD", data=changed, defaults=True, overwrite=True, unsafe=False, quiet=True
    )
    updated = files(project)

    leftovers = [p for p, text in updated.items() if p.endswith(".rej") or any(m in text for m in CONFLICT)]
    assert not leftovers, f"conflicts after updating from {version}: {leftovers}"
    assert updated[f"src/{package}/data/training_set.py"].endswith(APPENDED)
    for path, text in ADDED.items():
        assert updated.pop(path.format(package=package)) == text
    kept = {k: v for k, v in answers.items() if not k.startswith("_")} | changed
    copier.run_copy(
        str(template_repo), fresh, vcs_ref="HEAD", data=kept, defaults=True, unsafe=False, quiet=True
    )
    expected = files(fresh)
    expected[f"src/{package}/data/training_set.py"] += APPENDED
    assert yaml.safe_load(updated.pop(".copier-answers.yml")) == yaml.safe_load(
        expected.pop(".copier-answers.yml")
    )
    assert sorted(updated) == sorted(expected), "the update left or missed files"
    differing = [path for path in expected if updated[path] != expected[path]]
    assert not differing, f"files that differ from a fresh render: {differing}"
