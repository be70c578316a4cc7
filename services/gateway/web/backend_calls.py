"""Pages calling the backend services as the signed-in user, the way the public API does."""

from typing import Any

import httpx
from fastapi import HTTPException, Request, status

from services.gateway.backends import Backends, origin
from services.gateway.identity import signed_identity
from services.gateway.tables import User


async def ask(
    request: Request, user: User, service: str, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    """One call to `service` with `user`'s signed identity; the answer as it comes."""
    backends: Backends = request.app.state.backends
    identity = await signed_identity(request, user)
    headers = {**origin(request), **kwargs.pop("headers", {})}
    return await backends.request(
        service, method, path, identity=identity, headers=headers, **kwargs
    )


async def read(request: Request, user: User, service: str, path: str, **params: Any) -> Any:
    """A GET whose JSON the page needs: 404 stays 404, any other failure is an error."""
    answer = await ask(request, user, service, "GET", path, params=params)
    if answer.status_code == 404:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "not found")
    answer.raise_for_status()
    return answer.json()
