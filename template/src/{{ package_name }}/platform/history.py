"""The registered model's history: an append-only Delta table of every decision on every version.

Version tags in the registry say where a version stands now (``model_validation_status``, the last deployment
decision); this table says how it got there — who validated, promoted, approved or rolled back which version,
when, and why — and is never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from .base import Tables

WRITER = "model-history"


@dataclass(frozen=True)
class ModelHistory:
    tables: Tables
    table: str
    """``<catalog>.<schema>.<model>_history``"""
    model: str

    def record(self, version: str, event: str, detail: str, actor: str) -> None:
        import pandas as pd

        row = {
            "model": self.model,
            "version": int(version),
            "event": event,
            "detail": detail,
            "actor": actor,
            "at": pd.Timestamp(datetime.now(UTC)).as_unit("us"),
        }
        self.tables.append(self.table, pd.DataFrame([row]), writer=WRITER)

    def events(self, version: str | None = None) -> pd.DataFrame:
        """Every event (of one version), oldest first."""
        import pandas as pd

        if not self.tables.exists(self.table):
            return pd.DataFrame(columns=["model", "version", "event", "detail", "actor", "at"])
        events = self.tables.read(self.table)
        events = events[events["model"] == self.model]
        if version is not None:
            events = events[events["version"] == int(version)]
        return events.sort_values("at", kind="stable").reset_index(drop=True)
