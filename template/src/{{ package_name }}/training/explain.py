"""SHAP explanations of a trained pipeline: a summary plot and the mean |SHAP| value of every feature."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline


def explain(model: Pipeline, features: pd.DataFrame, out_dir: Path, max_rows: int = 500) -> pd.DataFrame:
    """Write ``shap_summary.png`` and ``shap_importance.csv`` to ``out_dir``; return the importance table."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import shap

    encoder, trees = model.named_steps["encode"], model.named_steps["model"]
    encoded = pd.DataFrame(
        encoder.transform(features.head(max_rows)), columns=encoder.get_feature_names_out()
    ).astype("float64")
    values = np.asarray(shap.TreeExplainer(trees).shap_values(encoded))
    importance = (
        pd.DataFrame({"feature": encoded.columns, "mean_abs_shap": np.abs(values).mean(axis=0)})
        .sort_values("mean_abs_shap", ascending=False)
        .reset_index(drop=True)
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    importance.to_csv(out_dir / "shap_importance.csv", index=False)
    shap.summary_plot(values, encoded, show=False, rng=np.random.default_rng(0))
    plt.tight_layout()
    plt.savefig(out_dir / "shap_summary.png", dpi=100)
    plt.close("all")
    return importance
