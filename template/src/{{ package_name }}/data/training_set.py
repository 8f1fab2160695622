"""Load the configured training table, check it, split it into training and held-out rows, and learn the
input contract of the model trained on it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import MLOpsError
from ..platform import Tables
from ..settings import DataSettings, Settings
from ..training.estimator import target_problem
from .contract import InputContract, categories

MIN_ROWS = 100
"""Labelled rows below which training, its held-out evaluation and tuning split mean nothing."""


@dataclass(frozen=True)
class TrainingSet:
    """Training and held-out rows; the split depends only on each row's key, so every task sees the same."""

    train: pd.DataFrame
    holdout: pd.DataFrame
    data: DataSettings
    contract: InputContract
    """Learned from the training rows: what a model trained on them may be given."""

    def x(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.contract.features_of(frame)

    def y(self, frame: pd.DataFrame) -> np.ndarray:
        return frame[self.data.target].to_numpy()


def load_training_set(settings: Settings, tables: Tables) -> TrainingSet:
    """The training set (:attr:`~..settings.Settings.training_set_table`), checked and split."""
    data = settings.data
    name = settings.training_set_table
    if not tables.exists(name):
        raise MLOpsError(
            f"training table {name} does not exist: run `generate-data --env {settings.env}` for synthetic "
            f"data, or `load-table` your own and set data.training_table in conf/"
        )
    frame = prepare(tables.read(name), data, name, settings.label_identity)
    in_holdout = holdout_mask(frame[data.key], data.holdout_fraction)
    train, holdout = frame[~in_holdout].reset_index(drop=True), frame[in_holdout].reset_index(drop=True)
    for part, rows in (("training", train), ("held-out", holdout)):
        if problem := target_problem(rows[data.target]):
            raise MLOpsError(
                f"the {part} rows of {name} cannot be used: {problem}; add rows or change "
                "data.holdout_fraction"
            )
    contract = InputContract.learn(train, data.key, data.numeric_features, data.categorical_features)
    return TrainingSet(train, holdout, data, contract)


def prepare(frame: pd.DataFrame, data: DataSettings, name: str, identity: list[str]) -> pd.DataFrame:
    """Check the configured columns: present, numeric where they must be, a non-null key, rows that the
    ``identity`` columns identify, enough labelled rows, a learnable target, and no feature that is the target
    under another name."""
    required = {
        "data.key": [data.key],
        "data.target": [data.target],
        "data.numeric_features": data.numeric_features,
        "data.categorical_features": data.categorical_features,
    }
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
    if nulls := int(frame[data.key].isna().sum()):
        raise MLOpsError(
            f"data.key: column {data.key} of {name} has {nulls:,} null values; every row needs a key"
        )
    if frame.duplicated(identity).any():
        raise MLOpsError(
            f"data.key: {' and '.join(identity)} of {name} is not unique: each labelled row needs its own"
        )
    frame = frame.dropna(subset=[data.target])
    if len(frame) < MIN_ROWS:
        raise MLOpsError(
            f"table {name} has {len(frame):,} labelled rows (a value in {data.target}); training needs at "
            f"least {MIN_ROWS}"
        )
    if problem := target_problem(frame[data.target]):
        raise MLOpsError(f"data.target: column {data.target} of {name}: {problem}")
    if copies := copies_of_target(frame, data):
        raise MLOpsError(
            f"feature {', '.join(copies)} of {name} is the target {data.target} under another name: a model "
            "would learn nothing else; remove it from data.numeric_features / data.categorical_features"
        )
    return frame


def copies_of_target(frame: pd.DataFrame, data: DataSettings) -> list[str]:
    """Features equal to the target (as numbers or as text), or categories that recode it one to one."""
    target = _floats(frame[data.target])

    def recodes(column: str) -> bool:
        pairs = (
            pd.DataFrame({"level": categories(frame[column]), "target": target}).dropna().drop_duplicates()
        )
        return len(pairs) <= len(frame) / 2 and pairs["level"].is_unique and pairs["target"].is_unique

    return [
        column
        for column in data.features
        if np.array_equal(_floats(frame[column]), target, equal_nan=True)
        or (column in data.categorical_features and recodes(column))
    ]


def _floats(values: pd.Series) -> np.ndarray:
    """Values as numbers; text that is no number becomes NaN."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def holdout_mask(keys: pd.Series, fraction: float) -> np.ndarray:
    """Rows held out for evaluation, chosen by a stable hash of the key."""
    buckets = pd.util.hash_pandas_object(keys, index=False).to_numpy() % 10_000
    return buckets < round(fraction * 10_000)
