"""Long reads (journal searches) in a worker thread, so the event loop answers others meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

T = TypeVar("T")


async def off_loop(function: Callable[..., T], *args: object) -> T:
    """`function(*args)` in a worker thread; inline where no event loop runs (the in-process
    transport drives some requests to their end without one, and nothing else waits there)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    return await run_in_threadpool(function, *args)
