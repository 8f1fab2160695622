"""The documentation stays in step with the questionnaire and builds without warnings."""

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))

import questions  # docs/questions.py, found through the path above

ROOT = Path(__file__).resolve().parents[1]


def test_questions_reference_matches_copier_yml() -> None:
    assert questions.PAGE.read_text() == questions.render(), "run `uv run python docs/questions.py`"


def test_every_question_is_in_the_reference() -> None:
    page = questions.PAGE.read_text()
    names = [
        line.split(":")[0] for line in (ROOT / "copier.yml").read_text().splitlines() if line[:1].isalpha()
    ]

    assert names, "copier.yml has no questions"
    assert all(f"| `{name}` |" in page for name in names)


def test_site_builds_strictly(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert build.returncode == 0, build.stderr


def test_ci_runs_the_readme_test_command() -> None:
    """The README's second command (set-up included) is the one line CI runs."""
    readme = (ROOT / "README.md").read_text()
    commands = [block.split("```")[0].strip() for block in readme.split("```bash")[1:]]
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and line[0] != "#"]

    assert lines[-1] == commands[1]
