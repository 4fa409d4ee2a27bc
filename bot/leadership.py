"""One leader at a time among the instances of a deployment (the outreach pacer).

Every instance asks ``lead()`` about once a second: the leader to keep leading, the
others to take over. On PostgreSQL the leader holds an advisory lock on a connection
of its own; it is free the moment the leader's process dies, or, if its machine is
lost, ``lease_seconds`` after its last ping. On SQLite the lease is a row, renewed by
each ``lead()``: a holder on this host whose process is gone is taken over at once,
one on another host when its lease has expired. See ``bot/storage/leaders.py``.

Processes are named ``host:pid`` (``runner_id``), as in the campaign leases.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time

from .clock import Clock, iso
from .storage import Database
from .storage import leaders as store

log = logging.getLogger(__name__)

LEASE_SECONDS = 5.0


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def alive_here(runner: str | None) -> bool | None:
    """For a runner on this host: is its process alive? None for another host."""
    if not runner:
        return None
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Leadership:
    """Whether this process leads ``name`` among the instances on ``db``."""

    def __init__(self, db: Database, name: str, clock: Clock, *,
                 holder: str | None = None, lease_seconds: float = LEASE_SECONDS) -> None:
        self.db = db
        self.name = name
        self.holder = holder or runner_id()
        self.lease_seconds = lease_seconds
        self._clock = clock
        self._lock = (store.AdvisoryLock(db.path, name, lease_seconds)
                      if db.dialect == "postgresql" else None)
        self.leading = False
        self._renewed = 0.0  # monotonic time of the last SQLite lease renewal

    async def lead(self) -> bool:
        """Become or stay the leader if we may; True while we lead."""
        was = self.leading
        try:
            self.leading = await self._take()
        except Exception as exc:  # the database: not the leader until it answers
            log.error("%s leadership: %s", self.name, type(exc).__name__)
            self.leading = False
        if self.leading != was:
            log.warning("%s: this instance %s", self.name,
                        "leads now" if self.leading else "no longer leads")
        return self.leading

    async def _take(self) -> bool:
        now = self._clock()
        until = iso(now + dt.timedelta(seconds=self.lease_seconds))
        if self._lock is not None:
            fresh = not self._lock.held
            if not await self._lock.hold():
                return False
            if fresh:
                await store.record(self.db, self.name, self.holder, iso(now), until)
            return True
        if self.leading and time.monotonic() - self._renewed < self.lease_seconds / 3:
            return True  # renewed a moment ago: no write each second
        row = await store.current(self.db, self.name)
        holder = row["holder"] if row else None
        dead = holder if holder != self.holder and alive_here(holder) is False else None
        taken = await store.take_lease(self.db, self.name, self.holder, iso(now), until, dead)
        if taken:
            self._renewed = time.monotonic()
        return taken

    async def resign(self) -> None:
        """Stop leading now, so that another instance takes over without waiting."""
        if self._lock is not None:
            await self._lock.release()
        elif self.leading:
            try:
                await store.drop(self.db, self.name, self.holder, iso(self._clock()))
            except Exception as exc:  # the lease runs out by itself
                log.error("%s leadership not given up: %s", self.name, type(exc).__name__)
        self.leading = False
