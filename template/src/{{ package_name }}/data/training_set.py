"""Load the configured training table, check it, and split it into training and held-out rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import MLOpsError
from ..platform import Tables
from ..settings import DataSettings, Settings
from ..training.estimator import target_problem


@dataclass(frozen=True)
class TrainingSet:
    """Training and held-out rows; the split depends only on each row's key, so every task sees the same."""

    train: pd.DataFrame
    holdout: pd.DataFrame
    data: DataSettings

    @property
    def features(self) -> list[str]:
        return self.data.features

    def x(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame[self.features]

    def y(self, frame: pd.DataFrame) -> np.ndarray:
        return frame[self.data.target].to_numpy()


def load_training_set(settings: Settings, tables: Tables) -> TrainingSet:
    data = settings.data
    name = settings.table(data.training_table)
    if not tables.exists(name):
        raise MLOpsError(
            f"training table {name} does not exist: run `generate-data --env {settings.env}` for synthetic "
            f"data, or set data.training_table in conf/{settings.env}.yml to your own table"
        )
    frame = prepare(tables.read(name), data, name)
    in_holdout = holdout_mask(frame[data.key], data.holdout_fraction)
    train, holdout = frame[~in_holdout], frame[in_holdout]
    if train.empty or holdout.empty:
        raise MLOpsError(
            f"table {name} has {len(frame)} labelled rows, too few to hold out "
            f"{data.holdout_fraction:.0%}; add rows or change data.holdout_fraction"
        )
    return TrainingSet(train.reset_index(drop=True), holdout.reset_index(drop=True), data)


def prepare(frame: pd.DataFrame, data: DataSettings, name: str) -> pd.DataFrame:
    """Check the configured columns exist with usable types; cast categoricals to strings."""
    required = {
        "data.key": [data.key],
        "data.target": [data.target],
        "data.numeric_features": data.numeric_features,
    }
    required["data.categorical_features"] = data.categorical_features
    for setting, columns in required.items():
        missing = [column for column in columns if column not in frame.columns]
        if missing:
            raise MLOpsError(
                f"{setting} names column {', '.join(missing)}, which table {name} does not have "
                f"(it has: {', '.join(frame.columns)}); fix the setting in conf/ or the table"
            )
    not_numeric = [c for c in data.numeric_features if not pd.api.types.is_numeric_dtype(frame[c])]
    if not_numeric:
        raise MLOpsError(
            f"data.numeric_features: column {', '.join(not_numeric)} of {name} is not numeric; "
            "move it to data.categorical_features or cast it in the table"
        )
    frame = frame.dropna(subset=[data.target])
    if problem := target_problem(frame[data.target]):
        raise MLOpsError(f"data.target: column {data.target} of {name}: {problem}")
    if frame[data.key].duplicated().any():
        raise MLOpsError(f"data.key: column {data.key} of {name} is not unique; choose a key column that is")
    return cast_categoricals(frame, data.categorical_features)


def cast_categoricals(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Categorical features as strings, missing values as their own category: as the model was trained."""
    return frame.assign(**{column: frame[column].astype("string").fillna("missing") for column in columns})


def holdout_mask(keys: pd.Series, fraction: float) -> np.ndarray:
    """Rows held out for evaluation, chosen by a stable hash of the key."""
    buckets = pd.util.hash_pandas_object(keys, index=False).to_numpy() % 10_000
    return buckets < round(fraction * 10_000)
