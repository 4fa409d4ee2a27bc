"""Group commit for callers that arrive while a batch is being written."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Group commit: items submitted while one batch is being written go in the next.

    ``fn`` gets a list of items and returns one result per item, in order. If it
    raises for a batch of several items, each item is tried alone, so one bad item
    (a row the database refuses) fails only its own submitter, not its neighbours.
    """

    def __init__(self, fn: Callable[[list[T]], Awaitable[list[R]]]) -> None:
        self._fn = fn
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                results = await self._fn([item for item, _ in batch])
            except asyncio.CancelledError as exc:
                _fail(batch, exc)
                raise
            except Exception as exc:
                if len(batch) == 1:
                    _fail(batch, exc)
                else:
                    await self._one_by_one(batch)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _one_by_one(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        for item, future in batch:
            try:
                (result,) = await self._fn([item])
            except asyncio.CancelledError as exc:
                _fail(batch, exc)
                raise
            except Exception as exc:
                _fail([(item, future)], exc)
            else:
                if not future.done():
                    future.set_result(result)


def _fail(batch: list[tuple[T, asyncio.Future[R]]], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)
