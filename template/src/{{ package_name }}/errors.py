"""Mistakes a user can fix: one exception type, and the library errors that mean one."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .platform.base import ProblemSummary


class MLOpsError(Exception):
    """A problem with configuration, data or registry state, with a message that says how to fix it.

    The CLI prints the message without a traceback and exits non-zero.
    """


class DuplicateKeysError(MLOpsError):
    def __init__(self, table: str, key: str, counts: dict[object, int]) -> None:
        examples = ", ".join(f"{value!r} ({count}x)" for value, count in list(counts.items())[:5])
        extra = sum(counts.values()) - len(counts)
        super().__init__(
            f"{table} has {len(counts):,} {key} values that occur more than once ({extra:,} extra rows), "
            f"e.g. {examples}; nothing was scored"
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
