"""The questionnaire: the defaults render, and every invalid answer is refused with its message.

Refusals use copier's in-process API (`copier.run_copy(..., defaults=True, data=...)`), ~0.05-0.1 s each.
The expected texts are stable fragments of the validator messages in copier.yml / hooks/validators.jinja.
"""

from __future__ import annotations

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

PROJECT_NAME = "project_name must be 3-60 characters"
PACKAGE_NAME = "package_name must be a lowercase Python identifier"
DESCRIPTION = "description must be one non-empty line of at most 200 characters"
EMAIL = "owner_email must be an e-mail address"
UC = "is not a Unity Catalog identifier"
GROUP = "developers_group must be a group name"
SP = "service_principal_id must be empty or a lowercase application ID"
BRANCH = "is not a valid git branch name"
NOT_BUILT = "is not built yet; pick it in a later copier update"


def host(question: str, value: str, cloud: str) -> str:
    return f'{question} "{value}" is not a workspace URL for cloud {cloud}'


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
        'package_name "class" is a Python keyword',
    ),
    ("package_name-keyword-lambda", {"package_name": "lambda"}, "package_name", "is a Python keyword"),
    ("package_name-shadows-mlflow", {"package_name": "mlflow"}, "package_name", "would shadow the module"),
    ("package_name-shadows-pandas", {"package_name": "pandas"}, "package_name", "would shadow the module"),
    ("package_name-shadows-tests", {"package_name": "tests"}, "package_name", "would shadow the module"),
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
        host("dev_host", AWS, "azure"),
    ),
    (
        "dev_host-azure-url-on-aws",
        {"cloud": "aws", "dev_host": AZURE},
        "dev_host",
        host("dev_host", AZURE, "aws"),
    ),
    (
        "dev_host-trailing-slash",
        {"dev_host": AZURE + "/"},
        "dev_host",
        host("dev_host", AZURE + "/", "azure"),
    ),
    (
        "dev_host-http",
        {"dev_host": AZURE.replace("https", "http")},
        "dev_host",
        host("dev_host", AZURE.replace("https", "http"), "azure"),
    ),
    (
        "staging_host-azure-url-on-gcp",
        {"cloud": "gcp", "staging_host": AZURE},
        "staging_host",
        host("staging_host", AZURE, "gcp"),
    ),
    (
        "staging_host-with-path",
        {"cloud": "aws", "staging_host": AWS + "/login"},
        "staging_host",
        host("staging_host", AWS + "/login", "aws"),
    ),
    (
        "prod_host-gcp-url-on-aws",
        {"cloud": "aws", "prod_host": GCP},
        "prod_host",
        host("prod_host", GCP, "aws"),
    ),
    ("prod_host-empty", {"prod_host": ""}, "prod_host", host("prod_host", "", "azure")),
    ("dev_catalog-uppercase", {"dev_catalog": "Dev"}, "dev_catalog", f'dev_catalog "Dev" {UC}'),
    ("dev_catalog-hyphen", {"dev_catalog": "ml-dev"}, "dev_catalog", UC),
    ("staging_catalog-leading-digit", {"staging_catalog": "1staging"}, "staging_catalog", UC),
    ("prod_catalog-space", {"prod_catalog": "prod catalog"}, "prod_catalog", UC),
    (
        "staging_catalog-equals-dev",
        {"staging_catalog": "dev"},
        "staging_catalog",
        "staging_catalog must differ from dev_catalog",
    ),
    ("prod_catalog-equals-staging", {"prod_catalog": "staging"}, "prod_catalog", "prod_catalog must differ"),
    ("prod_catalog-equals-dev", {"prod_catalog": "dev"}, "prod_catalog", "prod_catalog must differ"),
    (
        "schema_name-hyphen",
        {"schema_name": "demand-forecast"},
        "schema_name",
        f'schema_name "demand-forecast" {UC}',
    ),
    ("schema_name-uppercase", {"schema_name": "Demand"}, "schema_name", UC),
    ("schema_name-empty", {"schema_name": ""}, "schema_name", UC),
    ("model_name-space", {"model_name": "my model"}, "model_name", UC),
    ("model_name-dot", {"model_name": "schema.model"}, "model_name", UC),
    ("developers_group-empty", {"developers_group": ""}, "developers_group", GROUP),
    ("developers_group-leading-hyphen", {"developers_group": "-team"}, "developers_group", GROUP),
    ("developers_group-bad-char", {"developers_group": "team@corp"}, "developers_group", GROUP),
    ("service_principal_id-not-uuid", {"service_principal_id": "deployer"}, "service_principal_id", SP),
    ("service_principal_id-uppercase", {"service_principal_id": UUID.upper()}, "service_principal_id", SP),
    (
        "service_principal_id-no-dashes",
        {"service_principal_id": UUID.replace("-", "")},
        "service_principal_id",
        SP,
    ),
    ("inference-empty", {"inference": []}, "inference", "Pick at least one inference mode"),
    ("python_version-3.13", {"python_version": "3.13"}, "python_version", "No Databricks runtime"),
    # choices offered but disabled (not built yet)
    *(
        (f"ci_provider-{value}", {"ci_provider": value}, "ci_provider", f"e.g. none: {name} CI {NOT_BUILT}")
        for value, name in [
            ("github_actions", "GitHub Actions"),
            ("azure_devops", "Azure DevOps"),
            ("gitlab", "GitLab"),
        ]
    ),
    (
        "feature_store-true",
        {"feature_store": True},
        "feature_store",
        "e.g. false: feature tables are not built",
    ),
    ("monitoring-true", {"monitoring": True}, "monitoring", f"e.g. false: drift monitoring {NOT_BUILT}"),
    (
        "inference-streaming",
        {"inference": ["batch", "streaming"]},
        "inference",
        f"e.g. batch: streaming scoring {NOT_BUILT}",
    ),
    (
        "inference-real_time-alone",
        {"inference": ["real_time"]},
        "inference",
        f"e.g. batch: real-time serving {NOT_BUILT}",
    ),
    ("python_version-unknown", {"python_version": "3.10"}, "python_version", "Invalid choice"),
    ("cloud-unknown", {"cloud": "azure-gov"}, "cloud", "Invalid choice"),
    ("ci_provider-unknown", {"ci_provider": "jenkins"}, "ci_provider", "Invalid choice"),
    ("compute-unknown", {"compute": "gpu"}, "compute", "Invalid choice"),
    ("task_type-unknown", {"task_type": "ranking"}, "task_type", "Invalid choice"),
    ("inference-unknown", {"inference": ["batch", "edge"]}, "inference", "Invalid choice"),
    *(
        (f"{question}-{name}", {question: value}, question, f'{question} "{value}" {BRANCH}')
        for question in ("default_branch", "release_branch")
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
        'release_branch must differ from default_branch ("main")',
    ),
    (
        "release_branch-equals-custom-default",
        {"default_branch": "trunk", "release_branch": "trunk"},
        "release_branch",
        "release_branch must differ from default_branch",
    ),
]


