"""The questionnaire: the defaults render, and every invalid answer is refused with its message.

Refusals use copier's in-process API (`copier.run_copy(..., defaults=True, data=...)`), ~0.05-0.1 s each.
The expected texts are fragments of the validator messages in copier.yml / hooks/validators.jinja. Copier
shows only the first line of a message when it asks, so each message is one line of at most 80 characters
that starts with an example of a valid answer ("e.g. <example>: <what is allowed>").
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import copier
import lakeops_render as lr
import pytest
import yaml

AZURE = "https://adb-1234567890123456.7.azuredatabricks.net"
AWS = "https://my-workspace.cloud.databricks.com"
GCP = "https://1234567890123456.7.gcp.databricks.com"
UUID = "12345678-90ab-cdef-1234-567890abcdef"

PROJECT_NAME = 'e.g. "Demand Forecast": 3-60 letters, digits, inner spaces, - or _, letter first'
PACKAGE_NAME = "e.g. demand_forecast: 2-60 lowercase letters, digits or _, a letter first"
DESCRIPTION = "e.g. Forecasts weekly demand per store: one line of 1-200 characters"
EMAIL = "e.g. team@example.com: an e-mail address"
UC = "1-255 lowercase letters, digits or _, no digit first"
GROUP = "e.g. data-scientists: 1-100 letters, digits, spaces, . _ -, letter/digit first"
SP = f"e.g. {UUID}: empty, or a lowercase application ID"
BRANCH = "a branch name git accepts, of letters, digits, . _ - and /"
HOST = {
    "azure": f"e.g. {AZURE}: an Azure workspace URL",
    "aws": f"e.g. {AWS}: an AWS workspace URL",
    "gcp": f"e.g. {GCP}: a Google Cloud workspace URL",
}
PROD_CATALOG = "e.g. prod: must differ from dev_catalog and staging_catalog"


# (id, answers, question refused, expected message fragment)
INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("project_name-empty", {"project_name": ""}, "project_name", PROJECT_NAME),
    ("project_name-leading-digit", {"project_name": "1 Forecast"}, "project_name", PROJECT_NAME),
    ("project_name-bad-chars", {"project_name": "Forecast!"}, "project_name", PROJECT_NAME),
    ("project_name-slash", {"project_name": "Demand/Forecast"}, "project_name", PROJECT_NAME),
    ("project_name-trailing-hyphen", {"project_name": "Forecast-"}, "project_name", PROJECT_NAME),
    ("project_name-too-short", {"project_name": "Ab"}, "project_name", PROJECT_NAME),
    ("project_name-too-long", {"project_name": "A" * 61}, "project_name", PROJECT_NAME),
    ("package_name-uppercase", {"package_name": "Demand"}, "package_name", PACKAGE_NAME),
    ("package_name-leading-digit", {"package_name": "1demand"}, "package_name", PACKAGE_NAME),
    ("package_name-hyphen", {"package_name": "demand-forecast"}, "package_name", PACKAGE_NAME),
    ("package_name-too-long", {"package_name": "d" * 61}, "package_name", PACKAGE_NAME),
    (
        "package_name-keyword",
        {"package_name": "class"},
        "package_name",
        'e.g. demand_forecast: "class" is a Python keyword',
    ),
    ("package_name-keyword-lambda", {"package_name": "lambda"}, "package_name", "is a Python keyword"),
    ("package_name-shadows-mlflow", {"package_name": "mlflow"}, "package_name", "would shadow a module"),
    ("package_name-shadows-pandas", {"package_name": "pandas"}, "package_name", "would shadow a module"),
    ("package_name-shadows-tests", {"package_name": "tests"}, "package_name", "would shadow a module"),
    ("description-empty", {"description": ""}, "description", DESCRIPTION),
    ("description-blank", {"description": "   "}, "description", DESCRIPTION),
    ("description-multi-line", {"description": "one\ntwo"}, "description", DESCRIPTION),
    ("description-too-long", {"description": "x" * 201}, "description", DESCRIPTION),
    ("owner_email-no-at", {"owner_email": "mlops.example.com"}, "owner_email", EMAIL),
    ("owner_email-no-domain", {"owner_email": "mlops@example"}, "owner_email", EMAIL),
    ("owner_email-space", {"owner_email": "ml ops@example.com"}, "owner_email", EMAIL),
    ("owner_email-empty", {"owner_email": ""}, "owner_email", EMAIL),
    (
        "dev_host-aws-url-on-azure",
        {"cloud": "azure", "dev_host": AWS},
        "dev_host",
        HOST["azure"],
    ),
    (
        "dev_host-azure-url-on-aws",
        {"cloud": "aws", "dev_host": AZURE},
        "dev_host",
        HOST["aws"],
    ),
    (
        "dev_host-trailing-slash",
        {"dev_host": AZURE + "/"},
        "dev_host",
        HOST["azure"],
    ),
    (
        "dev_host-http",
        {"dev_host": AZURE.replace("https", "http")},
        "dev_host",
        HOST["azure"],
    ),
    (
        "staging_host-azure-url-on-gcp",
        {"cloud": "gcp", "staging_host": AZURE},
        "staging_host",
        HOST["gcp"],
    ),
    (
        "staging_host-with-path",
        {"cloud": "aws", "staging_host": AWS + "/login"},
        "staging_host",
        HOST["aws"],
    ),
    (
        "prod_host-gcp-url-on-aws",
        {"cloud": "aws", "prod_host": GCP},
        "prod_host",
        HOST["aws"],
    ),
    ("prod_host-empty", {"prod_host": ""}, "prod_host", HOST["azure"]),
    ("dev_catalog-uppercase", {"dev_catalog": "Dev"}, "dev_catalog", f"e.g. dev: {UC}"),
    ("dev_catalog-hyphen", {"dev_catalog": "ml-dev"}, "dev_catalog", UC),
    ("staging_catalog-leading-digit", {"staging_catalog": "1staging"}, "staging_catalog", UC),
    ("prod_catalog-space", {"prod_catalog": "prod catalog"}, "prod_catalog", UC),
    (
        "staging_catalog-equals-dev",
        {"staging_catalog": "dev"},
        "staging_catalog",
        "e.g. staging: must differ from dev_catalog",
    ),
    *(
        (f"prod_catalog-equals-{other}", {"prod_catalog": other}, "prod_catalog", PROD_CATALOG)
        for other in ("dev", "staging")
    ),
    (
        "schema_name-hyphen",
        {"schema_name": "demand-forecast"},
        "schema_name",
        f"e.g. demand_forecast: {UC}",
    ),
    ("schema_name-uppercase", {"schema_name": "Demand"}, "schema_name", UC),
    ("schema_name-empty", {"schema_name": ""}, "schema_name", UC),
    ("model_name-space", {"model_name": "my model"}, "model_name", UC),
    ("model_name-dot", {"model_name": "schema.model"}, "model_name", UC),
    ("developers_group-empty", {"developers_group": ""}, "developers_group", GROUP),
    ("developers_group-leading-hyphen", {"developers_group": "-team"}, "developers_group", GROUP),
    ("developers_group-bad-char", {"developers_group": "team@corp"}, "developers_group", GROUP),
    *(
        (f"{sp}-{case}", {sp: value}, sp, SP)
        for sp in ("staging_service_principal", "prod_service_principal")
        for case, value in [
            ("not-uuid", "deployer"),
            ("uppercase", UUID.upper()),
            ("no-dashes", UUID.replace("-", "")),
        ]
    ),
    (
        "prod_service_principal-equals-staging",
        {"staging_service_principal": UUID, "prod_service_principal": UUID},
        "prod_service_principal",
        "e.g. empty: another service principal than staging's",
    ),
    (
        "readers_group-bad-char",
        {"readers_group": "analysts@corp"},
        "readers_group",
        "e.g. analysts: empty, or",
    ),
    (
        "readers_group-equals-developers",
        {"readers_group": "data-scientists"},
        "readers_group",
        "e.g. analysts: must differ from developers_group",
    ),
    ("inference-empty", {"inference": []}, "inference", "e.g. batch: pick at least one mode"),
    # choices offered but disabled (not built yet)
    ("python_version-3.13", {"python_version": "3.13"}, "python_version", "e.g. 3.12: no Databricks runtime"),
    # not a choice at all: copier's own message lists the enabled choices
    (
        "python_version-unknown",
        {"python_version": "3.10"},
        "python_version",
        "'3.10' is not in ['3.11', '3.12']",
    ),
    ("cloud-unknown", {"cloud": "azure-gov"}, "cloud", "'azure-gov' is not in ['azure', 'aws', 'gcp']"),
    (
        "ci_provider-unknown",
        {"ci_provider": "jenkins"},
        "ci_provider",
        "'jenkins' is not in ['github_actions', 'azure_devops', 'gitlab', 'none']",
    ),
    ("compute-unknown", {"compute": "gpu"}, "compute", "'gpu' is not in ['serverless', 'classic']"),
    (
        "task_type-unknown",
        {"task_type": "ranking"},
        "task_type",
        "'ranking' is not in ['regression', 'classification']",
    ),
    (
        "inference-unknown",
        {"inference": ["batch", "edge"]},
        "inference",
        "'edge' is not in ['batch', 'streaming', 'real_time']",
    ),
    *(
        (f"{question}-{name}", {question: value}, question, f"e.g. {example}: {BRANCH}")
        for question, example in (("default_branch", "main"), ("release_branch", "release"))
        for name, value in [
            ("leading-dash", "-x"),
            ("double-dot", "a..b"),
            ("double-slash", "a//b"),
            ("lock-suffix", "x.lock"),
            ("trailing-slash", "trailing/"),
            ("trailing-dot", "main."),
            ("space", "my branch"),
            ("reflog", "a@{1}"),
            ("empty", ""),
        ]
    ),
    (
        "release_branch-equals-default",
        {"default_branch": "main", "release_branch": "main"},
        "release_branch",
        "e.g. release: must differ from default_branch",
    ),
    (
        "release_branch-equals-custom-default",
        {"default_branch": "trunk", "release_branch": "trunk"},
        "release_branch",
        "e.g. release: must differ from default_branch",
    ),
]


# How copier words a value that is no choice at all ("'x' is not in [...]"): its own message, not ours.
NOT_A_CHOICE = re.compile(r"'.*' is not in \[.*\]")


def refusal(template_src: Path, dst: Path, answers: dict[str, Any], question: str) -> str:
    """The message copier refuses `answers` with, after its prefix that names `question`."""
    dst.mkdir()  # an existing folder: copier does not clean it up, so anything written would stay
    with pytest.raises(ValueError) as refused:  # noqa: PT011 (the message is checked by the callers)
        copier.run_copy(str(template_src), dst, data=answers, defaults=True, unsafe=False, quiet=True)
    assert list(dst.iterdir()) == [], "copier wrote files although it refused an answer"
    message = str(refused.value)
    for prefix in (f"Validation error for question '{question}': ", f"Invalid choice for '{question}': "):
        if message.startswith(prefix):
            return message.removeprefix(prefix)
    raise AssertionError(f"refused by another question: {message}")


IDS = [c[0] for c in INVALID]


@pytest.mark.parametrize(("answers", "question", "expected"), [c[1:] for c in INVALID], ids=IDS)
def test_invalid_answer_is_refused(
    template_src: Path, tmp_path: Path, answers: dict[str, Any], question: str, expected: str
) -> None:
    assert expected in refusal(template_src, tmp_path / "project", answers, question)


@pytest.mark.parametrize(("answers", "question"), [c[1:3] for c in INVALID], ids=IDS)
def test_refusal_is_one_short_line_with_an_example_first(
    template_src: Path, tmp_path: Path, answers: dict[str, Any], question: str
) -> None:
    """What a user sees when asked: one line of at most 80 characters, "e.g. <a valid answer>" first."""
    message = refusal(template_src, tmp_path / "project", answers, question)
    if NOT_A_CHOICE.fullmatch(message):
        return  # copier's own wording, which lists the valid choices
    assert message.splitlines() == [message.strip()], f"not one line: {message!r}"
    assert len(message) <= 80, f"{len(message)} characters: {message}"
    assert message.startswith("e.g. "), f"no example first: {message}"


def test_every_disabled_choice_has_an_invalid_case(questions: dict) -> None:
    """INVALID refuses each choice that copier.yml offers but disables, so its message is checked too."""
    disabled = {
        (name, value) for name, q in questions.items() if "choices" in q for value in lr.disabled_choices(q)
    }
    refused = {
        (question, value)
        for _, answers, question, _ in INVALID
        for value in (answers[question] if isinstance(answers[question], list) else [answers[question]])
    }
    assert disabled <= refused


def test_refused_answer_creates_no_destination(template_src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "not-yet"
    with pytest.raises(ValueError, match="package_name"):
        copier.run_copy(str(template_src), dst, data={"package_name": "X"}, defaults=True, quiet=True)
    assert not dst.exists()


# Answers at the edge of what is allowed are accepted (validators that are too strict are defects too).
VALID: list[tuple[str, dict[str, Any]]] = [
    ("aws-with-derived-hosts", {"cloud": "aws"}),
    ("gcp-with-derived-hosts", {"cloud": "gcp"}),
    ("aws-custom-hosts", {"cloud": "aws", "dev_host": AWS, "staging_host": AWS, "prod_host": AWS}),
    ("gcp-custom-host", {"cloud": "gcp", "prod_host": GCP}),
    ("project_name-60-chars", {"project_name": "A" * 59 + "1"}),
    ("project_name-3-chars", {"project_name": "Abc"}),
    ("project_name-with-digits", {"project_name": "Churn 2 Model"}),
    ("description-200-chars", {"description": "x" * 200}),
    (
        "service_principals-distinct",
        {"staging_service_principal": UUID, "prod_service_principal": "8" + UUID[1:]},
    ),
    ("service_principal-staging-only", {"staging_service_principal": UUID}),
    ("readers_group", {"readers_group": "Analysts EU"}),
    ("catalogs-custom", {"dev_catalog": "ml_dev", "staging_catalog": "ml_staging", "prod_catalog": "_prod"}),
    ("branches-custom", {"default_branch": "develop", "release_branch": "release/v1.x"}),
    ("no-ci-branches-unused", {"ci_provider": "none"}),
    *(
        (f"ci-{provider}", {"ci_provider": provider})
        for provider in ("github_actions", "azure_devops", "gitlab")
    ),
    ("group-with-space", {"developers_group": "Data Scientists"}),
    ("feature-store", {"ci_provider": "none", "feature_store": True}),
    ("monitoring-off", {"monitoring": False}),
    ("python-3.11", {"python_version": "3.11"}),
]


@pytest.mark.parametrize("answers", [c[1] for c in VALID], ids=[c[0] for c in VALID])
def test_valid_answer_is_accepted(template_src: Path, tmp_path: Path, answers: dict[str, Any]) -> None:
    with lr.worker(template_src, tmp_path / "project", answers) as w:
        w._ask()  # the questionnaire alone: rendering is covered by test_render_matrix
        assert {k: w.answers.combined[k] for k in answers} == answers


def test_every_question_has_type_help_default_and_free_text_a_validator(questions: dict) -> None:
    """DESIGN.md section 2: every question has type, help, default; every free-text answer a validator."""
    missing = [
        f"{name}: no {field}"
        for name, q in questions.items()
        for field in ("type", "help", "default")
        if field not in q
    ]
    missing += [
        f"{name}: free text without a validator"
        for name, q in questions.items()
        if q.get("type", "str") == "str" and "choices" not in q and "validator" not in q
    ]
    assert not missing


# ---------------------------------------------------------------------------------------------- defaults
def missing_files(project: Path, package: str) -> list[str]:
    """The files every default project has, that ``project`` lacks."""
    expected = [
        "README.md",
        "Makefile",
        "pyproject.toml",
        "databricks.yml",
        "conf/base.yml",
        "conf/dev.yml",
        "resources/training.yml",
        f"src/{package}/cli.py",
        ".copier-answers.yml",
    ]
    return [name for name in expected if not (project / name).is_file()]


def test_defaults_render_with_the_cli_without_trust(
    template_src: Path, tmp_path: Path, default_answers: dict
) -> None:
    """`copier copy --defaults` (no --trust) renders the expected project."""
    dst = tmp_path / "project"
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "copier", "copy", "--defaults", "--quiet", str(template_src), str(dst)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    assert not missing_files(dst, default_answers["package_name"])
    print(f"copier CLI default render: {elapsed:.2f} s")


def test_defaults_render_in_process(template_src: Path, tmp_path: Path, default_answers: dict) -> None:
    start = time.perf_counter()
    copier.run_copy(str(template_src), tmp_path / "project", defaults=True, unsafe=False, quiet=True)
    elapsed = time.perf_counter() - start
    assert not missing_files(tmp_path / "project", default_answers["package_name"])
    print(f"in-process default render: {elapsed:.2f} s")


def test_defaults_render_with_pytest_copie(copie: Any, template_src: Path, default_answers: dict) -> None:
    result = copie.copy(template_dir=template_src)
    assert result.exit_code == 0, result.exception
    assert result.exception is None
    package = result.answers["package_name"]
    assert package == default_answers["package_name"]
    assert not missing_files(result.project_dir, package)


def test_answers_file_records_every_answer(render: Any, default_answers: dict) -> None:
    project = render()
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_src_path"]
    assert {k: v for k, v in recorded.items() if not k.startswith("_")} == {
        k: v for k, v in default_answers.items() if not k.startswith("_")
    }


def test_derived_names_come_from_the_project_name(render: Any) -> None:
    project = render(project_name="Churn Model-2")
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["package_name"] == "churn_model_2"
    assert recorded["schema_name"] == "churn_model_2"
    assert recorded["model_name"] == "churn_model_2_model"
    assert (project / "src" / "churn_model_2" / "cli.py").is_file()
