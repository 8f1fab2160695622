"""Write docs/questions.md, the reference of every question in copier.yml.

Run `uv run python docs/questions.py` after changing copier.yml; tests/test_docs.py fails while the page is
out of date.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "questions.md"


def _choices(spec: dict[str, Any]) -> str:
    choices = spec.get("choices")
    if not choices:
        return ""
    if isinstance(choices, list):
        return ", ".join(f"`{choice}`" for choice in choices)
    rendered = []
    for label, value in choices.items():
        if isinstance(value, dict):  # a disabled choice: its validator is the reason, after an example answer
            reason = re.sub(r"^e\.g\. [^:]+: ", "", value["validator"])
            rendered.append(f"`{value['value']}` ({label}) — not available yet: {reason}")
        else:
            rendered.append(f"`{value}` ({label})")
    return "<br>".join(rendered)


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _default(spec: dict[str, Any]) -> str:
    """The default as a reader needs it: macro imports dropped, so `{{ package(project_name) }}` remains."""
    return _cell(re.sub(r"{%.*?%}", "", str(spec.get("default"))))


def render() -> str:
    questions = {
        name: spec
        for name, spec in yaml.safe_load((ROOT / "copier.yml").read_text()).items()
        if not name.startswith("_")
    }
    rows = [
        "| question | type | default | choices | asked when | help |",
        "|---|---|---|---|---|---|",
    ]
    for name, spec in questions.items():
        kind = spec["type"] + (" (several)" if spec.get("multiselect") else "")
        when = spec.get("when", "always")
        rows.append(
            f"| `{name}` | {kind} | `{_default(spec)}` | {_cell(_choices(spec))} | "
            f"{_cell(when)} | {_cell(spec['help'])} |"
        )
    intro = (
        "Generated from `copier.yml` by `docs/questions.py`; do not edit by hand. Defaults in `{{ }}` are "
        "computed from earlier answers. Every free-text answer is checked when you give it: a wrong answer "
        "is refused with a message that says what is allowed, and nothing is written. A choice marked "
        '"not available yet" is offered but refused until a lakeops release builds it; `copier update` '
        "then lets you pick it."
    )
    return f"# Questions\n\n{intro}\n\n" + "\n".join(rows) + "\n"


if __name__ == "__main__":
    PAGE.write_text(render())
