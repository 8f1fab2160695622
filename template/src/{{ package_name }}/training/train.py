"""The ``train`` task: tune, fit, evaluate on held-out rows, explain, compare with the champion, register."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
from mlflow.models import infer_signature

from ..data.training_set import TrainingSet, load_training_set
from ..errors import MLOpsError
from ..inference.model import load_model
from ..platform import Platform
from ..platform.registry import CHAMPION, CONTRACT, ModelRegistry
from ..settings import Settings
from .estimator import PYFUNC_PREDICT_FN, build_pipeline, predict
from .explain import explain
from .metrics import PRIMARY_METRIC, evaluate
from .tuning import tune
from .versions import MODEL_URI, MODEL_VERSION

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    version: str
    run_id: str
    params: dict[str, Any]
    metrics: dict[str, float]
    champion_version: str | None
    champion_metrics: dict[str, float] | None
    top_features: list[str]


def train(settings: Settings, platform: Platform) -> TrainResult:
    registry = platform.registry
    data = load_training_set(settings, platform.tables)
    training_table = settings.table(settings.data.training_table)
    with mlflow.start_run(run_name=f"train-{settings.env}", tags=registry.run_tags()) as run:
        mlflow.set_tags({"env": settings.env, "training_table": training_table})
        params = tune(data, settings.training.trials, settings.training.seed, registry.run_tags())
        model = build_pipeline(
            data.data.numeric_features, data.data.categorical_features, params, settings.training.seed
        ).fit(data.x(data.train), data.y(data.train))
        metrics = evaluate(data.y(data.holdout), predict(model, data.x(data.holdout)))
        mlflow.log_params(params)
        mlflow.log_params({"training_rows": len(data.train), "holdout_rows": len(data.holdout)})
        mlflow.log_metrics({f"holdout_{name}": value for name, value in metrics.items()})
        model_uri = _log_model(model, data)
        top_features = _log_explanations(model, data)
        champion_version, champion_metrics = _champion_metrics(registry, data)
        version = registry.register(
            model_uri,
            run.info.run_id,
            description=(
                f"Trained in {settings.env} on {training_table} ({len(data.train)} rows); held-out "
                f"{PRIMARY_METRIC} {metrics[PRIMARY_METRIC]:.4f}."
            ),
            tags={"owner": settings.owner, "training_table": training_table, "env": settings.env},
        )
    platform.task_values.set(MODEL_VERSION, version)
    platform.task_values.set(MODEL_URI, registry.uri(version))
    return TrainResult(
        version, run.info.run_id, params, metrics, champion_version, champion_metrics, top_features
    )


def _log_model(model: Any, data: TrainingSet) -> str:
    """The model with its signature, an input example and its input contract (in the MLmodel metadata)."""
    example = data.x(data.holdout).head(5)
    info = mlflow.sklearn.log_model(
        model,
        name="model",
        signature=infer_signature(example, getattr(model, PYFUNC_PREDICT_FN)(example)),
        input_example=example,
        pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_cloudpickle=True),
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
        pyfunc_predict_fn=PYFUNC_PREDICT_FN,
        metadata={CONTRACT: data.contract.to_dict()},
    )
    return info.model_uri


def _log_explanations(model: Any, data: TrainingSet) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        importance = explain(model, data.x(data.holdout), Path(folder))
        mlflow.log_artifacts(folder, artifact_path="explanations")
    return importance["feature"].head(3).tolist()


def _champion_metrics(
    registry: ModelRegistry, data: TrainingSet
) -> tuple[str | None, dict[str, float] | None]:
    """The current champion's metrics on the same held-out rows, scored on its own features; logged beside
    the new model's. A champion that cannot score these rows is reported, not compared."""
    champion = registry.by_alias(CHAMPION)
    if champion is None:
        return None, None
    version = str(champion.version)
    mlflow.set_tag("champion_version", version)
    try:
        predicted = load_model(registry, version).predict(data.holdout)
    except MLOpsError as error:
        log.warning("not compared with the champion: %s", error)
        return version, None
    metrics = evaluate(data.y(data.holdout), predicted)
    mlflow.log_metrics({f"champion_holdout_{name}": value for name, value in metrics.items()})
    return version, metrics
