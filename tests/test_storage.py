import os
import stat

from bot.storage import Database


async def test_database_file_is_owner_only_durable_and_migrated(tmp_path):
    path = tmp_path / "sub" / "c.db"
    async with Database(path) as db:
        version = await db.migrate()
        assert version >= 1
        row = await db.fetchone("PRAGMA journal_mode")
        assert row[0] == "wal"
        # Durability policy: every commit is fsynced before a provider hears 200.
        row = await db.fetchone("PRAGMA synchronous")
        assert row[0] == 2  # FULL
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600


async def test_reopening_keeps_data_and_does_not_remigrate(tmp_path):
    path = tmp_path / "c.db"
    async with Database(path) as db:
        await db.execute(
            "INSERT INTO optouts(channel, address, reason, at) VALUES ('sms','+1','stop','x')")
    async with Database(path) as db:
        rows = await db.fetchall("SELECT * FROM optouts")
        versions = await db.fetchall("SELECT version FROM schema_version")
    assert len(rows) == 1
    assert len(versions) == len({v[0] for v in versions})


async def test_grouped_writes_commit_together_and_a_failing_group_fails_alone(tmp_path):
    import asyncio
    import sqlite3

    import pytest

    async with Database(tmp_path / "g.db") as db:
        await db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
        ok = [db.write_grouped([("INSERT INTO t VALUES (?, ?)", (f"k{i}", i)),
                                ("UPDATE t SET v = v + 1 WHERE k = ?", (f"k{i}",))])
              for i in range(20)]
        bad = db.write_grouped([("INSERT INTO t VALUES ('x', 1)", ()),
                                ("INSERT INTO t VALUES ('k3', NULL)", ())])
        results = await asyncio.gather(*ok, bad, return_exceptions=True)
        assert results[:20] == [None] * 20
        assert isinstance(results[20], sqlite3.IntegrityError)
        rows = await db.fetchall("SELECT k, v FROM t ORDER BY v")
        assert [tuple(r) for r in rows] == [(f"k{i}", i + 1) for i in range(20)]  # no 'x'
        with pytest.raises(sqlite3.IntegrityError):
            await db.write_grouped([("INSERT INTO t VALUES ('k1', 1)", ())])
        await db.write_grouped([("INSERT INTO t VALUES ('after', 99)", ())])
        assert (await db.fetchone("SELECT v FROM t WHERE k = 'after'"))[0] == 99


async def test_a_concurrent_reader_never_sees_an_uncommitted_row(tmp_path):
    """Reads run on their own connections, on WAL snapshots: a row written in a
    transaction still in flight (here rolled back) is invisible to every reader."""
    import asyncio

    import pytest

    select = "SELECT reason FROM optouts WHERE channel='sms' AND address='+1'"
    async with Database(tmp_path / "r.db") as db:
        written = asyncio.Event()
        read: list[object] = []

        async def reader() -> None:
            await written.wait()
            read.append(await db.fetchone(select))
            read.append(await db.fetchall("SELECT * FROM optouts"))

        async def writer() -> None:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO optouts(channel, address, reason, at)"
                                 " VALUES ('sms','+1','stop','x')")
                assert (await tx.fetchone(select))[0] == "stop"  # the tx sees its own row
                written.set()
                await task
                raise RuntimeError("roll back")

        task = asyncio.create_task(reader())
        with pytest.raises(RuntimeError):
            await writer()
        assert read == [None, []]
        assert await db.fetchone(select) is None
        await db.execute("INSERT INTO optouts(channel, address, reason, at)"
                         " VALUES ('sms','+1','stop','x')")
        assert (await db.fetchone(select))[0] == "stop"  # committed: every reader sees it
        assert (await db.fetchone(select))[0] == "stop"
