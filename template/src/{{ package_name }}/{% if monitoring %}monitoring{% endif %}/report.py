"""The monitoring report: one self-contained HTML file (inline SVG charts, nothing fetched) that shows at a
glance what drifted and when: drift per column and window against the training baseline, performance per
window, the alerts, and every point out of bounds marked in red."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import MLOpsError
from ..platform import Platform
from ..settings import Settings
from .alerts import ALERT_COLUMNS
from .counts import window_label
from .metrics import PERFORMANCE_COLUMNS
from .monitor import MonitorTables

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MAX_WINDOWS = 60
"""The most recent windows a report shows."""
_BREACH, _OK, _BOUND = "#d62728", "#1f77b4", "#7f7f7f"
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
.summary { font-size: 1.1rem; padding: 0.8rem 1rem; border-left: 6px solid #2ca02c; background: #f4faf4; }
.summary.alert { border-color: #d62728; background: #fdf3f3; }
table { border-collapse: collapse; font-size: 0.9rem; } td, th { padding: 0.25rem 0.6rem; text-align: left; }
tr:nth-child(even) { background: #f6f6f6; } th { border-bottom: 1px solid #999; }
figure { margin: 1rem 0; } svg { max-width: 100%; height: auto; }
.note { color: #666; font-size: 0.85rem; }
"""


@dataclass(frozen=True)
class Report:
    path: Path
    windows: int
    alerts: int


def write_report(settings: Settings, platform: Platform, output: Path) -> Report:
    """Read the model's monitoring tables and write the report to ``output``."""
    tables = MonitorTables.of(settings)
    if not platform.tables.exists(tables.drift):
        raise MLOpsError(
            f"no monitoring results in {tables.drift} yet: run `run monitoring --env {settings.env}` first"
        )
    drift = platform.tables.read(tables.drift)
    performance = _read_if_exists(platform, tables.performance, PERFORMANCE_COLUMNS)
    alerts = _read_if_exists(platform, tables.alerts, ALERT_COLUMNS)
    windows = _windows(drift, performance)
    title = f"Monitoring of {settings.model_full_name} ({settings.env})"
    page = render(title, windows, drift, performance, alerts, settings.monitoring.min_rows)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf-8")
    return Report(output, len(windows), int(alerts["window"].isin(windows["window"]).sum()))


def render(
    title: str,
    windows: pd.DataFrame,
    drift: pd.DataFrame,
    performance: pd.DataFrame,
    alerts: pd.DataFrame,
    min_rows: int,
) -> str:
    """The report's HTML: a summary, then drift at a glance, drift per column, performance and the alerts."""
    shown = alerts.merge(windows[["window", "model_version"]], on=["window", "model_version"])
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">{len(windows)} windows, generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC</p>',
        _summary(windows, shown),
        "<h2>Drift at a glance</h2>",
        "<p>Population stability index (PSI) of each column in each window, against the training baseline of "
        "the version that scored it; a red frame marks a column with any drift metric out of bounds.</p>",
        _figure(_heatmap(windows, drift)),
        "<h2>Drift per column</h2>",
        _figure(_lines(windows, drift, "column", "threshold", None)),
    ]
    if len(performance):
        sections += [
            "<h2>Performance</h2>",
            "<p>On the rows whose labels have arrived; dashed lines are the bounds.</p>",
            _figure(_lines(windows, performance, "metric", "lower", "upper")),
        ]
    sections += ["<h2>Alerts</h2>", _alerts_table(shown)]
    sections.append(
        f'<p class="note">A window with fewer than {min_rows} rows (labelled rows, for performance) is '
        "measured but never alerts. KS is computed on the baseline's binned CDFs.</p>"
    )
    body = "\n".join(sections)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _read_if_exists(platform: Platform, table: str, columns: dict[str, str]) -> pd.DataFrame:
    """The table, or no rows of its columns if it does not exist (no labels yet, no alert yet)."""
    if platform.tables.exists(table):
        return platform.tables.read(table)
    return pd.DataFrame(columns=list(columns)).astype(columns)


def _windows(drift: pd.DataFrame, performance: pd.DataFrame) -> pd.DataFrame:
    """The most recent windows (and model versions) in time order, each with its axis label."""
    keys = ["window", "window_start", "model_version"]
    both = pd.concat([drift[keys], performance[keys]]) if len(performance) else drift[keys]
    windows = both.drop_duplicates(["window", "model_version"]).sort_values(["window_start", "model_version"])
    windows = windows.tail(MAX_WINDOWS).reset_index(drop=True)
    starts = pd.to_datetime(windows["window_start"], utc=True)
    labels = [
        f"{window_label(str(window), start)}\nv{version}"
        for window, start, version in zip(windows["window"], starts, windows["model_version"], strict=True)
    ]
    return windows.assign(label=labels)


def _summary(windows: pd.DataFrame, alerts: pd.DataFrame) -> str:
    if not len(alerts):
        return f'<p class="summary">No alerts: nothing out of bounds in {len(windows)} windows.</p>'
    first = alerts.sort_values("window_start").iloc[0]
    when = window_label(str(first["window"]), pd.Timestamp(first["window_start"]))
    drifted = sorted(set(alerts.loc[alerts["kind"] == "drift", "column"]))
    failing = sorted(set(alerts.loc[alerts["kind"] == "performance", "metric"]))
    what = [f"drift in {', '.join(drifted)}"] if drifted else []
    what += [f"{', '.join(failing)} out of bounds"] if failing else []
    windowed = alerts.drop_duplicates(["window", "model_version"])
    return (
        f'<p class="summary alert"><b>{len(alerts)} alerts in {len(windowed)} of {len(windows)} windows</b>: '
        f"{html.escape('; '.join(what))}. First in window {html.escape(when)} (version "
        f"{first['model_version']}).</p>"
    )


