"""Stopping a worker: let its tasks in flight finish, cancel the late ones."""

from __future__ import annotations

import asyncio


async def finish_tasks(tasks: set[asyncio.Task[None]], timeout: float) -> None:
    if not tasks:
        return
    _done, late = await asyncio.wait(set(tasks), timeout=timeout)
    for task in late:
        task.cancel()
    if late:
        await asyncio.wait(late)
