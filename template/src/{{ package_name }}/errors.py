"""The one exception type for mistakes a user can fix."""


class MLOpsError(Exception):
    """A problem with configuration, data or registry state, with a message that says how to fix it.

    The CLI prints the message without a traceback and exits non-zero.
    """
