"""The monitor's metrics, from the counts of :mod:`.counts`: drift per window, model version and column, and
performance per window and model version once labels are joined; each marked where it breaches its bound.
Windows with fewer rows than ``min_rows`` (labelled rows, for performance) are measured but never breach."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from ..settings import MonitoringSettings
from .baseline import BaselineProfile
from .counts import BINS, ROWS
from .drift import column_drift
from .performance import labelled_rows, performance

WINDOW = ["window", "window_start", "model_version"]
DRIFT_COLUMNS = {
    "window": "string",
    "window_start": "datetime64[us, UTC]",
    "model_version": "int64",
    "column": "string",
    "role": "string",
    "metric": "string",
    "value": "float64",
    "threshold": "float64",
    "rows": "int64",
    "breached": "bool",
}
PERFORMANCE_COLUMNS = {
    "window": "string",
    "window_start": "datetime64[us, UTC]",
    "model_version": "int64",
    "metric": "string",
    "value": "float64",
    "lower": "float64",
    "upper": "float64",
    "labelled": "int64",
    "breached": "bool",
}


def drift_metrics(
    counts: pd.DataFrame, baselines: Mapping[int, BaselineProfile], config: MonitoringSettings
) -> pd.DataFrame:
    """A row per window, model version, column and drift metric."""
    thresholds = config.drift_thresholds.model_dump()
    rows = []
    for key, group in counts.groupby(WINDOW, sort=True):
        window, start, version = cast(tuple[str, int, int], key)
        baseline = baselines.get(int(version))
        if baseline is None:
            continue
        sums = group.set_index(["quantity", "bin"])["value"]
        total = int(sums.get((ROWS, 0), 0))
        for position, column in enumerate(baseline.columns):
            binned = sums.get(BINS + column.name)
            observed = np.zeros(column.bins)
            if binned is not None:
                observed[binned.index.to_numpy("int64")] = binned.to_numpy()
            role = "prediction" if position == len(baseline.columns) - 1 else "feature"
            which = (window, start, version, column.name, role)
            for metric, value in column_drift(column, observed).items():
                bound = thresholds[metric]
                rows.append((*which, metric, value, bound, total, total >= config.min_rows and value > bound))
    return _typed(rows, DRIFT_COLUMNS)


def performance_metrics(counts: pd.DataFrame, config: MonitoringSettings) -> pd.DataFrame:
    """A row per window, model version and performance metric, for the windows with labelled rows."""
    rows = []
    for key, group in counts.groupby(WINDOW, sort=True):
        window, start, version = cast(tuple[str, int, int], key)
        quantities = group[["quantity", "bin", "value"]].itertuples(index=False)
        sums = {(str(quantity), int(b)): float(value) for quantity, b, value in quantities}
        labelled = labelled_rows(sums)
        for metric, value in performance(sums).items():
            bounds = config.performance_thresholds.get(metric)
            lower = bounds.min if bounds is not None and bounds.min is not None else np.nan
            upper = bounds.max if bounds is not None and bounds.max is not None else np.nan
            outside = value < lower or value > upper  # comparisons with NaN are False
            breached = bool(labelled >= config.min_rows and outside)
            rows.append((window, start, version, metric, value, lower, upper, labelled, breached))
    return _typed(rows, PERFORMANCE_COLUMNS)


def _typed(rows: Sequence[tuple[Any, ...]], columns: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    frame["window_start"] = pd.to_datetime(frame["window_start"].astype("int64"), unit="us", utc=True)
    return frame.astype(columns)
