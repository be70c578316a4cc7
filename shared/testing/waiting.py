"""Waiting for something that happens asynchronously, with a deadline instead of a fixed sleep."""

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


@overload
async def eventually(
    check: Callable[[], Awaitable[T]], *, timeout: float = ..., interval: float = ...
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T], *, timeout: float = ..., interval: float = ...
) -> T: ...


async def eventually(
    check: Callable[[], Any],
    *,
    timeout: float = 5.0,
    interval: float = 0.02,
) -> Any:
    """Call `check` until it returns something truthy; return that, or fail after `timeout` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(
                f"not true within {timeout} s: {getattr(check, '__name__', check)}"
            )
        await asyncio.sleep(interval)


def eventually_sync(check: Callable[[], T], *, timeout: float = 5.0, interval: float = 0.02) -> T:
    """`eventually` for code that runs no event loop: processes, browser tests."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not true within {timeout} s: {getattr(check, '__name__', check)}"
            )
        time.sleep(interval)
