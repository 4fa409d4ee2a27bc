import os
import sqlite3
import stat

import asyncpg
import pytest

from bot.config import load_config
from bot.storage import Database, open_database, redacted
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
