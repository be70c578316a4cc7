"""Waiting for something that happens asynchronously, with a deadline instead of a fixed sleep."""

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    check: Callable[[], T | Awaitable[T]],
    *,
    timeout: float = 5.0,  # noqa: ASYNC109  (a deadline for polling, not a cancellation)
    interval: float = 0.02,
) -> T:
    """Call `check` until it returns something truthy; return that, or fail after `timeout` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result  # type: ignore[return-value]
        if loop.time() > deadline:
            raise AssertionError(
                f"not true within {timeout} s: {getattr(check, '__name__', check)}"
            )
        await asyncio.sleep(interval)
