"""The input contract of a model version: what it was trained on, and which rows it can be trusted with.

``train`` learns the contract from the training rows and logs it inside the model (MLmodel metadata), so it
travels with every version: feature names and dtypes, null rates, numeric ranges, categorical levels. Every
use of a version prepares its input through the contract (:meth:`InputContract.features_of`) and batch
scoring checks each row first (:meth:`InputContract.check`): a row out of contract is refused or
quarantined, never scored silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..platform.base import RowProblems

MAX_LEVELS = 1000
"""Categorical levels recorded per column; a column with more is not checked for unknown levels."""


@dataclass(frozen=True)
class ColumnContract:
    name: str
    kind: Literal["numeric", "categorical"]
    dtype: str
    """The column's dtype in the training table."""
    null_rate: float
    minimum: float | None = None
    maximum: float | None = None
    levels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class InputContract:
    key: str
    columns: tuple[ColumnContract, ...]

    @property
    def features(self) -> list[str]:
        return [column.name for column in self.columns]

    @classmethod
    def learn(
        cls,
        frame: pd.DataFrame,
        key: str,
        numeric: Iterable[str],
        categorical: Iterable[str],
    ) -> InputContract:
        columns = []
        for name in numeric:
            values = frame[name].astype("float64")
            finite = values[np.isfinite(values)]
            columns.append(
                ColumnContract(
                    name,
                    "numeric",
                    str(frame[name].dtype),
                    float(values.isna().mean()),
                    float(finite.min()) if len(finite) else None,
                    float(finite.max()) if len(finite) else None,
                )
            )
        for name in categorical:
            labels = categories(frame[name])
            levels = labels.dropna().unique()
            columns.append(
                ColumnContract(
                    name,
                    "categorical",
                    str(frame[name].dtype),
                    float(labels.isna().mean()),
                    levels=tuple(sorted(levels)) if len(levels) <= MAX_LEVELS else None,
                )
            )
        return cls(key, tuple(columns))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputContract:
        columns = tuple(
            ColumnContract(**{**c, "levels": None if c.get("levels") is None else tuple(c["levels"])})
            for c in data["columns"]
        )
        return cls(data["key"], columns)

    def missing(self, columns: Iterable[str]) -> list[str]:
        """The contract's columns (key included) that are not among ``columns``."""
        present = set(columns)
        return [name for name in [self.key, *self.features] if name not in present]

    def features_of(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model's input: the contract's columns in order, numbers as float64 (anything else missing),
        categories as their canonical labels."""
        return self._prepare(frame)[0]

    def _prepare(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
        """The model's input, and the labels of each categorical column (string dtype: fast to look up)."""
        labels = {c.name: categories(frame[c.name]) for c in self.columns if c.kind == "categorical"}
        features = pd.DataFrame(
            {
                column.name: _numbers(frame[column.name])
                if column.kind == "numeric"
                else labels[column.name].astype(object).where(frame[column.name].notna(), np.nan)
                for column in self.columns
            },
            index=frame.index,
        )
        return features, labels

    def check(self, frame: pd.DataFrame, range_tolerance: float) -> tuple[pd.DataFrame, RowProblems]:
        """The model's input (:meth:`features_of`) and each row's problems: a null key, a null where
        training had none, a negative number where training had none, text in a numeric column, a number
        outside the training range widened on each side by ``range_tolerance`` times its width, an unknown
        category."""
        features, labels = self._prepare(frame)
        masks: dict[tuple[str, str], np.ndarray] = {}
        examples: dict[tuple[str, str], str] = {}

        def flag(column: str, problem: str, mask: pd.Series) -> None:
            rows = mask.to_numpy(dtype=bool, na_value=False)
            if rows.any():
                masks[column, problem] = rows
                example = frame[column][rows].iloc[0]
                examples[column, problem] = repr(example) if isinstance(example, str) else str(example)

        flag(self.key, "null key", frame[self.key].isna())
        for column in self.columns:
            absent, value = frame[column.name].isna(), features[column.name]
            if column.null_rate == 0:
                flag(column.name, "null (none in training)", absent)
            if column.kind == "numeric":
                flag(column.name, "not a number", ~absent & value.isna())
                if column.minimum is not None and column.maximum is not None:
                    if column.minimum >= 0:
                        flag(column.name, "negative (none in training)", value < 0)
                    margin = range_tolerance * (column.maximum - column.minimum or abs(column.maximum) or 1.0)
                    low, high = column.minimum - margin, column.maximum + margin
                    flag(column.name, f"outside [{low:.4g}, {high:.4g}]", (value < low) | (value > high))
            elif column.levels is not None:
                flag(column.name, "unknown category", ~absent & ~labels[column.name].isin(column.levels))
        return features, RowProblems(len(frame), masks, examples)


def categories(values: pd.Series) -> pd.Series:
    """Category labels as strings, spelled the same whatever the column's dtype: integer codes stay integers
    (a column of whole numbers that holds a null is read as floats, and 1.0 must still be "1")."""
    if isinstance(values.dtype, pd.StringDtype):
        return values
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
        whole = np.isfinite(numbers) & (numbers == np.floor(numbers))
        labels = numbers.astype("string")
        labels[whole] = numbers[whole].astype("int64").astype("string")
        return labels
    return values.astype("string")


def _numbers(values: pd.Series) -> pd.Series:
    """Numbers as float64; anything that is not a number becomes missing."""
    return pd.to_numeric(values, errors="coerce").astype("float64")
