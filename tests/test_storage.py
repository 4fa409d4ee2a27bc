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
