"""Hyperparameter search with optuna; every trial is a nested MLflow run."""

from __future__ import annotations

import logging
from typing import Any

import mlflow
import optuna
from sklearn.model_selection import train_test_split

from ..data.training_set import TrainingSet
from .estimator import build_pipeline, predict, suggest_params
from .metrics import METRICS, PRIMARY_METRIC


def tune(data: TrainingSet, trials: int, seed: int, run_tags: dict[str, str]) -> dict[str, Any]:
    """The best hyperparameters of ``trials`` trials, judged on a validation split of the training rows."""
    metric = METRICS[PRIMARY_METRIC]
    fit_rows, check_rows = train_test_split(data.train, test_size=0.25, random_state=seed)
    numeric, categorical = data.data.numeric_features, data.data.categorical_features

    def objective(trial: optuna.Trial) -> float:
        params = suggest_params(trial)
        with mlflow.start_run(run_name=f"trial-{trial.number:03d}", nested=True, tags=run_tags):
            model = build_pipeline(numeric, categorical, params, seed).fit(data.x(fit_rows), data.y(fit_rows))
            score = metric(data.y(check_rows), predict(model, data.x(check_rows)))
            mlflow.log_params(params)
            mlflow.log_metric(f"validation_{metric.name}", score)
        return score

    optuna.logging.set_verbosity(logging.WARNING)
    study = optuna.create_study(
        direction="maximize" if metric.higher_is_better else "minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
    )
    study.optimize(objective, n_trials=trials)
    return study.best_params
