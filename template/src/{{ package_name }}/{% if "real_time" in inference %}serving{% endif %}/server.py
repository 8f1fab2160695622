"""``serve``: the local endpoint on uvicorn, in one or more worker processes.

Each worker scores on one thread (a request's rows are too few to share across cores; workers use the
cores), loads the routes, watches them and logs its requests. uvicorn stops a worker gracefully: it finishes
the requests in flight, then the app's shutdown writes the requests still queued for the log.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..bundle import TARGET_OPTIONS
from ..errors import MLOpsError
from ..platform import Platform, connect
from ..platform.endpoints import Routes
from ..settings import Settings, load_settings
from .routes import endpoint_for, endpoint_name, payload_table

if TYPE_CHECKING:
    from starlette.applications import Starlette

_SETTINGS = f"{__package__.split('.')[0].upper()}_SERVE_SETTINGS"
"""How the serving process hands the workers its settings."""
_APP = f"{__package__}.server:app_from_environment"


def serve(settings: Settings, host: str, port: int, workers: int, say: Callable[[str], None]) -> None:
    """Serve the environment's endpoint on ``host:port`` until interrupted."""
    try:
        import uvicorn
    except ImportError:
        raise MLOpsError(
            "serve needs the serving dependency group (Starlette, uvicorn): `uv sync --group serving`"
        ) from None

    name = endpoint_name(settings.target)
    platform = connect(settings, registry=True)
    routes = local_routes(settings, platform, "serve")
    say(f"[bold]serving[/] {routes.model}: {routes.describe()}")
    say(f"  POST http://{host}:{port}/serving-endpoints/{name}/invocations (or /invocations)")
    say(f"  requests are logged to {payload_table(settings)}; Ctrl+C stops the server")
    os.environ[_SETTINGS] = json.dumps(
        {"env": settings.env, "conf_dir": str(settings.conf_dir.resolve()), "target": vars(settings.target)}
    )
    uvicorn.run(
        _APP, factory=True, host=host, port=port, workers=workers, log_level="warning", access_log=False
    )


def app_from_environment() -> Starlette:
    """The app of one worker, for the settings ``serve`` handed down."""
    from threadpoolctl import threadpool_limits

    from .app import create_app

    threadpool_limits(limits=1)  # for the rest of the process: one OpenMP thread scores a request
    logging.getLogger(__package__).setLevel(logging.INFO)  # a swap of the served versions is news
    handed = json.loads(os.environ[_SETTINGS])
    passed = {option: handed["target"][option] for option in TARGET_OPTIONS}
    settings = load_settings(handed["env"], Path(handed["conf_dir"]), passed)
    return create_app(settings, connect(settings, registry=True))


def local_routes(settings: Settings, platform: Platform, command: str) -> Routes:
    """The routes of the local endpoint ``command`` serves; published from the registry's aliases if the
    deployment never did (a project that chose real-time serving after its champion was deployed)."""
    name = endpoint_name(settings.target)
    if platform.name != "local":
        raise MLOpsError(
            f"{command} serves the local endpoint; on Databricks, Model Serving serves endpoint {name}, "
            "which the deployment job publishes"
        )
    routes = platform.endpoints.routes(name)
    if routes is not None:
        return routes
    endpoint = endpoint_for(settings, platform.registry)
    platform.endpoints.publish(endpoint)
    return endpoint.routes
