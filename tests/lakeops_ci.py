"""What a rendered project's CI runs, read from its CI files the way each provider reads them.

Each provider's files are parsed into jobs: the stage a job belongs to (from the triggers, branch names as the
answers give them), the `make` and `databricks` commands it runs in order (and which of them run whatever
happened before: GitHub `if: always()`, GitLab `after_script`, Azure `condition: always()`), and how it
authenticates to Databricks. The template's tests compare the providers on these, so "each provider has each
stage with the same commands" is checked on the files themselves, not on a description of them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

PULL_REQUEST, MERGE, RELEASE = "pull request", "merge to the default branch", "release branch"
STAGES = (PULL_REQUEST, MERGE, RELEASE)
# The commands CI runs, for the stage matrix: the project's own make targets and the Databricks CLI.
COMMAND = re.compile(r"^(make|databricks) ")
GITLAB_KEYWORDS = {
    "default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script",
    "after_script",
}  # fmt: skip


@dataclass
class Job:
    file: str
    name: str
    stage: str | None
    commands: list[str] = field(default_factory=list)
    always: set[str] = field(default_factory=set)
    """Commands that run whatever happened before them in the job (cleanup)."""
    environment: str | None = None
    timeout: bool = False
    auth: dict[str, str] = field(default_factory=dict)
    """How the job authenticates to Databricks: the provider's OIDC wiring, as variable -> value."""

    @property
    def calls_databricks(self) -> bool:
        return any(command.startswith("databricks ") for command in self.commands)


def commands(script: str | list[str] | None) -> list[str]:
    lines = script if isinstance(script, list) else (script or "").splitlines()
    return [line.strip() for line in lines if COMMAND.match(line.strip())]


def _load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # a SafeLoader that keeps `on` a string key


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans only: GitHub's `on:` stays the string "on", not True."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


# ---------- GitHub Actions
def github_jobs(files: Mapping[str, str], default_branch: str, release_branch: str) -> list[Job]:
    jobs = []
    for path, text in sorted(files.items()):
        workflow = _load(text)
        triggers = workflow.get("on") or {}
        stage = None
        if (triggers.get("pull_request") or {}).get("branches") == [default_branch]:
            stage = PULL_REQUEST
        elif (triggers.get("push") or {}).get("branches") == [default_branch]:
            stage = MERGE
        elif (triggers.get("push") or {}).get("branches") == [release_branch]:
            stage = RELEASE
        for name, spec in (workflow.get("jobs") or {}).items():
            job = Job(path, name, stage, environment=spec.get("environment"))
            job.timeout = "timeout-minutes" in spec
            env = {**(workflow.get("env") or {}), **(spec.get("env") or {})}
            if (spec.get("permissions") or {}).get("id-token") == "write":
                job.auth["id-token"] = "write"
            job.auth |= {k: str(v) for k, v in env.items() if k.startswith("DATABRICKS_")}
            for step in spec.get("steps") or []:
                found = commands(step.get("run"))
                job.commands += found
                if "always()" in str(step.get("if", "")):
                    job.always |= set(found)
            jobs.append(job)
    return jobs


