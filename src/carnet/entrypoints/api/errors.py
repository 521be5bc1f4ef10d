"""The one place where Carnet errors become HTTP problem documents (RFC 9457)."""

from __future__ import annotations

import logging
import re
import traceback
from typing import TYPE_CHECKING

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from carnet.domain.errors import (
    AuthenticationError,
    CarnetError,
    ConflictError,
    CredentialError,
    InfrastructureError,
    LedgerError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

if TYPE_CHECKING:
    from fastapi import FastAPI, Request

__all__ = ["install_error_handlers", "problem"]

logger = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[CarnetError], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (ValidationError, 422),
    (CredentialError, 422),
    (LedgerError, 422),
    (InfrastructureError, 503),
)


def problem(
    status: int, code: str, title: str, *, field: str | None = None, **extra: object
) -> JSONResponse:
    """Build an ``application/problem+json`` response with a stable ``code``."""
    body: dict[str, object] = {"type": f"urn:carnet:error:{code}", "title": title}
    body.update(status=status, code=code)
    if field is not None:
        body["field"] = field
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None  # noqa: PLR2004
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def _status_of(exc: CarnetError) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 400


async def _carnet_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CarnetError)  # noqa: S101 - registered for CarnetError only
    if isinstance(exc, InfrastructureError):
        logger.error("infrastructure failure: %s", exc.code)
    return problem(_status_of(exc), exc.code, exc.message, field=exc.field)


# Pydantic adds the member type of a union to an error's location ("str", "int",
# "constrained-str", "function-after[...]"): not a field of the request.
_TYPE_TAG = re.compile(r"(str|int|bool|float|bytes|none|constrained-[a-z]+|[a-z-]+\[.*\])")


def _field_of(loc: list[str]) -> str | None:
    """The innermost request field of an error's location, skipping union type tags."""
    names = [part for part in loc if not _TYPE_TAG.fullmatch(part)]
    return names[-1] if names else None


async def _request_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it only
    # Report where and what kind of error, never the offending value (it may be PII).
    errors = [
        {"loc": [str(p) for p in err.get("loc", ())], "type": err.get("type", "invalid")}
        for err in exc.errors()
    ]
    first = _field_of(errors[0]["loc"]) if errors else None
    return problem(422, "validation_error", "the request is malformed", field=first, errors=errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (unknown route, wrong method) as problem documents too."""
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it only
    codes = {404: "not_found", 405: "method_not_allowed"}
    code = codes.get(exc.status_code, "http_error")
    title = {404: "no such resource", 405: "this method is not allowed here"}.get(
        exc.status_code, "the request could not be served"
    )
    response = problem(exc.status_code, code, title)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    # The traceback's frames, never the exception's message: database drivers put
    # the offending parameter values (personal data) into their messages.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("unexpected %s\n%s", type(exc).__name__, frames)
    return problem(500, "internal_error", "an unexpected error occurred")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(CarnetError, _carnet_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
