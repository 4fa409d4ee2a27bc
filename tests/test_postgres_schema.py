"""One numbered source of migrations, two engines, one schema.

Every ``migrations/NNNN_*.sql`` (written for SQLite) is applied to a fresh SQLite file
and, translated, to a fresh PostgreSQL database; the two catalogs must describe the
same tables, columns, keys, constraints and indexes. A new migration that translates
wrongly, or not at all, fails here.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.storage import Database
from bot.storage import migration_scripts as scripts
from bot.storage.postgres_engine import PostgresEngine
from tests.schema_support import differences, postgres_schema, sqlite_schema


async def sqlite_migrated(path: str) -> int:
    """The SQLite engine's own migration of a fresh file; the schema version."""
    async with Database(path) as db:
        return await db.migrate()


async def postgres_migrated(url: str) -> tuple[int, dict]:
    engine = await PostgresEngine.open(url)
    try:
        version = await engine.migrate()
        async with engine.pool.acquire() as conn:
            return version, await postgres_schema(conn)
    finally:
        await engine.close()


async def test_all_migrations_give_the_same_schema_on_sqlite_and_postgresql(tmp_path, pg_url):
    path = str(tmp_path / "s.db")
    sqlite_version = await sqlite_migrated(path)
    pg_version, pg = await postgres_migrated(pg_url)
    assert sqlite_version == pg_version == scripts()[-1][0]
    lite = sqlite_schema(path)
    assert len(lite["tables"]) >= 20 and len(lite["indexes"]) >= 40  # the check saw them
    assert differences(lite, pg) == []


async def test_the_comparison_reports_a_difference(tmp_path, pg_url):
    path = str(tmp_path / "s.db")
    await sqlite_migrated(path)
    engine = await PostgresEngine.open(pg_url)
    try:
        async with engine.transaction() as tx:
            await tx.execute("ALTER TABLE cases ALTER COLUMN court DROP DEFAULT")
            await tx.execute("ALTER TABLE users ALTER COLUMN email SET DATA TYPE TEXT "
                             "COLLATE \"C\"")
            await tx.execute("DROP INDEX cases_phone")
            await tx.execute("CREATE INDEX cases_phone ON cases (phone)")
        async with engine.pool.acquire() as c:
            found = differences(sqlite_schema(path), await postgres_schema(c))
    finally:
        await engine.close()
    assert any(line.startswith("column cases.court:") for line in found), found
    assert any(line.startswith("users unique:") for line in found), found
    assert any(line.startswith("index cases_phone:") for line in found), found


async def test_instances_starting_at_once_migrate_once_and_again_changes_nothing(pg_url):
    first, second = await asyncio.gather(PostgresEngine.open(pg_url),
                                         PostgresEngine.open(pg_url))
    try:
        assert await second.migrate() == scripts()[-1][0]
        rows = await first.fetchall("SELECT version FROM schema_version ORDER BY version")
        assert [r["version"] for r in rows] == [v for v, _name, _sql in scripts()]
    finally:
        await first.close()
        await second.close()


async def test_nocase_columns_compare_and_stay_unique_without_case_on_both(tmp_path, pg_url):
    engine = await PostgresEngine.open(pg_url)
    try:
        insert = ("INSERT INTO users(email, role, password_hash, created_at) "
                  "VALUES (?, 'staff', 'x', '2026-01-01T00:00:00Z')")
        async with engine.transaction() as tx:
            await tx.execute(insert, ("Sam@Example.org",))
        row = await engine.fetchone("SELECT email FROM users WHERE email = ?",
                                    ("sam@example.ORG",))
        assert row is not None and row["email"] == "Sam@Example.org"
        with pytest.raises(asyncpg.UniqueViolationError):
            async with engine.transaction() as tx:
                await tx.execute(insert, ("SAM@example.org",))
    finally:
        await engine.close()
