"""``send-requests``: the endpoint's clients, for trying it and for the demo. Records are sent over HTTP as
``dataframe_split`` requests of the scoring protocol to the local endpoint, served in this process for the
occasion (``serve``'s app on a free port) and stopped once they are answered, which writes its request log.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass

import orjson
import pandas as pd
import uvicorn

from ..errors import MLOpsError
from ..platform import Platform
from ..settings import Settings
from .app import create_app
from .routes import endpoint_name
from .server import local_routes

REQUEST_RECORDS = 100
"""Records per request."""
START_SECONDS = 60
"""How long the endpoint may take to load its versions."""


@dataclass(frozen=True)
class SentRequests:
    endpoint: str
    records: int
    requests: int
    answered_by: dict[str, int]
    """Records answered by each model version."""


def send_requests(settings: Settings, platform: Platform, records: pd.DataFrame) -> SentRequests:
    """Send ``records`` to the environment's local endpoint; a refused request stops the sending."""
    local_routes(settings, platform, "send-requests")
    config = uvicorn.Config(
        create_app(settings, platform), host="127.0.0.1", port=0, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="endpoint", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise MLOpsError(f"the local endpoint did not start; `serve --env {settings.env}` shows why")
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        answered_by = _send(port, records)
    finally:
        server.should_exit = True  # stops gracefully: requests in flight, then the request log
        thread.join()
    requests = -(-len(records) // REQUEST_RECORDS)
    return SentRequests(endpoint_name(settings.target), len(records), requests, dict(answered_by))


def _send(port: int, records: pd.DataFrame) -> Counter[str]:
    answered_by: Counter[str] = Counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for start in range(0, len(records), REQUEST_RECORDS):
            chunk = records.iloc[start : start + REQUEST_RECORDS]
            body = orjson.dumps({"dataframe_split": chunk.to_dict(orient="split", index=False)})
            connection.request("POST", "/invocations", body, {"content-type": "application/json"})
            response = connection.getresponse()
            answer = response.read()
            if response.status != 200:
                message = orjson.loads(answer).get("message", answer.decode())
                raise MLOpsError(f"the endpoint refused a request ({response.status}): {message}")
            answered_by[response.getheader("served-model-version") or "?"] += len(chunk)
    finally:
        connection.close()
    return answered_by