# ---------- GitLab CI/CD
def _extended(spec: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """A job with the hidden jobs it `extends` merged under it (mappings merge, the job's keys win)."""
    parents = spec.get("extends") or []
    merged: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        merged = _merge(merged, _extended(document[parent], document))
    return _merge(merged, {k: v for k, v in spec.items() if k != "extends"})


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        both = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _merge(merged[key], value) if both else value
    return merged


def gitlab_jobs(files: Mapping[str, str], default_branch: str, release_branch: str) -> list[Job]:
    jobs = []
    for path, text in sorted(files.items()):
        document = _load(text)
        default = document.get("default") or {}
        for name, raw in document.items():
            if name in GITLAB_KEYWORDS or name.startswith(".") or not isinstance(raw, dict):
                continue
            spec = _extended(raw, document)
            conditions = " ".join(str(rule.get("if", "")) for rule in spec.get("rules") or [])
            stage = None
            if "merge_request_event" in conditions:
                stage = PULL_REQUEST
            elif f'$CI_COMMIT_BRANCH == "{default_branch}"' in conditions:
                stage = MERGE
            elif f'$CI_COMMIT_BRANCH == "{release_branch}"' in conditions:
                stage = RELEASE
            environment = spec.get("environment")
            job = Job(path, name, stage, environment=(environment or {}).get("name"))
            job.timeout = "timeout" in spec or "timeout" in default
            job.commands = commands(spec.get("script"))
            cleanup = commands(spec.get("after_script"))
            job.commands += cleanup
            job.always = set(cleanup)
            variables = {**(document.get("variables") or {}), **(spec.get("variables") or {})}
            job.auth = {k: str(v) for k, v in variables.items() if k.startswith("DATABRICKS_")}
            for token, claims in (spec.get("id_tokens") or {}).items():
                job.auth[f"id_tokens.{token}"] = str(claims.get("aud"))
            jobs.append(job)
    return jobs


# ---------- Azure DevOps Pipelines
def azure_jobs(files: Mapping[str, str], default_branch: str, release_branch: str) -> list[Job]:
    jobs = []
    for path, text in sorted(files.items()):
        pipeline = _load(text)
        if "jobs" not in pipeline:
            continue  # a template of steps, not a pipeline
        trigger, pr = pipeline.get("trigger"), pipeline.get("pr")
        stage = None
        if trigger == "none" and (pr or {}).get("branches", {}).get("include") == [default_branch]:
            stage = PULL_REQUEST
        elif pr == "none" and (trigger or {}).get("branches", {}).get("include") == [default_branch]:
            stage = MERGE
        elif pr == "none" and (trigger or {}).get("branches", {}).get("include") == [release_branch]:
            stage = RELEASE
        for spec in pipeline["jobs"]:
            name = spec.get("job") or spec.get("deployment")
            job = Job(path, name, stage, environment=spec.get("environment"))
            job.timeout = "timeoutInMinutes" in spec
            steps = (
                spec.get("steps") or spec.get("strategy", {}).get("runOnce", {}).get("deploy", {})["steps"]
            )
            variables = {**(pipeline.get("variables") or {}), **(spec.get("variables") or {})}
            for step in steps:
                found = commands(step.get("script") or step.get("bash"))
                job.commands += found
                if step.get("condition") == "always()":
                    job.always |= set(found)
                if found and any(c.startswith("databricks ") for c in found):
                    env = {**variables, **(step.get("env") or {})}
                    wiring = {k: str(v) for k, v in env.items() if k.startswith(("DATABRICKS_", "SYSTEM_"))}
                    if job.auth and wiring != job.auth:
                        job.auth["inconsistent"] = f"steps authenticate differently: {wiring}"
                    job.auth = job.auth or wiring
            jobs.append(job)
    return jobs


PARSERS = {"github_actions": github_jobs, "gitlab": gitlab_jobs, "azure_devops": azure_jobs}


def oidc(provider: str, stage: str | None) -> dict[str, str]:
    """How a job of ``stage`` that calls Databricks must authenticate: workload identity federation, the
    service principal's client ID from a CI variable, never a secret. GitLab's merge requests name their
    service principal's variable themselves: the others are protected and scoped to their environment."""
    if provider == "gitlab" and stage == PULL_REQUEST:
        return OIDC[provider] | {"DATABRICKS_CLIENT_ID": "$DATABRICKS_VALIDATION_CLIENT_ID"}
    return OIDC[provider]


OIDC = {
    "github_actions": {
        "id-token": "write",
        "DATABRICKS_AUTH_TYPE": "github-oidc",
        "DATABRICKS_CLIENT_ID": "${{ vars.DATABRICKS_CLIENT_ID }}",
    },
    "gitlab": {
        "DATABRICKS_AUTH_TYPE": "env-oidc",
        "id_tokens.DATABRICKS_OIDC_TOKEN": "$DATABRICKS_ACCOUNT_ID",
    },
    "azure_devops": {
        "DATABRICKS_AUTH_TYPE": "azure-devops-oidc",
        "DATABRICKS_CLIENT_ID": "$(DATABRICKS_CLIENT_ID)",
        "SYSTEM_ACCESSTOKEN": "$(System.AccessToken)",
    },
}


def stage_commands(jobs: list[Job]) -> dict[str, list[str]]:
    """Stage -> the commands its jobs run, in file and job order."""
    return {stage: [c for job in jobs if job.stage == stage for c in job.commands] for stage in STAGES}


def bundle_command(command: str) -> tuple[str, str | None, str | None, dict[str, str]]:
    """`databricks bundle <verb> [job] -t <target> --var k=v ...` -> (verb, job, target, variables)."""
    words = shlex.split(command)
    if words[:2] != ["databricks", "bundle"] or len(words) < 3:
        raise ValueError(f"not a `databricks bundle` command: {command}")
    verb, rest = words[2], words[3:]
    job = rest.pop(0) if verb == "run" and rest and not rest[0].startswith("-") else None
    target, variables = None, {}
    while rest:
        word = rest.pop(0)
        if word in ("-t", "--target") and rest:
            target = rest.pop(0)
        elif word == "--var" and rest:
            key, _, value = rest.pop(0).partition("=")
            variables[key] = value
    return verb, job, target, variables
