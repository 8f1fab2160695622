"""Processes on this machine: who is alive, and locks between them, with ``flock`` on files in the lakehouse.

Each process holds an exclusive lock on its own file in ``<lakehouse>/processes/`` for as long as it lives;
the operating system releases it when the process ends, however it ends. So a token names a live process
exactly while its file is locked — no pid that could be reused, no clock, no cleanup needed.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import shlex
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar
from uuid import uuid4

from ...errors import MLOpsError

_POLL_SECONDS = 0.2


class LocalProcesses:
    _of_root: ClassVar[dict[tuple[Path, int], LocalProcesses]] = {}

    def __init__(self, root: Path) -> None:
        self.root = root
        self.token = uuid4().hex
        (root / "alive").mkdir(parents=True, exist_ok=True)
        (root / "locks").mkdir(parents=True, exist_ok=True)
        self._alive = os.open(self._alive_path(self.token), os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._alive, fcntl.LOCK_EX)

    @classmethod
    def of(cls, root: Path) -> LocalProcesses:
        """This process's liveness in ``root`` (one per process: every ``connect`` shares it)."""
        key = (root.resolve(), os.getpid())
        if key not in cls._of_root:
            cls._of_root[key] = cls(root)
        return cls._of_root[key]

    def is_alive(self, token: str) -> bool:
        path = self._alive_path(token)
        try:
            descriptor = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(descriptor)
        path.unlink(missing_ok=True)  # its process is gone: nobody needs the file any more
        return False

    @contextmanager
    def lock(self, name: str, wait_seconds: float) -> Iterator[None]:
        path = self.root / "locks" / f"{name.replace('/', '_')}.lock"
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + wait_seconds
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        holder = path.read_text().strip() or "another process"
                        raise MLOpsError(
                            f"{name} is busy: {holder} holds it (waited {wait_seconds:.0f} s); "
                            "run again when it has finished"
                        ) from None
                    time.sleep(_POLL_SECONDS)
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, _describe_self().encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(descriptor, 0)
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)

    def actor(self) -> str:
        return getpass.getuser()

    def _alive_path(self, token: str) -> Path:
        return self.root / "alive" / f"{token}.lock"


def _describe_self() -> str:
    command = shlex.join([Path(sys.argv[0]).name, *sys.argv[1:3]]) if sys.argv else "python"
    return f"`{command}` (pid {os.getpid()}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC)"
