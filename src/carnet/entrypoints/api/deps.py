"""FastAPI dependencies: the container, the bearer principal, and declared permissions.

Every endpoint declares the permission it needs with :func:`require`; the
permission is also published in the OpenAPI document as ``x-permission`` so
that clients and the authorization-matrix test can read it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

# FastAPI resolves dependency annotations at run time, so these imports cannot
# live under TYPE_CHECKING.
from carnet.bootstrap import Container
from carnet.domain.errors import AuthenticationError
from carnet.domain.officials import Permission, Principal
from carnet.services import auth

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ContainerDep", "bearer_token", "get_container", "get_principal", "require"]

_bearer = HTTPBearer(auto_error=False)


def get_container(request: Request) -> Container:
    """Return the process's container, stored on the app at start-up."""
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Return the bearer token of the request.

    Raises:
        AuthenticationError: no bearer token.
    """
    if credentials is None or not credentials.credentials:
        raise AuthenticationError("sign in first: no bearer token")
    return credentials.credentials


def get_principal(
    container: Annotated[Container, Depends(get_container)],
    token: Annotated[str, Depends(bearer_token)],
) -> Principal:
    """Resolve the bearer token into the official behind the request."""
    return auth.authenticate(container.uow(), token, clock=container.clock)


def require(permission: Permission | None) -> Callable[..., Principal]:
    """Return a dependency that authenticates and checks ``permission``.

    ``None`` means "any signed-in official" (for example, reading one's own account).
    """

    def dependency(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if permission is not None:
            principal.require(permission)
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency
