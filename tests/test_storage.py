import os
import sqlite3
import stat

import asyncpg
import pytest

from bot.clock import utcnow
from bot.config import load_config
from bot.registry.importer import import_csv
from bot.storage import Database, open_database, redacted
from bot.storage.sqlite_engine import CACHE_KIB, READERS
from tests import dialogue_support
from tests.conftest import both_engines

# What a constraint violation raises on each engine.
INTEGRITY = {"sqlite": sqlite3.IntegrityError,
             "postgresql": asyncpg.IntegrityConstraintViolationError}


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


async def test_every_connection_keeps_a_small_page_cache_again_after_an_import(tmp_path):
    """SQLite's default cache (2,000 KiB a connection) is memory a WAL reader drops at each
    change; an import's large one (128,000 KiB) must not outlive it."""
    csv = tmp_path / "cases.csv"
    csv.write_text(dialogue_support.CSV, encoding="utf-8")
    async with await Database.open(tmp_path / "c.db") as db:
        report = await import_csv(db, str(csv), now=utcnow())
        assert report.imported
        assert (await db.configure("PRAGMA cache_size"))[0][0] == -CACHE_KIB  # the writer's
        async with db.transaction() as tx:  # while a write is open, reads use the readers
            await tx.execute("UPDATE cases SET status = status")
            for _ in range(READERS):
                assert (await db.fetchone("PRAGMA cache_size"))[0] == -CACHE_KIB


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


async def test_grouped_writes_commit_together_and_a_failing_group_fails_alone(engine_db):
    import asyncio

    db = engine_db
    integrity = INTEGRITY[db.dialect]
    await db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
    ok = [db.write_grouped([("INSERT INTO t VALUES (?, ?)", (f"k{i}", i)),
                            ("UPDATE t SET v = v + 1 WHERE k = ?", (f"k{i}",))])
          for i in range(20)]
    bad = db.write_grouped([("INSERT INTO t VALUES ('x', 1)", ()),
                            ("INSERT INTO t VALUES ('k3', NULL)", ())])
    results = await asyncio.gather(*ok, bad, return_exceptions=True)
    assert results[:20] == [None] * 20
    assert isinstance(results[20], integrity)
    rows = await db.fetchall("SELECT k, v FROM t ORDER BY v")
    assert [tuple(r) for r in rows] == [(f"k{i}", i + 1) for i in range(20)]  # no 'x'
    with pytest.raises(integrity):
        await db.write_grouped([("INSERT INTO t VALUES ('k1', 1)", ())])
    await db.write_grouped([("INSERT INTO t VALUES ('after', 99)", ())])
    assert (await db.fetchone("SELECT v FROM t WHERE k = 'after'"))[0] == 99


async def test_a_task_cancelled_as_its_transaction_begins_leaves_nothing_open(engine_db):
    """A task cancelled while its BEGIN is on its way (a campaign's watcher stopped when
    the lanes end) still begins on the database: that transaction is rolled back, so
    the next one starts and the writers' lock is free for the other process."""
    import asyncio

    db = engine_db
    await db.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")

    async def write(key: str) -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (?)", (key,))

    for _ in range(5):
        task = asyncio.create_task(write("cancelled"))
        await asyncio.sleep(0)  # it has asked for its BEGIN
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await write("after")
        assert [tuple(r) for r in await db.fetchall("SELECT k FROM t")] == [("after",)]
        await db.execute("DELETE FROM t")


async def test_a_one_trip_transaction_commits_whole_or_not_at_all(engine_db):
    import asyncio

    db = engine_db
    await db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")

    async def add(tx, key: str) -> int:
        await tx.execute("INSERT INTO t VALUES (?, 1)", (key,))
        row = await tx.fetchone("SELECT COUNT(*) FROM t")
        await tx.executemany("UPDATE t SET v = v + ? WHERE k = ?", [(1, key), (2, key)])
        return int(row[0])

    assert await db.in_one_trip(lambda tx: add(tx, "a")) == 1
    with pytest.raises(INTEGRITY[db.dialect]):
        await db.in_one_trip(lambda tx: add(tx, "a"))  # the second insert fails: undone

    async def waits(tx) -> None:
        await tx.execute("INSERT INTO t VALUES ('b', 1)")
        await asyncio.sleep(0)  # not a statement: SQLite refuses, PostgreSQL runs it

    if db.dialect == "sqlite":
        with pytest.raises(RuntimeError, match="awaited something besides its Tx"):
            await db.in_one_trip(waits)
    else:
        await db.in_one_trip(waits)
        await db.execute("DELETE FROM t WHERE k = 'b'")
    assert [tuple(r) for r in await db.fetchall("SELECT k, v FROM t")] == [("a", 4)]


