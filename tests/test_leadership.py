"""One leader at a time among the instances on one database (``bot/leadership.py``)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys

from bot.leadership import Leadership
from bot.storage import leaders
from tests.conftest import FakeClock


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


async def test_one_leads_the_other_waits_then_takes_over_when_it_resigns(engine_db):
    clock = FakeClock()
    host = socket.gethostname()
    # two live processes (ours and our parent), as two instances on this host
    first = Leadership(engine_db, "outreach", clock, holder=f"{host}:{os.getpid()}")
    second = Leadership(engine_db, "outreach", clock, holder=f"{host}:{os.getppid()}")
    try:
        assert await first.lead() and await first.lead()
        assert not await second.lead()
        assert (await leaders.current(engine_db, "outreach"))["holder"] == first.holder
        await first.resign()
        assert await second.lead()
        assert not await first.lead()
        assert (await leaders.current(engine_db, "outreach"))["holder"] == second.holder
    finally:
        await first.resign()
        await second.resign()


async def test_a_leader_that_is_gone_is_taken_over_at_once(engine_db):
    clock = FakeClock()
    host = socket.gethostname()
    gone = Leadership(engine_db, "outreach", clock, holder=f"{host}:{dead_pid()}")
    heir = Leadership(engine_db, "outreach", clock, holder=f"{host}:{os.getpid()}")
    try:
        assert await gone.lead()
        if engine_db.dialect == "postgresql":  # the process died: its session ends
            gone._lock._conn.terminate()  # type: ignore[union-attr]
        assert await heir.lead()  # no waiting for the lease: its pid is gone
    finally:
        await gone.resign()
        await heir.resign()


async def test_sqlite_a_leader_on_another_host_is_taken_over_when_its_lease_expires(tmp_path):
    from bot.storage import Database

    clock = FakeClock()
    async with Database(tmp_path / "l.db") as db:
        far = Leadership(db, "outreach", clock, holder="elsewhere:1")
        here = Leadership(db, "outreach", clock, holder=f"{socket.gethostname()}:{os.getpid()}")
        assert await far.lead()
        assert not await here.lead()
        clock.advance(seconds=far.lease_seconds - 1)
        assert not await here.lead()
        clock.advance(seconds=2)
        assert await here.lead()
        row = await leaders.current(db, "outreach")
        assert row["holder"] == here.holder
        assert dt.datetime.fromisoformat(row["lease_until"]) > clock()
