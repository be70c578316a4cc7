"""`/api/auth`: bearer tokens for the password form, sign-out, personal API tokens."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from services.gateway.identity import CurrentUser, client_address, presented_token
from services.gateway.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenPublic,
    TokenAnswer,
)
from services.gateway.usecases import auth
from shared.deps import Sessions

router = APIRouter(prefix="/api/auth", tags=["auth"])

WRONG_CREDENTIALS = "wrong e-mail or password"


@router.post("/token")
async def token(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], sessions: Sessions
) -> TokenAnswer:
    """OAuth2 password flow: `username` (the e-mail) and `password` give a bearer token.

    Five failures for one e-mail from one address, or twenty from one address, answer 429
    for 15 minutes."""
    try:
        _, access_token = await auth.sign_in(
            sessions,
            email=form.username,
            password=form.password,
            address=client_address(request),
        )
    except auth.InvalidCredentials:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, WRONG_CREDENTIALS, headers={"WWW-Authenticate": "Bearer"}
        ) from None
    except auth.Throttled as throttled:
        raise too_many_attempts(throttled) from None
    return TokenAnswer(access_token=access_token)


def too_many_attempts(throttled: auth.Throttled) -> HTTPException:
    seconds = int(throttled.retry_after.total_seconds())
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        "too many failed sign-ins; try again later",
        headers={"Retry-After": str(seconds)},
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, _: CurrentUser, sessions: Sessions) -> Response:
    """End the session or bearer token this request was made with."""
    await auth.sign_out(sessions, presented_token(request) or "")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
async def create_api_token(
    body: ApiTokenCreate, user: CurrentUser, sessions: Sessions
) -> ApiTokenCreated:
    api_token, secret = await auth.create_api_token(sessions, user_id=user.id, name=body.name)
    return ApiTokenCreated(**ApiTokenPublic.model_validate(api_token).model_dump(), token=secret)


@router.get("/tokens")
async def list_api_tokens(user: CurrentUser, sessions: Sessions) -> list[ApiTokenPublic]:
    tokens = await auth.list_api_tokens(sessions, user_id=user.id)
    return [ApiTokenPublic.model_validate(api_token) for api_token in tokens]


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_token(token_id: UUID, user: CurrentUser, sessions: Sessions) -> Response:
    await auth.revoke_api_token(sessions, user_id=user.id, token_id=token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