def _heatmap(windows: pd.DataFrame, drift: pd.DataFrame) -> Figure:
    """PSI per column (rows) and window (columns); a red frame around each column out of bounds."""
    from matplotlib.patches import Rectangle

    positions = _positions(windows)
    psi = drift[drift["metric"] == "psi"]
    columns = list(dict.fromkeys(psi["column"]))
    matrix = np.full((len(columns), len(windows)), np.nan)
    for window, version, column, value in psi[["window", "model_version", "column", "value"]].to_numpy():
        if (window, version) in positions:
            matrix[columns.index(column), positions[window, version]] = value
    threshold = float(psi["threshold"].max()) if len(psi) else 0.2
    figure, axes = _pyplot().subplots(figsize=(max(6.0, 0.8 * len(windows) + 3), 0.45 * len(columns) + 1.6))
    image = axes.imshow(matrix, cmap="RdYlGn_r", vmin=0, vmax=2 * threshold, aspect="auto")
    breached = drift.loc[drift["breached"], ["window", "model_version", "column"]].drop_duplicates()
    for window, version, column in breached.itertuples(index=False):
        if (window, version) in positions and column in columns:
            corner = (positions[window, version] - 0.5, columns.index(column) - 0.5)
            axes.add_patch(Rectangle(corner, 1, 1, fill=False, edgecolor=_BREACH, linewidth=2.5))
    if len(windows) <= 30:
        for i, j in zip(*np.nonzero(~np.isnan(matrix)), strict=True):
            color = "white" if matrix[i, j] > 1.6 * threshold else "black"  # white on the deep red end
            axes.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=8, color=color)
    axes.set_yticks(range(len(columns)), columns)
    axes.set_xticks(range(len(windows)), windows["label"], fontsize=8)
    figure.colorbar(image, ax=axes, label=f"PSI (bound {threshold:g})", fraction=0.03)
    return figure


def _lines(windows: pd.DataFrame, frame: pd.DataFrame, by: str, lower: str, upper: str | None) -> Figure:
    """One small chart per value of ``by`` (a column, or a performance metric), a line per metric, the bounds
    dashed and the points out of bounds in red."""
    plt = _pyplot()
    positions = _positions(windows)
    panels = list(dict.fromkeys(frame[by]))
    across = min(3, len(panels))
    down = -(-len(panels) // across)
    figure, grid = plt.subplots(down, across, figsize=(4.2 * across, 2.6 * down), squeeze=False)
    for axes, panel in zip(grid.flat, panels, strict=False):
        rows = frame[frame[by] == panel]
        x = [positions.get(key) for key in zip(rows["window"], rows["model_version"], strict=True)]
        rows = rows.assign(x=x).dropna(subset=["x"]).sort_values("x")
        for metric, points in rows.groupby("metric", sort=False):
            line = axes.plot(points["x"], points["value"], marker="o", markersize=3, label=str(metric))[0]
            bad = points[points["breached"]]
            axes.plot(bad["x"], bad["value"], "X", color=_BREACH, markersize=9)
            for edge in (lower, upper):
                if edge is not None and points[edge].notna().any():
                    axes.axhline(points[edge].dropna().iloc[0], color=line.get_color(), linestyle="--", lw=1)
        axes.set_title(str(panel), fontsize=10)
        _window_axis(axes, windows)
        axes.legend(fontsize=7, loc="upper left")
    for axes in list(grid.flat)[len(panels) :]:
        axes.set_visible(False)
    figure.tight_layout()
    return figure


def _positions(windows: pd.DataFrame) -> dict[tuple[str, int], int]:
    """The x position of each (window, model version)."""
    keys = zip(windows["window"], windows["model_version"], strict=True)
    return {(str(window), int(version)): i for i, (window, version) in enumerate(keys)}


def _window_axis(axes: Axes, windows: pd.DataFrame) -> None:
    step = max(1, len(windows) // 8)
    axes.set_xticks(range(0, len(windows), step), windows["label"][::step], fontsize=7)
    axes.set_xlim(-0.5, len(windows) - 0.5)


def _alerts_table(alerts: pd.DataFrame) -> str:
    if not len(alerts):
        return "<p>None.</p>"
    names = ("window", "version", "kind", "column", "metric", "value", "bound", "detected (UTC)")
    header = "".join(f"<th>{name}</th>" for name in names)
    ordered = alerts.sort_values(["window_start", "model_version", "kind", "column"])
    cells = pd.DataFrame(
        {
            "window": [
                window_label(str(window), pd.Timestamp(start))
                for window, start in zip(ordered["window"], ordered["window_start"], strict=True)
            ],
            **ordered[["model_version", "kind", "column", "metric"]].astype(str),
            "value": ordered["value"].map("{:.3g}".format),
            "bound": ordered["bound"].astype(str),
            "detected": pd.to_datetime(ordered["detected_at"], utc=True).dt.strftime("%Y-%m-%d %H:%M"),
        },
        index=ordered.index,
    )
    rows = [
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in cells.itertuples(index=False)
    ]
    return f"<table><tr>{header}</tr>{''.join(rows)}</table>"


def _pyplot() -> ModuleType:
    import matplotlib

    matplotlib.use("Agg")  # files only: no window, whatever the machine
    import matplotlib.pyplot as plt

    return plt


def _figure(figure: Figure) -> str:
    """The figure as inline SVG (text kept as text, ids stable across runs)."""
    plt = _pyplot()
    buffer = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "monitoring"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    svg = buffer.getvalue()
    return f"<figure>{svg[svg.index('<svg') :]}</figure>"
