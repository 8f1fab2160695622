"""Exact, fast rendering of many answer combinations of the template, with copier's own Jinja environment.

A blind `copier copy` per combination costs 0.3-0.9 s (copier recompiles every template and runs a
`git config` per file on each run), so 1,344 combinations would take minutes. Most files depend on one or
two answers, so this module renders each file once per *distinct projection* of the combinations onto the
answers the file (its content, its path, the macros it imports and the exclusion patterns) depends on, and
assembles the project of any combination from those renders. It is exact, not sampled:

- dependencies come from `jinja2.meta.find_undeclared_variables` over each file and, recursively, over every
  template it imports or includes (a dynamic import, `_copier_answers`, `_copier_conf` or `_external_data`
  count as "depends on every answer");
- a derived answer (package_name, hosts, `when`-hidden questions) depends on the axes its default / when /
  choices / validator reference, transitively; the render context of a combination comes from copier itself
  (`Worker._ask()` + `Worker._render_context()`, once per distinct projection onto those axes), with the axis
  answers substituted;
- paths are rendered part by part and skipped when a part renders empty, as copier does;
- `tests/test_render_matrix.py::test_assembled_render_equals_copier` compares assembled projects with real
  `copier copy` renders byte for byte.

Copier has no public API for its Jinja environment or render context: `copier._main.Worker` is internal (the
public alias `copier.Worker` warns, and warnings are errors here). So the tests pin the copier versions they
support (SUPPORTED_COPIER, also the range in pyproject.toml), and test_render_matrix checks the pin and every
internal they use (COPIER_INTERNALS): a copier release that moves one fails there, with its name, not deep in
a render. Generated projects and `copier copy` itself work with any copier >= `_min_copier_version`.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from copier import Phase
from copier._main import Worker
from copier._tools import scantree
from copier._types import LazyDict
from jinja2 import meta

REPO = Path(__file__).resolve().parents[1]

# Telemetry off for everything the tests start (MLflow, and tools that honour DO_NOT_TRACK).
QUIET_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}

SUPPORTED_COPIER = ">=9.19,<9.20"
COPIER_INTERNALS = (
    "_ask",
    "_render_context",
    "_answers_to_remember",
    "_render_string",
    "_path_matcher",
    "jinja_env",
    "template",
    "all_exclusions",
)
"""The members of copier's internal `Worker` the tests use."""

# Who commits when a test commits; no global or system git config is read.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "lakeops tests",
    "GIT_AUTHOR_EMAIL": "tests@lakeops.invalid",
    "GIT_COMMITTER_NAME": "lakeops tests",
    "GIT_COMMITTER_EMAIL": "tests@lakeops.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git_env() -> dict[str, str]:
    return dict(os.environ) | GIT_ENV


# The main axes of the questionnaire: every combination of their values is rendered by test_render_matrix.
MAIN_AXES = ("cloud", "ci_provider", "inference", "feature_store", "monitoring", "task_type", "compute")

# Context entries whose value depends on every answer.
_ALL = "*"
_DEPENDS_ON_EVERYTHING = {"_copier_answers", "_copier_conf", "_external_data", _ALL}
# Question fields that never change an answer's value.
_COSMETIC_FIELDS = {"help", "placeholder", "qmark", "secret"}

Combo = dict[str, Any]


# ---------- the template copy
def released_versions(repo: Path = REPO) -> list[str]:
    """The versions CHANGELOG.md lists (`## <version> — <date>`), newest first."""
    lines = (repo / "CHANGELOG.md").read_text().splitlines()
    return [line.split()[1] for line in lines if line.startswith("## ")]


def copy_working_tree(dst: Path, repo: Path = REPO) -> Path:
    """Copy the template as it is on disk (tracked and untracked files, minus ignored ones and tests/).

    Rendering from this plain directory includes uncommitted edits, never warns about a dirty repository and
    costs no `git clone` per render. Empty directories are not copied: git does not keep them either.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for rel in sorted(set(listed.split("\0"))):
        if not rel or rel.split("/", 1)[0] in {"tests", ".venv", ".git"}:
            continue
        source = repo / rel
        if not source.is_file():  # deleted in the working tree
            continue
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return dst


def worker(src: Path, dst: Path, data: Mapping[str, Any] | None = None) -> Worker:
    return Worker(
        src_path=str(src), dst_path=str(dst), data=dict(data or {}), defaults=True, quiet=True, unsafe=False
    )


def load_questions(src: Path) -> dict[str, dict[str, Any]]:
    with worker(src, src / ".unused") as w:
        return dict(w.template.questions_data)


# ---------- answer domains
def _choices(question: Mapping[str, Any]) -> list[Any]:
    """A question's choices as written: a value, or a mapping with `value` (and `validator`)."""
    choices = question.get("choices")
    if isinstance(choices, Mapping):
        return list(choices.values())
    if isinstance(choices, list):
        return [c[1] if isinstance(c, list | tuple) else c for c in choices]
    raise TypeError(f"unsupported choices {choices!r}")


