"""Alerts: the metrics that breach their bounds, one row each, kept with the window they belong to.

An alert is identified by its window, model version, kind, column and metric. Recomputing a window keeps the
time its alerts were first detected; only alerts not recorded before are *new*, and only new ones notify
people and start retraining, however often a window is recomputed.
"""

from __future__ import annotations

import pandas as pd

ALERT_COLUMNS = {
    "window": "string",
    "window_start": "datetime64[us, UTC]",
    "model_version": "int64",
    "kind": "string",
    "column": "string",
    "metric": "string",
    "value": "float64",
    "bound": "string",
    "detected_at": "datetime64[us, UTC]",
}
IDENTITY = ["window", "model_version", "kind", "column", "metric"]


def alerts_of(drift: pd.DataFrame, performance: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """A row per breached metric, detected ``now``."""
    drifted = drift[drift["breached"]]
    drift_alerts = drifted.assign(kind="drift", bound=_bound(">", drifted["threshold"]))
    failing = performance[performance["breached"]]
    below = failing["value"] < failing["lower"]
    bound = _bound("<", failing["lower"]).where(below, _bound(">", failing["upper"]))
    performance_alerts = failing.assign(kind="performance", column="", bound=bound)
    columns = list(ALERT_COLUMNS)
    parts = [alerts.assign(detected_at=now)[columns] for alerts in (drift_alerts, performance_alerts)]
    found = [part for part in parts if len(part)]  # concatenating empty frames is deprecated
    alerts = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=columns)
    return alerts.astype(ALERT_COLUMNS)


def _bound(comparison: str, values: pd.Series) -> pd.Series:
    """E.g. ``> 0.2``: the bound a value crossed."""
    return f"{comparison} " + values.map("{:g}".format).astype("string")


def since_first_detected(alerts: pd.DataFrame, earlier: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``alerts`` with the detection time of those recorded ``earlier``, and the new ones alone."""
    known = earlier[[*IDENTITY, "detected_at"]].astype({k: ALERT_COLUMNS[k] for k in IDENTITY})
    merged = alerts.drop(columns="detected_at").merge(
        known.rename(columns={"detected_at": "earlier"}), on=IDENTITY, how="left"
    )
    is_new = merged["earlier"].isna().to_numpy()
    kept = alerts.assign(detected_at=merged["earlier"].where(~is_new, alerts["detected_at"]).to_numpy())
    kept = kept.astype(ALERT_COLUMNS)
    return kept, kept[is_new].reset_index(drop=True)


def describe(alerts: pd.DataFrame) -> list[str]:
    """One line per window and version: what breached, e.g. ``tenure_months psi 0.61 > 0.2``."""
    lines = []
    for (window, version), group in alerts.groupby(["window", "model_version"], sort=False):
        what = group[["column", "metric", "value", "bound"]].itertuples(index=False)
        breaches = [
            f"{column} {metric} {value:.3g} {bound}".lstrip() for column, metric, value, bound in what
        ]
        lines.append(f"window {window}, version {version}: {'; '.join(breaches)}")
    return lines
