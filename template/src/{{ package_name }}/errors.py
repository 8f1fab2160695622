"""Mistakes a user can fix: one exception type, and the library errors that mean one."""

from __future__ import annotations


class MLOpsError(Exception):
    """A problem with configuration, data or registry state, with a message that says how to fix it.

    The CLI prints the message without a traceback and exits non-zero.
    """


def explain(error: Exception) -> str | None:
    """What a library error that is not a bug means for the user, in one line; None for anything else."""
    if "database is locked" in str(error):
        return (
            "the local MLflow database stayed locked by another process (it was retried); "
            "run the command again when that process has finished"
        )
    return None
