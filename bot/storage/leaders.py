"""One leader at a time among the instances sharing a database (``bot/leadership.py``).

PostgreSQL: the leader holds a session advisory lock on a connection of its own,
outside the pool (a pooled connection is reset, and its lock dropped, when it goes
back). The server ends that session, and the lock with it, as soon as the process
dies (its socket closes), or when its machine is gone, after ``idle_session_timeout``
without the leader's ping. The ``leaders`` row only says who leads.

SQLite: the ``leaders`` row is the lease: taken when free, expired, ours, or held by a
process known to be dead; renewed while the leader runs.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

from . import Database, Row

CONNECT_SECONDS = 5.0  # to open the lock's connection, or to answer a ping


def lock_key(name: str) -> int:
    """The advisory lock's key for ``name`` (a stable 63-bit number)."""
    return 0x6C6561_000000_00 | zlib.crc32(f"casecheck-leader:{name}".encode())


class AdvisoryLock:
    """A PostgreSQL session advisory lock on a dedicated connection, pinged while held."""

    def __init__(self, url: str, name: str, lease_seconds: float) -> None:
        self._url = url
        self._key = lock_key(name)
        self._lease = lease_seconds
        self._conn: Any = None
        self._pinger: asyncio.Task[None] | None = None
        self.held = False

    async def hold(self) -> bool:
        """Take the lock if it is free; False when another session holds it, or ours
        was lost (the pings stopped getting answers)."""
        if self.held:
            return True
        try:
            if self._conn is None or self._conn.is_closed():
                await self.release()
                import asyncpg

                self._conn = await asyncpg.connect(
                    self._url, timeout=CONNECT_SECONDS, server_settings={
                        "application_name": "casecheck-leader",
                        # the server drops a leader that stopped pinging (machine lost)
                        "idle_session_timeout": str(int(self._lease * 1000))})
            self.held = bool(await self._conn.fetchval(
                "SELECT pg_try_advisory_lock($1)", self._key, timeout=CONNECT_SECONDS))
        except Exception:  # the server is unreachable: we cannot say we hold it
            await self.release()
            return False
        if self.held:  # pinged from now on; the others keep asking on their connection
            self._pinger = asyncio.create_task(self._ping())
        return self.held

    async def _ping(self) -> None:
        every = min(1.0, self._lease / 4)
        try:
            while True:
                await asyncio.sleep(every)
                await self._conn.fetchval("SELECT 1", timeout=CONNECT_SECONDS)
        except asyncio.CancelledError:
            raise
        except Exception:  # the session is gone, and the lock with it
            self.held = False

    async def release(self) -> None:
        """Give the lock up (closing the session ends it)."""
        pinger, self._pinger = self._pinger, None
        if pinger is not None:
            pinger.cancel()
            await asyncio.gather(pinger, return_exceptions=True)
        conn, self._conn, self.held = self._conn, None, False
        if conn is not None:
            try:
                await asyncio.wait_for(conn.close(), CONNECT_SECONDS)
            except Exception:  # the session is gone either way
                conn.terminate()


async def take_lease(db: Database, name: str, holder: str, now: str, until: str,
                     dead_holder: str | None = None) -> bool:
    """SQLite: become or stay ``name``'s leader (free, expired, ours, or its holder is
    known dead); True if we lead until ``until``."""
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO leaders(name, holder, since, lease_until)"
                         " VALUES (?,?,?,?) ON CONFLICT (name) DO NOTHING",
                         (name, holder, now, until))
        changed = await tx.execute(
            "UPDATE leaders SET since=CASE WHEN holder=? THEN since ELSE ? END, holder=?,"
            " lease_until=? WHERE name=? AND (holder=? OR lease_until <= ? OR holder=?)",
            (holder, now, holder, until, name, holder, now, dead_holder or holder))
        return changed == 1


async def record(db: Database, name: str, holder: str, now: str, until: str) -> None:
    """PostgreSQL: say who leads (the advisory lock decides it)."""
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO leaders(name, holder, since, lease_until) VALUES (?,?,?,?)"
            " ON CONFLICT (name) DO UPDATE SET since=CASE WHEN leaders.holder=excluded.holder"
            " THEN leaders.since ELSE excluded.since END, holder=excluded.holder,"
            " lease_until=excluded.lease_until", (name, holder, now, until))


async def current(db: Database, name: str) -> Row | None:
    """``name``'s leader row (holder, since, lease_until), if any was ever recorded."""
    return await db.fetchone("SELECT holder, since, lease_until FROM leaders WHERE name=?",
                             (name,))


async def drop(db: Database, name: str, holder: str, now: str) -> None:
    """Our lease ends now (a clean stop: the next instance need not wait for it)."""
    async with db.transaction() as tx:
        await tx.execute("UPDATE leaders SET lease_until=? WHERE name=? AND holder=?",
                         (now, name, holder))
