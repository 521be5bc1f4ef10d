"""The FastAPI application factory."""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute

from carnet.bootstrap import Container, bootstrap
from carnet.entrypoints.api.errors import install_error_handlers
from carnet.entrypoints.api.routers import (
    applications,
    documents,
    exports,
    ledger,
    officials,
    portal,
    reference,
    residents,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

    from fastapi.dependencies.models import Dependant
    from starlette.routing import BaseRoute

    from carnet.config import Settings

__all__ = ["create_app"]

access_log = logging.getLogger("carnet.access")


def _permission_of(dependant: Dependant) -> str:
    """Find the permission declared by a :func:`require` dependency, depth first."""
    for sub in dependant.dependencies:
        if sub.call is not None and hasattr(sub.call, "resident_only"):
            return "resident"
        if sub.call is not None and hasattr(sub.call, "permission"):
            permission = sub.call.permission
            return "authenticated" if permission is None else str(permission)
        found = _permission_of(sub)
        if found != "public":
            return found
    return "public"


def _publish_permissions(routes: Sequence[BaseRoute]) -> None:
    """Publish each route's declared permission in OpenAPI as ``x-permission``.

    Called on a router's own routes before it is included: FastAPI copies routes
    into the app when it includes a router, so they must carry the annotation first.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            route.openapi_extra = {
                **(route.openapi_extra or {}),
                "x-permission": _permission_of(route.dependant),
            }


def create_app(settings: Settings, container: Container | None = None) -> FastAPI:
    """Build the API for ``settings`` (or around an existing ``container``)."""
    owned = container is None
    box = container or bootstrap(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.container = box
        yield
        if owned:
            box.close()

    app = FastAPI(
        title="Carnet",
        version="0.1.0",
        summary="Identity documents end to end.",
        lifespan=lifespan,
    )
    app.state.container = box
    install_error_handlers(app)
    for module in (
        officials,
        reference,
        residents,
        exports,
        applications,
        documents,
        portal,
        ledger,
    ):
        _publish_permissions(module.router.routes)
        app.include_router(module.router)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    _publish_permissions(app.router.routes)

    @app.middleware("http")
    async def log_requests(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Log the route template (``/residents/{uin}``), never the concrete path or
        # query string: both can carry UINs and names.
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "<unmatched>")
        access_log.info(
            "%s %s %s %.1fms",
            request.method,
            template,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response

    return app