def choice_values(question: Mapping[str, Any]) -> list[Any]:
    """The values of a question's choices (all of them, including disabled ones)."""
    return [v["value"] if isinstance(v, Mapping) else v for v in _choices(question)]


def disabled_choices(question: Mapping[str, Any]) -> dict[Any, str]:
    """Choice value -> the message copier refuses it with, for each choice offered but disabled.

    copier.yml offers what is not built yet as a choice with a validator of its own, constant text (its
    reason); re-enabling the choice is deleting that validator. This is the one place the tests read it.
    """
    disabled = {
        v["value"]: v["validator"]
        for v in _choices(question)
        if isinstance(v, Mapping) and v.get("validator")
    }
    templated = [value for value, message in disabled.items() if "{" in message]
    if templated:
        raise NotImplementedError(f"choices {templated} are disabled by a templated validator")
    return disabled


def axis_domain(question: Mapping[str, Any]) -> list[Any]:
    """Every answer of an axis: each choice, each non-empty subset of a multiselect, or both booleans."""
    if question.get("type") == "bool" and "choices" not in question:
        return [False, True]
    values = choice_values(question)
    if question.get("multiselect"):
        return [list(s) for r in range(1, len(values) + 1) for s in itertools.combinations(values, r)]
    return values


def accepted_domain(question: Mapping[str, Any]) -> list[Any]:
    """The answers of `axis_domain` that hold no disabled choice."""
    disabled = disabled_choices(question)
    return [
        v
        for v in axis_domain(question)
        if not any(c in disabled for c in (v if isinstance(v, list) else [v]))
    ]


def freeze(value: Any) -> Hashable:
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    return value


def describe(combo: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={'+'.join(v) if isinstance(v, list) else v}" for k, v in combo.items())


# ---------- the engine
@dataclass(frozen=True)
class Entry:
    """One file or folder of template/."""

    src_rel: PurePosixPath  # relative to the template root (where copier.yml is): the Jinja loader's name
    parts: tuple[str, ...]  # path parts below _subdirectory, templates suffix removed
    is_dir: bool
    is_template: bool
    path_axes: tuple[str, ...]
    content_axes: tuple[str, ...]


@dataclass
class Tree:
    """One assembled project: relative path -> content hash, and its folders."""

    files: dict[str, str] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)
    collisions: list[str] = field(default_factory=list)

    def empty_dirs(self) -> list[str]:
        full = {str(PurePosixPath(f).parent) for f in self.files}
        full |= {str(p) for f in self.files for p in PurePosixPath(f).parents}
        return sorted(d for d in self.dirs if d not in full)


@dataclass(frozen=True)
class Validator:
    question: str
    source: str
    axes: tuple[str, ...]
    choice_value: Any = None  # set for the validator of one choice
    is_choice: bool = False


