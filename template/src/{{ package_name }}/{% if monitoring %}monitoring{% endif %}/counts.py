"""What the monitor counts where the data is (a :class:`~..platform.base.PartialSums`): per time window and
model version, the rows, how many fall in each bin of the version's baseline for every monitored column, and
— once labels are joined — the sums the performance metrics need.

The output is long: one row per (window, window start, model version, quantity, bin) with its value, e.g.
``("2026-02-01", <µs>, 3, "bins:tenure_months", 4, 118.0)``. Windows are days or hours of the scoring time
(UTC), or scoring runs (a table without runs, e.g. served predictions, is windowed by day then).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..platform.base import MODEL_VERSION, SCORED_AT
from .baseline import BaselineProfile
from .performance import performance_sums

Window = Literal["day", "hour", "run"]
KEYS = ("window", "window_start", "model_version", "quantity", "bin")
ROWS = "rows"
BINS = "bins:"
"""Prefix of the quantity that counts a column's rows per bin."""
SCORING_RUN = "scoring_run"
_LENGTH = {"day": 86_400_000_000, "hour": 3_600_000_000}
"""Windows' lengths in µs."""
_LABEL = {"day": "%Y-%m-%d", "hour": "%Y-%m-%dT%H:00"}
_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:00)?$")


@dataclass(frozen=True)
class WindowCounts:
    window: Window
    baselines: Mapping[int, BaselineProfile]
    """By model version; a version without one is counted (rows, performance) but not binned."""
    score: str
    """The column that holds the model's score."""
    target: str | None = None
    """The joined label column, or None before any label arrived."""
    run_column: str | None = SCORING_RUN
    """The column that names each row's scoring run, or None in a table without runs."""

    @property
    def columns(self) -> Sequence[str]:
        monitored = {c.name: None for profile in self.baselines.values() for c in profile.columns}
        runs = {self.run_column: None} if self.window == "run" and self.run_column else {}
        return list({**monitored, self.score: None, MODEL_VERSION: None, SCORED_AT: None, **runs})

    @property
    def keys(self) -> Sequence[str]:
        return KEYS

    def sums(self, frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return _table([])
        windows, names, starts = self._windows(frame)
        versions = frame[MODEL_VERSION].to_numpy("int64")
        group_of, groups = pd.factorize(windows << 32 | versions)  # versions stay far below 2**32
        rows: list[tuple[str, int, int, str, int, float]] = []
        for number, group_key in enumerate(groups.tolist()):
            window, version = group_key >> 32, group_key & 0xFFFFFFFF
            positions = np.flatnonzero(group_of == number)
            group = frame if len(groups) == 1 else frame.iloc[positions]
            head = (names[window], int(starts[positions[0]]), version)
            rows += [(*head, *sums) for sums in self._group_sums(group, version)]
        return _table(rows)

    def _group_sums(self, group: pd.DataFrame, version: int) -> list[tuple[str, int, float]]:
        sums = [(ROWS, 0, float(len(group)))]
        baseline = self.baselines.get(version)
        for column in baseline.columns if baseline is not None else ():
            counts = column.counts(group[column.name])
            sums += [(BINS + column.name, int(b), float(counts[b])) for b in np.flatnonzero(counts)]
        if self.target is not None:
            actual = pd.to_numeric(group[self.target], errors="coerce").to_numpy("float64", na_value=np.nan)
            labelled = ~np.isnan(actual)
            scores = group[self.score].to_numpy("float64")[labelled]
            sums += [(*key, value) for key, value in performance_sums(actual[labelled], scores).items()]
        return sums

    def _windows(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str], np.ndarray]:
        """Each row's window (an index into the names), the names, and each row's window start (µs since the
        epoch, UTC)."""
        times = frame[SCORED_AT]
        if isinstance(times.dtype, pd.DatetimeTZDtype):
            times = times.dt.tz_convert(None)  # in UTC, without a time zone: as Spark hands times over
        micros = times.to_numpy("datetime64[us]").astype("int64")
        if self.window == "run" and self.run_column:
            windows, runs = pd.factorize(frame[self.run_column].astype(str))
            return windows.astype("int64"), [str(run) for run in runs], micros
        dated = "hour" if self.window == "hour" else "day"
        starts = micros - micros % _LENGTH[dated]
        windows, unique = pd.factorize(starts)
        names = [pd.Timestamp(int(s), unit="us", tz="UTC").strftime(_LABEL[dated]) for s in unique]
        return windows.astype("int64"), names, starts


@dataclass(frozen=True)
class VersionRows:
    """The rows each model version scored: which baselines a run of the monitor needs."""

    @property
    def columns(self) -> Sequence[str]:
        return [MODEL_VERSION]

    @property
    def keys(self) -> Sequence[str]:
        return [MODEL_VERSION]

    def sums(self, frame: pd.DataFrame) -> pd.DataFrame:
        counts = frame[MODEL_VERSION].astype("int64").value_counts()
        return pd.DataFrame(
            {MODEL_VERSION: counts.index.to_numpy("int64"), "rows": counts.to_numpy("float64")}
        )


def window_label(window: str, start: pd.Timestamp) -> str:
    """A window as people read it: its day or hour, or — for a scoring run — when it was scored."""
    return window if _DATED.match(window) else f"run {start:%m-%d %H:%M:%S}"


def _table(rows: list[tuple[str, int, int, str, int, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[*KEYS, "value"])
    return frame.astype(
        {
            "window": "string",
            "window_start": "int64",
            "model_version": "int64",
            "quantity": "string",
            "bin": "int64",
            "value": "float64",
        }
    )