def normalized(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("answers", "question", "expected"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_answer_is_refused(
    template_src: Path, tmp_path: Path, answers: dict[str, Any], question: str, expected: str
) -> None:
    dst = tmp_path / "project"
    dst.mkdir()  # an existing folder: copier does not clean it up, so anything written would stay
    with pytest.raises(ValueError) as refused:  # noqa: PT011 (the message is checked below)
        copier.run_copy(str(template_src), dst, data=answers, defaults=True, unsafe=False, quiet=True)
    message = normalized(str(refused.value))
    assert message.startswith(
        (f"Validation error for question '{question}':", f"Invalid choice for '{question}'")
    ), message
    assert normalized(expected) in message
    assert list(dst.iterdir()) == [], "copier wrote files although it refused an answer"


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
    ("service_principal_id-uuid", {"service_principal_id": UUID}),
    ("catalogs-custom", {"dev_catalog": "ml_dev", "staging_catalog": "ml_staging", "prod_catalog": "_prod"}),
    ("branches-custom", {"default_branch": "develop", "release_branch": "release/v1.x"}),
    ("no-ci-branches-unused", {"ci_provider": "none"}),
    ("group-with-space", {"developers_group": "Data Scientists"}),
    ("not-built-yet-answered-no", {"ci_provider": "none", "feature_store": False, "monitoring": False}),
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