class Matrix:
    """All combinations of `axes` (or the given `combos`), rendered file by file once per projection."""

    def __init__(
        self,
        src: Path,
        dst: Path,
        axes: Sequence[str] = MAIN_AXES,
        combos: Sequence[Combo] | None = None,
    ) -> None:
        self.src = Path(src)
        self.dst = Path(dst)
        self.axes = tuple(axes)
        self._env_worker = worker(self.src, self.dst)
        self.env = self._env_worker.jinja_env  # the template's _envops, ansible filters, template-root loader
        template = self._env_worker.template
        self.root = Path(template.local_abspath)
        self.suffix = template.templates_suffix
        self.questions = dict(template.questions_data)
        self.exclusions = tuple(self._env_worker.all_exclusions)
        self._compiled: dict[str, Any] = {}
        self._template_vars: dict[str, frozenset[str]] = {}

        self.domains = {a: axis_domain(self.questions[a]) for a in self.axes}
        self.all_combos: list[Combo] = (
            [dict(c) for c in combos]
            if combos is not None
            else [
                dict(zip(self.axes, values, strict=True))
                for values in itertools.product(*(self.domains[a] for a in self.axes))
            ]
        )

        self.question_axes = self._question_axes()
        # Axes that derived answers (and hidden questions) depend on: one copier `_ask` per projection.
        ctx_axes: set[str] = set()
        for name, question in self.questions.items():
            if name in self.axes:
                ctx_axes |= self._axes_of_names(self._vars_of_value(question.get("when", "")))
            else:
                ctx_axes |= self.question_axes[name]
        self.context_axes = self._ordered(ctx_axes)
        self.exclude_axes = self._ordered(
            self._axes_of_names(set().union(*(self._vars_of_source(e) for e in self.exclusions)))
        )
        self.validators = self._validators()

        self._bases: dict[Hashable, dict[str, Any]] = {}
        self._contexts: dict[int, dict[str, Any]] = {}
        self._refusals: dict[Hashable, str] = {}
        self._paths: dict[Hashable, str | None] = {}
        self._contents: dict[Hashable, str] = {}
        self._matchers: dict[Hashable, Callable[[PurePosixPath], bool]] = {}
        self.blobs: dict[str, bytes] = {}

        self.copy_root = self._copy_root()
        self.entries = self._entries()

        refused = [(c, self.refusal(c)) for c in self.all_combos]
        self.refused = [(c, msg) for c, msg in refused if msg]
        self.combos = [c for c, msg in refused if not msg]

    # ---------- dependency analysis
    def _compile(self, source: str) -> Any:
        if source not in self._compiled:
            self._compiled[source] = self.env.from_string(source)
        return self._compiled[source]

    def _vars_of_source(self, source: str) -> frozenset[str]:
        ast = self.env.parse(source)
        names = set(meta.find_undeclared_variables(ast))
        for ref in meta.find_referenced_templates(ast):
            names |= {_ALL} if ref is None else self._vars_of_template(ref)
        return frozenset(names)

    def _vars_of_template(self, name: str) -> frozenset[str]:
        if name not in self._template_vars:
            self._template_vars[name] = frozenset()  # guards against import cycles
            source = self.env.loader.get_source(self.env, name)[0]  # type: ignore[union-attr]
            self._template_vars[name] = self._vars_of_source(source)
        return self._template_vars[name]

    def _vars_of_value(self, value: Any) -> frozenset[str]:
        if isinstance(value, str):
            return self._vars_of_source(value)
        if isinstance(value, Mapping):
            return frozenset().union(
                *(self._vars_of_value(v) for v in value.values()), *map(self._vars_of_value, value)
            )
        if isinstance(value, list | tuple):
            return frozenset().union(*(self._vars_of_value(v) for v in value))
        return frozenset()

    def _question_axes(self) -> dict[str, frozenset[str]]:
        direct = {
            name: self._vars_of_value({k: v for k, v in q.items() if k not in _COSMETIC_FIELDS})
            for name, q in self.questions.items()
            if name not in self.axes
        }
        result: dict[str, frozenset[str]] = {a: frozenset({a}) for a in self.axes}
        result |= {name: frozenset() for name in direct}
        changed = True
        while changed:
            changed = False
            for name, names in direct.items():
                axes = self._axes_of_names(names, result)
                if axes != result[name]:
                    result[name], changed = axes, True
        return result

    def _axes_of_names(
        self, names: Iterable[str], question_axes: Mapping[str, frozenset[str]] | None = None
    ) -> frozenset[str]:
        question_axes = self.question_axes if question_axes is None else question_axes
        axes: set[str] = set()
        for name in names:
            if name in _DEPENDS_ON_EVERYTHING:
                return frozenset(self.axes)
            axes |= question_axes.get(name, frozenset())
        return frozenset(axes)

    def _ordered(self, axes: Iterable[str]) -> tuple[str, ...]:
        axes = set(axes)
        return tuple(a for a in self.axes if a in axes)

    def _validators(self) -> list[Validator]:
        found = []
        for name, q in self.questions.items():
            own = frozenset({name}) if name in self.axes else self.question_axes[name]
            if isinstance(q.get("validator"), str):
                axes = self._axes_of_names(self._vars_of_source(q["validator"])) | own
                found.append(Validator(name, q["validator"], self._ordered(axes)))
            choices = q.get("choices")
            if isinstance(choices, Mapping):
                for value in choices.values():
                    if isinstance(value, Mapping) and isinstance(value.get("validator"), str):
                        axes = self._axes_of_names(self._vars_of_source(value["validator"])) | own
                        found.append(
                            Validator(name, value["validator"], self._ordered(axes), value["value"], True)
                        )
        # A validator that no axis reaches gives the same verdict for every combination: the defaults test
        # (tests/test_questionnaire.py) covers it.
        return [v for v in found if v.axes]

    # ---------- contexts
    @staticmethod
    def key(combo: Combo, axes: Sequence[str]) -> tuple[Hashable, ...]:
        return tuple(freeze(combo[a]) for a in axes)

    def _base(self, combo: Combo) -> dict[str, Any]:
        """copier's own render context for the combination's projection onto the context axes."""
        key = self.key(combo, self.context_axes)
        if key not in self._bases:
            data = {a: combo[a] for a in self.axes}
            with worker(self.src, self.dst, data) as w:
                try:
                    w._ask()
                except ValueError:  # refused: ask with the context axes whose answers no choice disables
                    w.data = {
                        a: combo[a]
                        for a in self.context_axes
                        if combo[a] in accepted_domain(self.questions[a])
                    }
                    w._ask()
                    w.data = data
                with Phase.use(Phase.RENDER):
                    self._bases[key] = w._render_context()
        return self._bases[key]

    def context(self, combo: Combo) -> dict[str, Any]:
        """The full render context of a combination, as copier would build it."""
        cid = id(combo)
        if cid in self._contexts:
            return self._contexts[cid]
        base = self._base(combo)
        ctx = dict(base)
        for a in self.axes:
            ctx[a] = list(combo[a]) if isinstance(combo[a], list) else combo[a]
        answers = dict(base["_copier_answers"])
        for a in self.axes:
            if a in answers:
                answers[a] = ctx[a]
        ctx["_copier_answers"] = answers
        base_conf = base["_copier_conf"]
        conf = LazyDict({k: partial(base_conf.__getitem__, k) for k in base_conf})
        conf["data"] = {a: ctx[a] for a in self.axes}
        ctx["_copier_conf"] = conf
        self._contexts[cid] = ctx
        return ctx

    def refusal(self, combo: Combo) -> str:
        """The validation message copier would print for this combination ('' when it is accepted)."""
        messages = []
        for index, v in enumerate(self.validators):
            key = (index, self.key(combo, v.axes))
            if key not in self._refusals:
                ctx = self.context(combo)
                answer = ctx[v.question]
                applies = not v.is_choice or (
                    v.choice_value in answer if isinstance(answer, list) else v.choice_value == answer
                )
                message = ""
                if applies:
                    try:
                        extra = {} if v.is_choice else {v.question: answer}
                        message = self._compile(v.source).render({**ctx, **extra}).strip()
                    except Exception as error:  # copier turns a failing validator into its message too
                        message = str(error)
                self._refusals[key] = f"{v.question}: {message}" if message else ""
            if self._refusals[key]:
                messages.append(self._refusals[key])
        return "\n".join(messages)

    # ---------- paths
    def _copy_root(self) -> Path:
        subdir = self._env_worker.template.subdirectory
        if self._vars_of_source(subdir):
            raise NotImplementedError("a templated _subdirectory is not supported by the render engine")
        return (self.root / self._compile(subdir).render()).resolve()

    def _entries(self) -> list[Entry]:
        entries = []
        for item in scantree(str(self.copy_root), follow_symlinks=True):
            relpath = Path(item.path).relative_to(self.copy_root)
            is_template = bool(self.suffix) and relpath.name.endswith(self.suffix)
            if self.suffix and (self.copy_root / f"{relpath}{self.suffix}").exists():
                continue  # copier renders the templated sibling instead
            if is_template:
                relpath = relpath.with_suffix("")
            if any("yield" in p for p in relpath.parts):
                raise NotImplementedError(f"{relpath}: yield tags are not supported by the render engine")
            path_vars = set().union(*(self._vars_of_source(p) for p in relpath.parts))
            path_axes = self._axes_of_names(path_vars) | set(self.exclude_axes)
            src_rel = PurePosixPath(Path(item.path).relative_to(self.root).as_posix())
            is_dir = item.is_dir(follow_symlinks=True)
            content_axes = (
                self._axes_of_names(self._vars_of_template(str(src_rel)))
                if is_template and not is_dir
                else frozenset()
            )
            entries.append(
                Entry(
                    src_rel,
                    relpath.parts,
                    is_dir,
                    is_template,
                    self._ordered(path_axes),
                    self._ordered(content_axes),
                )
            )
        return entries

    def _excluded(self, combo: Combo) -> Callable[[PurePosixPath], bool]:
        key = self.key(combo, self.exclude_axes)
        if key not in self._matchers:
            ctx = {**self.context(combo), "_copier_operation": "copy"}
            patterns = [
                line
                for exclusion in self.exclusions
                for line in re.split(r"\r\n|\r|\n", self._compile(exclusion).render(**ctx))
            ]
            self._matchers[key] = Worker._path_matcher(self._env_worker, patterns)
        return self._matchers[key]

    def path(self, index: int, combo: Combo) -> str | None:
        """The rendered destination path of entry `index`, or None when copier skips it."""
        entry = self.entries[index]
        key = (index, self.key(combo, entry.path_axes))
        if key not in self._paths:
            ctx = self.context(combo)
            answers_file = str(ctx["_copier_conf"]["answers_file"])
            rendered: list[str] = []
            result: str | None = None
            for part in entry.parts:
                value = self._compile(part).render(**ctx)
                if not value:  # copier skips a path with an empty part
                    break
                if value == answers_file:  # copier puts the answers file at its own path, whatever the parent
                    result = answers_file
                    break
                rendered.append(value)
            else:
                path = "/".join(rendered)
                if entry.is_template or not (self.root / f"{path}{self.suffix}").exists():
                    result = path
            if result is not None and self._excluded(combo)(PurePosixPath(result)):
                result = None
            self._paths[key] = result
        return self._paths[key]

    def content(self, index: int, combo: Combo) -> str:
        """The hash of entry `index`'s rendered content (the bytes are in self.blobs)."""
        entry = self.entries[index]
        key = (index, self.key(combo, entry.content_axes))
        if key not in self._contents:
            if entry.is_template:
                data = self.env.get_template(str(entry.src_rel)).render(**self.context(combo)).encode()
            else:
                data = (self.root / entry.src_rel).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            self.blobs.setdefault(digest, data)
            self._contents[key] = digest
        return self._contents[key]

    def tree(self, combo: Combo) -> Tree:
        tree = Tree()
        for index, entry in enumerate(self.entries):
            path = self.path(index, combo)
            if path is None:
                continue
            if entry.is_dir:
                tree.dirs.add(path)
                continue
            if path in tree.files:
                tree.collisions.append(path)
            tree.files[path] = self.content(index, combo)
        tree.dirs |= {str(p) for f in tree.files for p in PurePosixPath(f).parents if str(p) != "."}
        return tree

    def trees(self) -> Iterator[tuple[Combo, Tree]]:
        for combo in self.combos:
            yield combo, self.tree(combo)


