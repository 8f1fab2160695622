"""The checks a challenger must pass; each returns results that become version tags and the report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import mlflow
import numpy as np
import pandas as pd
from mlflow.entities.model_registry import ModelVersion

from ..platform.registry import CONTRACT
from ..settings import Threshold, ValidationSettings
from ..training.metrics import METRICS, PRIMARY_METRIC


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str


def model_format(model_uri: str) -> CheckResult:
    """The version has a signature, an input example and an input contract, loads, and predicts on its
    example."""
    try:
        info = mlflow.models.get_model_info(model_uri)
        missing = [
            part
            for part, present in (
                ("signature", info.signature),
                ("input example", info.saved_input_example_info),
                ("input contract", (info.metadata or {}).get(CONTRACT)),
            )
            if not present
        ]
        if missing:
            return CheckResult("format", False, f"the logged model has no {' and no '.join(missing)}")
        model = mlflow.pyfunc.load_model(model_uri)
        example = model.input_example
        predictions = np.asarray(model.predict(example))
    except Exception as error:  # whatever stops the model from loading or predicting fails this check
        return CheckResult("format", False, f"the model does not load and predict: {error}")
    if len(predictions) != len(example):
        return CheckResult("format", False, f"{len(predictions)} predictions for {len(example)} example rows")
    return CheckResult(
        "format", True, f"signature, input example and contract present; predicts {len(example)} rows"
    )


def thresholds(metrics: Mapping[str, float], limits: Mapping[str, Threshold]) -> list[CheckResult]:
    """Held-out metrics within the configured bounds."""
    results = []
    for name, limit in limits.items():
        value = metrics[name]
        too_low = limit.min is not None and value < limit.min
        too_high = limit.max is not None and value > limit.max
        bounds = " and ".join(
            f"{word} {bound}" for word, bound in (("min", limit.min), ("max", limit.max)) if bound is not None
        )
        results.append(
            CheckResult(f"threshold_{name}", not (too_low or too_high), f"{name} {value:.4f} ({bounds})")
        )
    return results


def slices(
    frame: pd.DataFrame,
    actual: np.ndarray,
    predicted: np.ndarray,
    columns: list[str],
    settings: ValidationSettings,
) -> list[CheckResult]:
    """Per value of each categorical column, the primary metric may be at most ``slice_tolerance`` worse
    (relatively) than on all held-out rows; slices smaller than ``min_slice_rows`` are not judged."""
    metric = METRICS[PRIMARY_METRIC]
    overall = metric(actual, predicted)
    results = []
    for column in columns:
        worst: tuple[float, str] | None = None
        for value, rows in frame.groupby(column, observed=True).indices.items():
            if len(rows) < settings.min_slice_rows or len(np.unique(actual[rows])) < 2:
                continue
            score = metric(actual[rows], predicted[rows])
            change = metric.improvement(score, overall)
            if worst is None or change < worst[0]:
                worst = (change, f"{column}={value}: {metric.name} {score:.4f} vs {overall:.4f} overall")
        if worst is None:
            results.append(
                CheckResult(f"slices_{column}", True, f"no slice of {column} is large enough to judge")
            )
        else:
            passed = worst[0] >= -settings.slice_tolerance
            detail = f"worst slice {worst[1]} (tolerance {settings.slice_tolerance:.0%} worse)"
            results.append(CheckResult(f"slices_{column}", passed, detail))
    return results


def compliance(version: ModelVersion, required_tags: list[str]) -> CheckResult:
    """The version has a description and every required tag."""
    missing = [tag for tag in required_tags if not version.tags.get(tag)]
    if not (version.description or "").strip():
        missing.insert(0, "description")
    if missing:
        return CheckResult("compliance", False, f"missing {', '.join(missing)}")
    return CheckResult(
        "compliance", True, f"description and tags {', '.join(required_tags) or '(none required)'} present"
    )