async def test_a_one_trip_transaction_holds_the_lock_only_while_its_statements_run(
        tmp_path):
    """The event loop of the process is then busy (blocked here): another process can
    write all the same, since the transaction committed on the database's thread."""
    import asyncio
    import threading
    import time

    async with Database(tmp_path / "c.db") as db:
        await db.migrate()
        await db.execute("CREATE TABLE t (k TEXT)")
        ran = threading.Event()

        async def body(tx) -> None:
            await tx.execute("INSERT INTO t VALUES ('one trip')")
            ran.set()
            await tx.execute("INSERT INTO t VALUES ('same')")

        for kind in ("one trip", "transaction"):
            ran.clear()
            if kind == "one trip":
                task = asyncio.create_task(db.in_one_trip(body))
            else:
                async def multi() -> None:
                    async with db.transaction() as tx:
                        await body(tx)
                task = asyncio.create_task(multi())
            while not ran.wait(0.001):
                await asyncio.sleep(0)
            other = sqlite3.connect(tmp_path / "c.db", timeout=0.5)
            try:
                time.sleep(0.05)  # the loop is busy: a multi-trip transaction stays open
                try:
                    other.execute("BEGIN IMMEDIATE")
                    other.execute("ROLLBACK")
                    free = True
                except sqlite3.OperationalError:
                    free = False
            finally:
                other.close()
            await task
            assert free == (kind == "one trip")


async def test_a_concurrent_reader_never_sees_an_uncommitted_row(engine_db):
    """Reads run on their own connections (SQLite: on WAL snapshots): a row written in a
    transaction still in flight (here rolled back) is invisible to every reader."""
    import asyncio

    select = "SELECT reason FROM optouts WHERE channel='sms' AND address='+1'"
    db = engine_db
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


@both_engines
async def test_the_configured_engine_is_opened(config, storage_engine):
    """``[storage] url`` selects PostgreSQL; empty, SQLite at ``[storage] path``."""
    async with await open_database(config.storage) as db:
        assert db.dialect == storage_engine
        assert await db.migrate() >= 1
        await db.execute("INSERT INTO optouts(channel, address, reason, at)"
                         " VALUES ('sms','+1','stop','x')")
        assert (await db.fetchone("SELECT COUNT(*) FROM optouts"))[0] == 1
    assert os.path.exists(config.storage.path) == (storage_engine == "sqlite")


async def test_sqlite_only_features_say_so_on_postgresql(pg_url):
    async with Database(pg_url) as db:
        with pytest.raises(NotImplementedError, match="Database.trace is SQLite only"):
            await db.trace(print)
        with pytest.raises(NotImplementedError, match="Database.configure is SQLite only"):
            await db.configure("SELECT 1")


def test_a_url_password_is_never_shown():
    assert redacted("postgresql://bot:s3cret@db.example:5432/cc") == \
        "postgresql://bot:***@db.example:5432/cc"
    assert redacted("postgresql://bot@db/cc") == "postgresql://bot@db/cc"
    assert redacted("/var/lib/casecheck.db") == "/var/lib/casecheck.db"


def test_db_on_the_command_line_means_that_sqlite_file(tmp_path):
    from bot.cli import build_parser, resolve_config

    cfg = tmp_path / "c.toml"
    cfg.write_text("[storage]\nurl = 'postgresql://bot@db/cc'\n")
    args = build_parser().parse_args(["escalations", "list", "--config", str(cfg),
                                      "--db", "x.db"])
    storage = resolve_config(args).storage
    assert (storage.path, storage.url) == ("x.db", "")
    assert load_config(str(cfg), env={}).storage.url == "postgresql://bot@db/cc"
