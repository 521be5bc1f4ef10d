"""A monitor's view of a log over HTTP: ``carnet audit monitor --api URL``.

Reads the public endpoints only (``GET /ledger/checkpoint``, ``/ledger/key`` and
``/ledger/proofs/consistency``), so a monitor needs no account. httpx is imported
here only, so the rest of Carnet does not depend on it.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from carnet.domain.errors import InfrastructureError, ProofError

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Self

__all__ = ["HttpClient", "HttpLogSource"]

_TIMEOUT = 10.0
_OK = 200


class HttpResponse(Protocol):
    """What the source reads of a response."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        ...

    @property
    def text(self) -> str:
        """The body as text."""
        ...

    def json(self) -> Any:  # noqa: ANN401 - whatever JSON the body holds
        """The body as JSON."""
        ...


class HttpClient(Protocol):
    """An httpx-style client with a base URL (``httpx.Client``, a test client)."""

    def get(self, url: str, *, params: dict[str, int] | None = None) -> HttpResponse:
        """Send a GET request."""
        ...

    def close(self) -> None:
        """Release the connections."""
        ...


class HttpLogSource:
    """Implements :class:`~carnet.services.audit.LogSource` over a Carnet API.

    Raises (from every method):
        InfrastructureError: the API cannot be reached or answers with an error.
    """

    def __init__(self, client: HttpClient) -> None:
        self._client = client

    @classmethod
    def connect(cls, base_url: str) -> HttpLogSource:
        """Open a client for the API at ``base_url``."""
        return cls(httpx.Client(base_url=base_url, timeout=_TIMEOUT))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._client.close()

    def _get(self, path: str, params: dict[str, int] | None = None) -> HttpResponse:
        try:
            response = self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise InfrastructureError(
                f"the log API cannot be reached ({type(exc).__name__})"
            ) from exc
        if response.status_code != _OK:
            raise InfrastructureError(f"the log API answered {response.status_code} for {path}")
        return response

    def checkpoint(self) -> str:
        """Return the latest signed checkpoint note."""
        return self._get("/ledger/checkpoint").text

    def verifier_key(self) -> str:
        """Return the verifier key the log publishes."""
        return self._get("/ledger/key").text.strip()

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Return the consistency proof from ``first`` to ``second``.

        Raises:
            ProofError: the answer is not a proof.
        """
        body = self._get("/ledger/proofs/consistency", {"first": first, "second": second}).json()
        try:
            return [base64.b64decode(h, validate=True) for h in body["hashes"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise ProofError("the log API's consistency proof is malformed") from exc
