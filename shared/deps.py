"""FastAPI dependencies every service uses."""

from typing import Annotated

from fastapi import Depends, Request

from shared.db import SessionFactory


async def session_factory(request: Request) -> SessionFactory:
    sessions: SessionFactory = request.app.state.sessions
    return sessions


Sessions = Annotated[SessionFactory, Depends(session_factory)]
