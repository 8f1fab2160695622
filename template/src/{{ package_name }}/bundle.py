"""The Databricks bundle (``databricks.yml`` and the files it includes) as the one definition of the project's
environments and jobs.

Each bundle target is an environment: its name is ``--env``, and its catalog, schema, registered model,
experiment, volume and approval rule come from the bundle, nowhere else. On Databricks every job task passes
the names as options (:data:`TARGET_OPTIONS`), resolved by the Databricks CLI at deploy time, so development
mode's per-user prefixes reach the code; locally the same references are resolved here, without prefixes, and
the local runner reads the jobs from here.

Resolved locally: ``${bundle.name}``, ``${bundle.target}``, ``${var.*}`` (target values over defaults),
``${resources.<type>.<key>.<field>}`` (a job's ``id`` is its key), ``${workspace.file_path}`` (the project),
``${workspace.root_path}`` and ``${workspace.current_user.userName}`` (you). A target's explicit
``presets.name_prefix`` is applied to resource names as the Databricks CLI applies it (normalized for Unity
Catalog names); development mode's own per-user prefix is not: locally there is one user. A target's
``resources`` (``targets.<name>.resources``, in databricks.yml or in an included file) declare resources that
exist in that target only, or override the shared ones; they are merged as mappings (lists are replaced).
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Mapping
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from .errors import MLOpsError
from .yaml_files import deep_merge, read_mapping

TARGET_OPTIONS: dict[str, str] = {
    "catalog": "${var.catalog}",
    "schema": "${resources.schemas.project.name}",
    "model": "${resources.registered_models.model.name}",
    "experiment": "${resources.experiments.training.name}",
    "volume": "${resources.volumes.project.name}",
}
"""The options every job task passes to the CLI, and the bundle references they take their values from."""
REQUIRE_APPROVAL = "${var.require_approval}"
_REFERENCE = re.compile(r"\$\{([^}]+)\}")
_UNITY_CATALOG = {"schemas", "registered_models", "volumes", "catalogs"}
_DEFAULT_ROOT_PATH = (
    "/Workspace/Users/${workspace.current_user.userName}/.bundle/${bundle.name}/${bundle.target}"
)


@dataclass(frozen=True)
class Target:
    """One environment: where its tables, model and runs live, and whether a person approves deployments."""

    name: str
    catalog: str
    schema: str
    model: str
    experiment: str
    volume: str
    require_approval: bool

    @property
    def model_full_name(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.model}"


@dataclass(frozen=True)
class Task:
    key: str
    depends_on: tuple[str, ...]
    parameters: tuple[str, ...]


@dataclass(frozen=True)
class Job:
    key: str
    source: Path
    tasks: tuple[Task, ...]
    parameters: dict[str, str]
    """Job parameters and their defaults."""


@dataclass(frozen=True)
class Bundle:
    root: Path
    document: dict[str, Any]
    """databricks.yml"""
    resources: dict[str, dict[str, Any]]
    """The resources of every target, from every file, by type and key."""
    target_resources: dict[str, dict[str, dict[str, Any]]]
    """What each target adds to or overrides in ``resources`` (its ``targets.<name>.resources``)."""
    sources: dict[tuple[str, str], Path]
    """The file that declares each (type, key)."""

    @classmethod
    def load(cls, root: Path) -> Bundle:
        """``databricks.yml`` in ``root`` and every file its ``include`` globs match."""
        path = root / "databricks.yml"
        if not path.is_file():
            raise MLOpsError(f"no bundle at {root}: databricks.yml is missing (restore it from git)")
        document = read_mapping(path)
        included = sorted({f for pattern in document.get("include", []) for f in root.glob(pattern)})
        targets = list(document.get("targets") or {})
        resources: dict[str, dict[str, Any]] = {}
        target_resources: dict[str, dict[str, dict[str, Any]]] = {}
        sources: dict[tuple[str, str], Path] = {}
        for file, content in [(path, document), *((f, read_mapping(f)) for f in included)]:
            for kind, entries in (content.get("resources") or {}).items():
                for key, spec in (entries or {}).items():
                    resources.setdefault(kind, {})[key] = spec
                    sources[kind, key] = file
            for target, settings in (content.get("targets") or {}).items():
                if target not in targets:
                    raise MLOpsError(
                        f"{file.name} declares resources for target {target}, which databricks.yml does not "
                        f"declare (targets: {', '.join(targets)})"
                    )
                own = (settings or {}).get("resources") or {}
                target_resources[target] = deep_merge(target_resources.get(target, {}), own)
                for kind, entries in own.items():
                    for key in entries or {}:
                        sources.setdefault((kind, key), file)
        return cls(root, document, resources, target_resources, sources)

    @property
    def targets(self) -> list[str]:
        return list(self.document.get("targets") or {})

    def target(self, name: str, passed: Mapping[str, str | None] | None = None) -> Target:
        """Target ``name``, with names a job ``passed`` as options taking precedence over the bundle's.

        Refuses a target that is not in the bundle, targets that share a schema, and passed names that are
        another target's schema: an environment never acts on another's data or model."""
        if name not in self.targets:
            raise MLOpsError(
                f"--env {name}: databricks.yml has no target '{name}' (targets: {', '.join(self.targets)})"
            )
        schemas = {target: self._schema(target) for target in self.targets}
        for other, schema in schemas.items():
            if other != name and schema == schemas[name]:
                raise MLOpsError(
                    f"databricks.yml: targets {name} and {other} both use schema {schema}; "
                    "give each environment a catalog of its own"
                )
        values = {option: self.resolve(reference, name) for option, reference in TARGET_OPTIONS.items()}
        values |= {option: value for option, value in (passed or {}).items() if value}
        schema = f"{values['catalog']}.{values['schema']}"
        owner = next((t for t, s in schemas.items() if s == schema and t != name), None)
        if owner is not None:
            raise MLOpsError(
                f"{schema} is the schema of target {owner}, not of {name}; run with --env {owner}"
            )
        approval = self.resolve(REQUIRE_APPROVAL, name).lower()
        return Target(name=name, require_approval=approval == "true", **values)

    def _schema(self, target: str) -> str:
        return ".".join(self.resolve(TARGET_OPTIONS[option], target) for option in ("catalog", "schema"))

    def references(self) -> set[str]:
        """Every ``${...}`` reference the bundle's files use."""
        found: set[str] = set()
        pending: list[Any] = [self.document, self.resources, self.target_resources]
        while pending:
            item = pending.pop()
            if isinstance(item, str):
                found.update(_REFERENCE.findall(item))
            elif isinstance(item, dict):
                pending.extend(item.values())
            elif isinstance(item, list):
                pending.extend(item)
        return found

    def resolve(self, value: str, target: str) -> str:
        """``value`` with every ``${...}`` reference resolved for ``target``."""

        def replace(match: re.Match[str]) -> str:
            resolved = self.value(match.group(1), target)
            if isinstance(resolved, dict | list):
                raise MLOpsError(
                    f"${{{match.group(1)}}} is not a single value; it cannot be used in '{value}'"
                )
            return self.resolve(
                str(resolved).lower() if isinstance(resolved, bool) else str(resolved), target
            )

        return _REFERENCE.sub(replace, value)

    def resources_of(self, target: str) -> dict[str, dict[str, Any]]:
        """The resources ``target`` deploys: the shared ones with the target's own merged in."""
        return deep_merge(self.resources, self.target_resources.get(target, {}))

    def job_keys(self, target: str) -> list[str]:
        return sorted(self.resources_of(target).get("jobs", {}))

    def job(self, key: str, target: str) -> Job:
        """Job ``key`` of ``target`` with its wheel tasks in an order that respects ``depends_on``."""
        jobs = self.resources_of(target).get("jobs", {})
        if key not in jobs:
            known = ", ".join(self.job_keys(target)) or "none"
            raise MLOpsError(f"no job '{key}' in target {target} of the bundle (jobs: {known})")
        spec, source = jobs[key], self.sources["jobs", key]
        tasks = {}
        for entry in spec.get("tasks", []):
            wheel = entry.get("python_wheel_task")
            if wheel is None:
                raise MLOpsError(
                    f"task {entry.get('task_key')} of job {key} in {source.name} is not a python_wheel_task; "
                    "the local runner runs wheel tasks only"
                )
            depends_on = tuple(dependency["task_key"] for dependency in entry.get("depends_on", []))
            tasks[entry["task_key"]] = Task(entry["task_key"], depends_on, tuple(wheel.get("parameters", [])))
        try:
            order = TopologicalSorter({k: task.depends_on for k, task in tasks.items()}).static_order()
            ordered = tuple(tasks[k] for k in order)
        except (CycleError, KeyError) as error:
            raise MLOpsError(f"job {key} in {source.name} has an invalid depends_on graph: {error}") from None
        parameters = {p["name"]: str(p.get("default", "")) for p in spec.get("parameters", [])}
        return Job(key, source, ordered, parameters)

    def value(self, reference: str, target: str) -> Any:
        """What ``${reference}`` stands for in ``target`` (a mapping or list for complex variables)."""
        parts = reference.split(".")
        head, rest = parts[0], parts[1:]
        settings = self._target_settings(target)
        if reference == "bundle.name":
            return self.document["bundle"]["name"]
        if reference == "bundle.target":
            return target
        if reference == "workspace.file_path":
            return str(self.root)
        if reference in ("workspace.current_user.userName", "workspace.current_user.short_name"):
            return getpass.getuser()
        if reference == "workspace.root_path":
            return (settings.get("workspace") or {}).get("root_path", _DEFAULT_ROOT_PATH)
        if head == "var" and len(rest) == 1:
            return self._variable(rest[0], target)
        if head == "resources" and len(rest) == 3:
            kind, key, field = rest
            spec = (self.resources_of(target).get(kind) or {}).get(key)
            if kind == "jobs" and field == "id" and spec is not None:
                return key
            if spec is not None and field == "name" and "name" in spec:
                return self._prefixed(kind, self.resolve(str(spec["name"]), target), target)
            if spec is not None and field in spec:
                return spec[field]
        raise MLOpsError(f"${{{reference}}} is not declared in the bundle (databricks.yml, resources/*.yml)")

    def _prefixed(self, kind: str, name: str, target: str) -> str:
        """``name`` with the target's ``presets.name_prefix``: lowercase with underscores for Unity Catalog
        names, on the last part of an experiment's path."""
        prefix = self.resolve(
            str((self._target_settings(target).get("presets") or {}).get("name_prefix", "")), target
        )
        if kind in _UNITY_CATALOG:
            return re.sub(r"[^a-z0-9_]", "_", prefix.lower()) + name
        if kind == "experiments":
            folder, _, base = name.rpartition("/")
            return f"{folder}/{prefix}{base}" if folder else prefix + name
        return prefix + name

    def _variable(self, name: str, target: str) -> Any:
        declared = self.document.get("variables") or {}
        if name not in declared:
            raise MLOpsError(f"${{var.{name}}} is used but databricks.yml declares no variable '{name}'")
        values = self._target_settings(target).get("variables") or {}
        if name in values:
            return values[name]
        if "default" in (declared[name] or {}):
            return declared[name]["default"]
        raise MLOpsError(f"databricks.yml: variable '{name}' has no value for target {target} and no default")

    def _target_settings(self, target: str) -> dict[str, Any]:
        return (self.document.get("targets") or {}).get(target) or {}
