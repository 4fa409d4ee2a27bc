"""``casecheck db copy --to postgresql://``: a SQLite deployment moved to PostgreSQL, on a
real cluster; the service then works there. A refused copy changes nothing."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot.app import App
from bot.cli import main
from bot.config import Config
from bot.demo_data import shipped_csv
from bot.storage import accounts
from handlers.intents import Understanding
from tests.conftest import ConsoleSession, FakeClock
from tests.dialogue_support import lookup, start, state_of, text
from tests.web_support import add_user, login, start_console

SECRET = "s3cret-Pa55"


def sqlite_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name != 'schema_version'")]
        return {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}


async def postgres_tables(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return [r[0] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
    finally:
        await conn.close()


def copy(*args: str) -> int:
    return main(["db", "copy", *args])


@pytest.fixture
async def deployment(config: Config) -> Path:
    """A SQLite deployment's file with the demo registry in it."""
    path = Path(config.storage.path)
    assert await asyncio.to_thread(
        main, ["registry", "import", str(shipped_csv()), "--db", str(path)]) == 0
    return path


async def test_copy_then_the_service_runs_on_postgresql(
        deployment: Path, pg_url: str, config: Config, clock: FakeClock,
        understanding: Understanding, capsys: pytest.CaptureFixture[str]) -> None:
    async with await App.create(config, clock=clock, understanding=understanding) as app:
        await start(ConsoleSession(app, "alice"), "es")  # two conversations, one in Spanish
        bob = ConsoleSession(app, "bob")
        await start(bob)
        await lookup(bob, "0912-CR-004411", "Nunez", "03/14/1975")
        await add_user(app, "lawyer@example.org", "staff")
    before = sqlite_counts(deployment)
    assert before["cases"] == 50 and before["users"] == 1 and before["audit"] > 0
    assert before["people"] >= 2 and before["messages"] > 0
    capsys.readouterr()
    assert await asyncio.to_thread(copy, "--db", str(deployment), "--to", pg_url) == 0
    out = capsys.readouterr().out
    printed = {line.split()[0]: int(line.split()[1])
               for line in out.splitlines() if line.startswith("  ")}
    assert printed == before  # every table, every row
    assert sqlite_counts(deployment) == before  # the source is untouched

    moved = config.replace("storage", "url", pg_url).replace("storage", "path", "/nonexistent")
    async with await App.create(moved, clock=clock, understanding=understanding) as app:
        assert (await state_of(app, "alice")).locale == "es"
        carol = ConsoleSession(app, "carol")
        await start(carol)
        answer = text(await lookup(carol, "0912-CR-004411", "Nunez", "03/14/1975"))
        assert "dismissed" in answer.lower()
        client = await start_console(app)
        try:
            signed = await login(client, "lawyer@example.org")
            assert signed.status == 303, await signed.text()
        finally:
            await client.close()
        # The sequences were moved past the copied ids: a new account gets a new id.
        new_id = await add_user(app, "advocate@example.org", "advocate")
        assert new_id > max(r["id"] for r in await accounts.list_users(app.db)
                            if r["email"] != "advocate@example.org")


async def test_a_database_that_is_not_empty_is_refused_unchanged(
        deployment: Path, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("CREATE TABLE keepme (x int)")
        await conn.execute("INSERT INTO keepme VALUES (1)")
    finally:
        await conn.close()
    assert await asyncio.to_thread(copy, "--db", str(deployment), "--to", pg_url) == 1
    err = capsys.readouterr().err
    assert "not empty" in err and "keepme" in err
    assert await postgres_tables(pg_url) == ["keepme"]


@pytest.mark.parametrize(("damage", "said"), [
    # PostgreSQL text holds no NUL: the server refuses the row
    ("UPDATE cases SET last_name = 'Zed' || char(0) || 'kowski'", "0x00"),
    # SQLite keeps text in an INTEGER column: the copy refuses it
    ("UPDATE cases SET phone_wrong = 'Zedkowski'", "cases.phone_wrong: a value that is not"),
])
async def test_a_copy_that_fails_midway_leaves_the_target_empty(
        deployment: Path, pg_url: str, damage: str, said: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    with sqlite3.connect(deployment) as conn:
        conn.execute(damage + " WHERE id = (SELECT MAX(id) FROM cases)")
    assert await asyncio.to_thread(copy, "--db", str(deployment), "--to", pg_url) == 1
    err = capsys.readouterr().err
    assert said in err and "nothing was copied" in err and "Zed" not in err
    assert await postgres_tables(pg_url) == []


async def test_an_unreachable_database_gets_a_clear_message_and_no_secret(
        deployment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql://casecheck:{SECRET}@127.0.0.1:1/casecheck"
    assert await asyncio.to_thread(copy, "--db", str(deployment), "--to", url) == 1
    captured = capsys.readouterr()
    assert "cannot copy into postgresql://casecheck:***@127.0.0.1:1/casecheck" in captured.err
    assert "cannot connect" in captured.err
    assert SECRET not in captured.out + captured.err


def test_a_target_that_is_not_a_url_or_a_missing_source_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo.db"
    assert copy("--db", str(missing), "--to", "casecheck.db") == 2
    assert "--to must be a postgresql:// URL" in capsys.readouterr().err
    assert copy("--db", str(missing), "--to", "postgresql://x@127.0.0.1:1/x") == 1
    assert f"no SQLite database at {missing}" in capsys.readouterr().err
    assert not missing.exists()
