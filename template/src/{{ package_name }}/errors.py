"""Mistakes a user can fix: one exception type, and the library errors that mean one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .platform.base import ProblemSummary


class MLOpsError(Exception):
    """A problem with configuration, data or registry state, with a message that says how to fix it.

    The CLI prints the message without a traceback and exits non-zero.
    """


class DuplicateKeysError(MLOpsError):
    def __init__(
        self, table: str, key: str, keys: int, extra_rows: int, examples: Mapping[object, int]
    ) -> None:
        """``keys`` values of ``key`` occur more than once, in ``extra_rows`` rows beyond their first;
        ``examples`` maps a few of them to their count."""
        listed = ", ".join(f"{value!r} ({count}x)" for value, count in examples.items())
        super().__init__(
            f"{table} has {keys:,} {key} values that occur more than once ({extra_rows:,} extra rows), "
            f"e.g. {listed}; nothing was scored"
        )


class OutOfContractError(MLOpsError):
    def __init__(self, table: str, summary: ProblemSummary) -> None:
        self.summary = summary
        super().__init__(
            f"{summary.bad_rows:,} of {summary.rows:,} rows of {table} are outside the model's input "
            f"contract; nothing was scored:\n{summary.table()}"
        )


def explain(error: Exception) -> str | None:
    """What a library error that is not a bug means for the user, in one line; None for anything else."""
    if "database is locked" in str(error):
        return (
            "the local MLflow database stayed locked by another process (it was retried); "
            "run the command again when that process has finished"
        )
    return None
