"""Every request the local server answers, logged to the endpoint's payload table as Databricks' AI Gateway
logs it: the raw request and response, when, how long, which served entity, the status.

Off the request path: a request only appends a tuple to a queue; a background thread writes the queue to
the Delta table every second (sooner when it fills up), and a clean shutdown writes what is left, so no
logged request is lost.
"""

from __future__ import annotations

import getpass
import logging
import threading
from collections import deque
from datetime import datetime

import pandas as pd

from ..platform.base import Tables
from ..platform.endpoints import PAYLOAD_COLUMNS

log = logging.getLogger(__name__)
WRITER = "serve"
FLUSH_SECONDS = 1.0
FLUSH_ROWS = 2000
"""Logged requests that wake the writer before its second is up."""
LoggedRequest = tuple[str, str | None, datetime, int, int, bytes, bytes, str]
"""Request id, client request id, when (UTC), status, milliseconds, request, response, served entity."""


class RequestLog:
    def __init__(self, tables: Tables, table: str) -> None:
        self.tables = tables
        self.table = table
        self.requester = getpass.getuser()
        self._queue: deque[LoggedRequest] = deque()
        self._unwritten: list[LoggedRequest] = []
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="request-log", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def record(self, entry: LoggedRequest) -> None:
        """Queue one answered request (thread-safe, a few microseconds)."""
        self._queue.append(entry)
        if len(self._queue) >= FLUSH_ROWS:
            self._wake.set()

    def close(self) -> None:
        """Stop the writer and write everything still queued."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()
        self.flush()
        if self._unwritten:
            log.error("%d logged requests could not be written to %s", len(self._unwritten), self.table)

    def flush(self) -> int:
        """Write the queued requests in one append; returns how many. A failed write keeps them queued."""
        entries, self._unwritten = self._unwritten, []
        while self._queue:
            entries.append(self._queue.popleft())
        if not entries:
            return 0
        try:
            self.tables.append(self.table, self._frame(entries), writer=WRITER)
        except Exception:  # a full disk or a locked table must not stop the server: try again
            log.exception("could not write %d logged requests to %s", len(entries), self.table)
            self._unwritten = entries
            return 0
        return len(entries)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            self.flush()

    def _frame(self, entries: list[LoggedRequest]) -> pd.DataFrame:
        ids, clients, times, statuses, durations, requests, responses, entities = zip(*entries, strict=True)
        at = pd.to_datetime(pd.Series(times), utc=True).dt.as_unit("us")
        frame = pd.DataFrame(
            {
                "request_date": at.dt.date,
                "databricks_request_id": pd.array(ids, dtype="string"),
                "client_request_id": pd.array(clients, dtype="string"),
                "request_time": at,
                "status_code": pd.array(statuses, dtype="int32"),
                "execution_duration_ms": pd.array(durations, dtype="int64"),
                "request": pd.array([body.decode("utf-8", "replace") for body in requests], dtype="string"),
                "response": pd.array([body.decode("utf-8", "replace") for body in responses], dtype="string"),
                "served_entity_id": pd.array(entities, dtype="string"),
                "requester": pd.array([self.requester] * len(entries), dtype="string"),
            }
        )
        return frame[list(PAYLOAD_COLUMNS)]