# ---------- helpers
def read_tree(root: Path) -> tuple[dict[str, bytes], set[str]]:
    """Files (relative path -> bytes) and folders of a real render."""
    files, dirs = {}, set()
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        dirs |= {(rel / d).as_posix() for d in dirnames}
        files |= {(rel / f).as_posix(): (Path(dirpath) / f).read_bytes() for f in filenames}
    return files, dirs


class _AnyTagLoader(yaml.SafeLoader):
    """A safe loader that accepts application tags such as GitLab's `!reference`."""


def _construct_tagged(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


_AnyTagLoader.add_multi_constructor("!", _construct_tagged)


def load_yaml_documents(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=_AnyTagLoader))  # a SafeLoader subclass


def allpairs(
    factors: Mapping[str, Sequence[Any]],
    seed_rows: Sequence[Mapping[str, Any]] = (),
    valid: Callable[[dict[str, Any]], bool] = lambda row: True,
) -> list[dict[str, Any]]:
    """A smallest all-pairs covering set: every value pair of every two factors that some valid row holds
    appears in some row.

    Rows start with `seed_rows`; the rest are the fewest rows of the product of the factors, among those
    `valid(row)` accepts, that hold the pairs left: iterative deepening, each level trying the rows that hold
    the first pair still uncovered. Exponential in the worst case: meant for a few factors of few values each
    (six booleans take well under a second). Deterministic.
    """
    names = list(factors)

    def pairs(row: Mapping[str, Any]) -> frozenset[tuple[str, Hashable, str, Hashable]]:
        return frozenset(
            (a, freeze(row[a]), b, freeze(row[b])) for i, a in enumerate(names) for b in names[i + 1 :]
        )

    candidates = [
        row
        for values in itertools.product(*factors.values())
        if valid(row := dict(zip(names, values, strict=True)))
    ]
    holds = [pairs(row) for row in candidates]
    rows = [dict(seed) for seed in seed_rows]
    uncovered = frozenset().union(*holds) - frozenset().union(*map(pairs, rows))
    most = max(map(len, holds), default=0)

    def cover(left: frozenset[Any], budget: int) -> list[int] | None:
        if not left:
            return []
        if budget * most < len(left):
            return None
        first = min(left, key=str)
        for i, held in enumerate(holds):
            if first in held and (rest := cover(left - held, budget - 1)) is not None:
                return [i, *rest]
        return None

    found = next(f for budget in itertools.count() if (f := cover(uncovered, budget)) is not None)
    return rows + [candidates[i] for i in found]
