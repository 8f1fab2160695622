"""The input contract of a model version: what it was trained on, and which rows it can be trusted with.

``train`` learns the contract from the training rows and logs it inside the model (MLmodel metadata), so it
travels with every version: feature names and dtypes, null rates, numeric ranges, categorical levels. Every
use of a version prepares its input through the contract (:meth:`InputContract.features`) and batch
scoring checks each row first (:meth:`InputContract.problems`): a row out of contract is refused or
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
    range_tolerance: float
    """How far outside the training range a number may be, as a share of that range."""

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
        range_tolerance: float,
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
        return cls(key, tuple(columns), range_tolerance)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputContract:
        columns = tuple(
            ColumnContract(**{**c, "levels": None if c.get("levels") is None else tuple(c["levels"])})
            for c in data["columns"]
        )
        return cls(data["key"], columns, float(data["range_tolerance"]))

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
                else categories(frame[column.name]).astype(object).where(frame[column.name].notna(), np.nan)
                for column in self.columns
            },
            index=frame.index,
        )

    def problems(self, frame: pd.DataFrame) -> RowProblems:
        """Each row's problems: a null key, a null where training had none, text in a numeric column, a
        number outside the training range (widened by ``range_tolerance``), an unknown category."""
        masks: dict[tuple[str, str], np.ndarray] = {}
        examples: dict[tuple[str, str], str] = {}

        def flag(column: str, problem: str, mask: pd.Series, values: pd.Series) -> None:
            rows = mask.to_numpy(dtype=bool, na_value=False)
            if rows.any():
                masks[column, problem] = rows
                examples[column, problem] = repr(values[rows].iloc[0])

        flag(self.key, "null key", frame[self.key].isna(), frame[self.key])
        for column in self.columns:
            raw = frame[column.name]
            absent = raw.isna()
            if column.null_rate == 0:
                flag(column.name, "null (none in training)", absent, raw)
            if column.kind == "numeric":
                numbers = _numbers(raw)
                flag(column.name, "not a number", ~absent & numbers.isna(), raw)
                if column.minimum is not None and column.maximum is not None:
                    low, high = self._bounds(column.minimum, column.maximum)
                    flag(
                        column.name,
                        f"outside [{low:.4g}, {high:.4g}]",
                        (numbers < low) | (numbers > high),
                        raw,
                    )
            elif column.levels is not None:
                flag(column.name, "unknown category", ~absent & ~categories(raw).isin(column.levels), raw)
        return RowProblems(len(frame), masks, examples)

    def _bounds(self, minimum: float, maximum: float) -> tuple[float, float]:
        margin = self.range_tolerance * ((maximum - minimum) or abs(maximum) or 1.0)
        return minimum - margin, maximum + margin


def categories(values: pd.Series) -> pd.Series:
    """Category labels as strings, spelled the same whatever the column's dtype: integer codes stay integers
    (a column of whole numbers that holds a null is read as floats, and 1.0 must still be "1")."""
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
