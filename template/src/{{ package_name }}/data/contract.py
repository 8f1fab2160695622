"""The input contract of a model version: what it was trained on, and which rows it can be trusted with.

``train`` learns the contract from the training rows and logs it inside the model (MLmodel metadata), so it
travels with every version: feature names and dtypes, null rates, numeric ranges, categorical levels. Every
use of a version prepares its input through the contract (:meth:`InputContract.features_of`), and scoring
checks each row first (:meth:`InputContract.check`): a row out of contract is refused (or set aside), never
scored silently.
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
    key_dtype: str | None = None
    """The key's dtype in the training table (None in contracts logged before it was recorded)."""

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
        return cls(key, tuple(columns), str(frame[key].dtype))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputContract:
        columns = tuple(
            ColumnContract(**{**c, "levels": None if c.get("levels") is None else tuple(c["levels"])})
            for c in data["columns"]
        )
        return cls(data["key"], columns, data.get("key_dtype"))

    def missing(self, columns: Iterable[str]) -> list[str]:
        """The contract's columns (key included) that are not among ``columns``."""
        present = set(columns)
        return [name for name in [self.key, *self.features] if name not in present]

    def features_of(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model's input: the contract's columns in order, numbers as float64 (anything else missing),
        categories as their canonical labels."""
        return pd.DataFrame(
            {
                column.name: _numbers(frame[column.name])
                if column.kind == "numeric"
                else _model_labels(_labels(frame[column.name]))
                for column in self.columns
            },
            index=frame.index,
        )

    def check(self, frame: pd.DataFrame, range_tolerance: float) -> tuple[pd.DataFrame, RowProblems]:
        """The model's input (:meth:`features_of`) and each row's problems: a null key (where the frame has
        the key), a null where training had none, a negative number where training had none, text in a
        numeric column, a number outside the training range widened on each side by ``range_tolerance``
        times its width, an unknown category.

        Works on NumPy arrays, column by column: a request of one row is checked in well under a
        millisecond, and a chunk of many rows at NumPy's speed."""
        features: dict[str, np.ndarray] = {}
        masks: dict[tuple[str, str], np.ndarray] = {}
        examples: dict[tuple[str, str], str] = {}

        def flag(column: str, problem: str, rows: np.ndarray) -> None:
            if rows.any():
                masks[column, problem] = rows
                example = frame[column].to_numpy()[rows][0]
                examples[column, problem] = repr(example) if isinstance(example, str) else str(example)

        if self.key in frame.columns:
            flag(self.key, "null key", _absent(frame[self.key]))
        for column in self.columns:
            raw = frame[column.name]
            absent = _absent(raw)
            if column.null_rate == 0:
                flag(column.name, "null (none in training)", absent)
            if column.kind == "numeric":
                value = features[column.name] = _numbers(raw)
                flag(column.name, "not a number", ~absent & np.isnan(value))
                if column.minimum is not None and column.maximum is not None:
                    if column.minimum >= 0:
                        flag(column.name, "negative (none in training)", value < 0)
                    margin = range_tolerance * (column.maximum - column.minimum or abs(column.maximum) or 1.0)
                    low, high = column.minimum - margin, column.maximum + margin
                    flag(column.name, f"outside [{low:.4g}, {high:.4g}]", (value < low) | (value > high))
            else:
                labels = _labels(raw)
                features[column.name] = _model_labels(labels)
                if column.levels is not None:
                    known = set(column.levels)
                    unknown = np.fromiter((label not in known for label in labels), bool, len(labels))
                    flag(column.name, "unknown category", ~absent & unknown)
        return pd.DataFrame(features, index=frame.index), RowProblems(len(frame), masks, examples)


def categories(values: pd.Series) -> pd.Series:
    """Category labels as strings, spelled the same whatever the column's dtype: integer codes stay integers
    (a column of whole numbers that holds a null is read as floats, and 1.0 must still be "1")."""
    return pd.Series(_labels(values), index=values.index, dtype="string", name=values.name)


def _labels(values: pd.Series) -> np.ndarray:
    """:func:`categories` as an array of ``str`` objects, None where a value is missing."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf":
        numbers = values.to_numpy(dtype="float64")
        whole = np.isfinite(numbers) & (numbers == np.floor(numbers))
        fractional = ~whole & ~np.isnan(numbers)
        labels = np.full(len(numbers), None, dtype=object)
        labels[whole] = numbers[whole].astype("int64").astype(str)
        labels[fractional] = [str(number) for number in numbers[fractional]]
        return labels
    array = values.to_numpy()
    if array.dtype != object or pd.api.types.infer_dtype(array, skipna=True) not in ("string", "empty"):
        array = values.astype("string").to_numpy(dtype=object)
    labels = array.copy()
    labels[pd.isna(array)] = None
    return labels


def _model_labels(labels: np.ndarray) -> np.ndarray:
    """Labels as the model takes them: ``str`` objects, NaN where missing."""
    return np.where(pd.isna(labels), np.nan, labels)


def _absent(values: pd.Series) -> np.ndarray:
    """Which values are missing, as a boolean array."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iub":
        return np.zeros(len(values), dtype=bool)
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "f":
        return np.isnan(values.to_numpy())
    return values.isna().to_numpy()


def _numbers(values: pd.Series) -> np.ndarray:
    """Numbers as float64; anything that is not a number becomes missing (NaN)."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iufb":
        return values.to_numpy(dtype="float64")
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
