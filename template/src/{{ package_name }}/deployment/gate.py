"""The promotion rule, free of I/O so it can be tested exhaustively."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..training.metrics import Metric


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str


def decide(
    validation_status: str | None,
    challenger: float,
    reference: float,
    reference_name: str,
    metric: Metric,
    min_improvement: float,
) -> Decision:
    """Promote only a PASSED challenger that beats the reference (the champion, or the baseline when there is
    no champion) by more than nothing and by at least ``min_improvement`` (relative)."""
    if validation_status != "PASSED":
        return Decision(False, f"validation status is {validation_status or 'missing'}, not PASSED")
    if not math.isfinite(challenger):
        return Decision(False, f"challenger {metric.name} is {challenger}")
    if not math.isfinite(reference):
        return Decision(True, f"{reference_name} {metric.name} is {reference}; challenger {challenger:.4f}")
    gain = metric.improvement(challenger, reference)
    comparison = f"{metric.name} {challenger:.4f} vs {reference_name} {reference:.4f} ({gain:+.2%})"
    if gain > 0 and gain >= min_improvement:
        return Decision(True, f"challenger wins: {comparison}")
    return Decision(False, f"challenger does not improve enough (needs {min_improvement:+.2%}): {comparison}")
