"""The baseline a version's predictions are compared with: a profile of its training rows and of its held-out
predictions, learned by ``train`` and logged in the version's model metadata, beside its input contract.

A numeric column gets bins with edges at the training quantiles, a categorical column a bin per level (the
most frequent ones, and one bin for any other); every column also has a bin for missing values. The profile
keeps the share of training rows in each bin. The monitor counts each window's rows in the same bins
(:meth:`ColumnProfile.bin_of`), so drift is measured from counts alone, wherever the rows are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..data.contract import InputContract

BASELINE = "baseline_profile"
"""Key of the baseline profile in the logged model's metadata."""
QUANTILE_BINS = 20
MAX_LEVELS = 50
"""Categorical levels with a bin of their own, the most frequent first; the others share one."""


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    kind: Literal["numeric", "categorical"]
    proportions: tuple[float, ...]
    """The share of baseline rows in each bin. Numeric: ``len(edges) + 1`` bins, then missing values;
    categorical: one bin per level, one for any other value, then missing values."""
    edges: tuple[float, ...] = ()
    levels: tuple[str, ...] = ()

    @property
    def bins(self) -> int:
        return len(self.proportions)

    def bin_of(self, values: pd.Series) -> np.ndarray:
        """The bin of each value: a number ``x`` falls in the bin after the last edge ``<= x``."""
        missing = self.bins - 1
        if self.kind == "numeric":
            numbers = pd.to_numeric(values, errors="coerce").to_numpy("float64", na_value=np.nan)
            bins = np.searchsorted(np.asarray(self.edges, dtype="float64"), numbers, side="right")
            bins[np.isnan(numbers)] = missing
            return bins
        labels = values.astype("string")
        bins = pd.Categorical(labels, categories=self.levels).codes.astype("int64")
        bins[bins < 0] = len(self.levels)
        bins[labels.isna().to_numpy()] = missing
        return bins

    def counts(self, values: pd.Series) -> np.ndarray:
        """How many values fall in each bin."""
        return np.bincount(self.bin_of(values), minlength=self.bins)


@dataclass(frozen=True)
class BaselineProfile:
    rows: int
    """Training rows the feature profiles were learned from."""
    columns: tuple[ColumnProfile, ...]
    """The features, then the model's score on the held-out rows."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BaselineProfile:
        columns = tuple(
            ColumnProfile(
                name=c["name"],
                kind=c["kind"],
                proportions=tuple(c["proportions"]),
                edges=tuple(c.get("edges") or ()),
                levels=tuple(c.get("levels") or ()),
            )
            for c in data["columns"]
        )
        return cls(int(data["rows"]), columns)


def learn_baseline(
    contract: InputContract, features: pd.DataFrame, score: str, scores: np.ndarray
) -> BaselineProfile:
    """The profile of the training rows' ``features`` (prepared by the ``contract``) and of the model's
    held-out ``scores`` (the column ``score`` of a scored row)."""
    columns = [
        numeric_profile(column.name, features[column.name])
        if column.kind == "numeric"
        else categorical_profile(column.name, features[column.name])
        for column in contract.columns
    ]
    columns.append(numeric_profile(score, pd.Series(scores, dtype="float64")))
    return BaselineProfile(len(features), tuple(columns))


def numeric_profile(name: str, values: pd.Series) -> ColumnProfile:
    """Bins at the quantiles of the finite values, one more for missing ones, and the share of each."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy("float64", na_value=np.nan)
    finite = numbers[np.isfinite(numbers)]
    quantiles = np.linspace(0, 1, QUANTILE_BINS + 1)[1:-1]
    edges = tuple(float(edge) for edge in np.unique(np.quantile(finite, quantiles))) if len(finite) else ()
    empty = ColumnProfile(name, "numeric", (0.0,) * (len(edges) + 2), edges)
    return _with_shares(empty, values)


def categorical_profile(name: str, values: pd.Series) -> ColumnProfile:
    """A bin per frequent level, one for any other value and one for missing ones, and the share of each."""
    frequent = values.astype("string").value_counts(sort=True).index[:MAX_LEVELS]
    levels = tuple(str(level) for level in frequent)
    empty = ColumnProfile(name, "categorical", (0.0,) * (len(levels) + 2), levels=levels)
    return _with_shares(empty, values)


def _with_shares(profile: ColumnProfile, values: pd.Series) -> ColumnProfile:
    counts = profile.counts(values)
    shares = counts / max(counts.sum(), 1)
    return ColumnProfile(
        profile.name, profile.kind, tuple(float(s) for s in shares), profile.edges, profile.levels
    )
