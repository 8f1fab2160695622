"""The local endpoint: an ASGI app that answers the scoring protocol with the versions its routes name.

Routes: ``POST /invocations`` and ``POST /serving-endpoints/<name>/invocations`` score; ``GET /ping`` and
``GET /health`` say the process is up; ``GET /ready`` says which versions answer (503 until one does). Every
answer names the version that gave it (headers ``served-model-name`` and ``served-model-version``).

A background thread watches the endpoint's routes; when they change it loads the new versions, off the
request path, and swaps in a new immutable router at once: a request in flight finishes with the version it
started with, and no request is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from uuid import uuid4

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..inference.model import load_model
from ..platform import Platform
from ..platform.endpoints import Routes
from ..settings import Settings
from .log import RequestLog
from .models import Router, ServedModel
from .protocol import CSV, JSON, Payload, PayloadError, error_document, from_csv, from_document, media_type
from .routes import endpoint_name, payload_table

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5
"""How often the server looks for new routes."""


class Endpoint:
    """The server's state: the router that answers, replaced whole when the routes change."""

    def __init__(
        self, settings: Settings, platform: Platform, draw: Callable[[], float] = random.random
    ) -> None:
        self.settings = settings
        self.platform = platform
        self.name = endpoint_name(settings.target)
        self.log = RequestLog(platform.tables, payload_table(settings))
        self.router: Router | None = None
        self._draw = draw
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="route-watcher", daemon=True)

    def refresh(self) -> bool:
        """Serve the endpoint's current routes, if they changed: load the versions not loaded yet, then swap
        the router in. Returns whether it swapped."""
        routes = self.platform.endpoints.routes(self.name)
        if routes is None or (self.router is not None and routes == self.router.routes):
            return False
        self.router = Router(routes, self._models(routes))
        log.info("endpoint %s now serves %s", self.name, routes.describe())
        return True

    def start(self) -> None:
        self.refresh()
        self.log.start()
        self._watcher.start()

    def stop(self) -> None:
        self._stopping.set()
        self._watcher.join()
        self.log.close()

    async def invocations(self, request: Request) -> Response:
        if "name" in request.path_params and request.path_params["name"] != self.name:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", f"no endpoint {request.path_params['name']} here")
        router = self.router
        if router is None:
            return _error(503, "TEMPORARILY_UNAVAILABLE", f"endpoint {self.name} has no routes yet")
        started, at = time.perf_counter(), datetime.now(UTC)
        body = await request.body()
        served = router.pick(self._draw() * 100)
        client_request_id = None
        try:
            payload = _payload(body, request.headers.get("content-type"))
            client_request_id = payload.client_request_id
            predictions = served.score(payload)
            status, content = (
                200,
                orjson.dumps({"predictions": predictions}, option=orjson.OPT_SERIALIZE_NUMPY),
            )
        except PayloadError as error:
            status, content = error.status, orjson.dumps(error_document(error))
        except Exception:  # a bug, not the client's mistake: answered (and logged) as one
            log.exception("endpoint %s failed on a request", self.name)
            status, content = 500, orjson.dumps({"error_code": "INTERNAL_ERROR", "message": "scoring failed"})
        request_id = str(uuid4())
        milliseconds = round((time.perf_counter() - started) * 1000)
        self.log.record(
            (request_id, client_request_id, at, status, milliseconds, body, content, served.entity)
        )
        headers = {
            "served-model-name": served.entity,
            "served-model-version": served.version,
            "x-request-id": request_id,
        }
        return Response(content, status, headers, media_type=JSON)

    async def ready(self, request: Request) -> Response:
        router = self.router
        if router is None:
            return _error(503, "TEMPORARILY_UNAVAILABLE", f"endpoint {self.name} has no routes yet")
        served = [
            {"version": r.version, "traffic_percentage": r.traffic_percentage} for r in router.routes.served
        ]
        return Response(orjson.dumps({"endpoint": self.name, "served": served}), media_type=JSON)

    def _models(self, routes: Routes) -> dict[str, ServedModel]:
        loaded = {served.version: served for served in self.router.served} if self.router else {}
        tolerance = self.settings.data.range_tolerance
        return {
            route.version: loaded.get(route.version)
            or ServedModel(
                routes.entity_name(route.version),
                load_model(self.platform.registry, route.version),
                tolerance,
            )
            for route in routes.served
        }

    def _watch(self) -> None:
        while not self._stopping.wait(POLL_SECONDS):
            try:
                self.refresh()
            except Exception:  # a half-written registry or a version that fails to load: keep serving
                log.exception("endpoint %s keeps its routes: the new ones could not be loaded", self.name)


def create_app(
    settings: Settings, platform: Platform, draw: Callable[[], float] = random.random
) -> Starlette:
    """The endpoint as an ASGI app; its lifespan loads the routes, then watches them and logs requests."""
    endpoint = Endpoint(settings, platform, draw)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await asyncio.to_thread(endpoint.start)
        try:
            yield
        finally:
            await asyncio.to_thread(endpoint.stop)

    async def alive(request: Request) -> Response:
        return Response(orjson.dumps({"status": "ok"}), media_type=JSON)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        code = {404: "RESOURCE_DOES_NOT_EXIST", 405: "BAD_REQUEST"}.get(error.status_code, "BAD_REQUEST")
        return _error(error.status_code, code, f"{request.method} {request.url.path}: {error.detail}")

    app = Starlette(
        routes=[
            Route("/invocations", endpoint.invocations, methods=["POST"]),
            Route("/serving-endpoints/{name}/invocations", endpoint.invocations, methods=["POST"]),
            Route("/ping", alive, methods=["GET"]),
            Route("/health", alive, methods=["GET"]),
            Route("/ready", endpoint.ready, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    app.state.endpoint = endpoint
    return app


def _payload(body: bytes, content_type: str | None) -> Payload:
    if media_type(content_type) == CSV:
        try:
            return from_csv(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise PayloadError("the request is not valid UTF-8") from None
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise PayloadError(f"the request is not valid JSON (UTF-8): {error}") from None
    return from_document(document)


def _error(status: int, code: str, message: str) -> Response:
    return Response(orjson.dumps({"error_code": code, "message": message}), status, media_type=JSON)
