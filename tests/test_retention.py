"""Retention and "forget me": message bodies go, the audit trail stays."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.app import App
from bot.cli import main
from bot.storage import Database
from tests.conftest import ConsoleSession, both_engines
from tests.dialogue_support import NUNEZ, chat, import_registry, start

pytestmark = both_engines


async def _count(db: Database, sql: str, *params: object) -> int:
    row = await db.fetchone(sql, params)
    return int(row[0]) if row else 0


@pytest.fixture
def registry(config, tmp_path):
    import_registry(config.storage.url or config.storage.path, tmp_path)


async def test_forget_me_erases_the_transcript_and_answers_but_keeps_the_audit(
        registry, config, clock):
    async with await App.create(config, clock=clock) as app:
        session = ConsoleSession(app)
        await start(session)
        await chat(session, NUNEZ[0], NUNEZ[1], NUNEZ[2])
        assert await _count(app.db, "SELECT COUNT(*) FROM messages WHERE body LIKE '%1975%'") >= 1
        turn = await session.say("please forget me")
        assert turn["awaiting"] == "confirm"
        assert "delete" in session.text(turn).lower()
        turn = await session.say("1")
        assert "deleted" in session.text(turn).lower()
        assert turn["awaiting"] == "menu"
        assert await _count(app.db, "SELECT COUNT(*) FROM messages WHERE body LIKE '%1975%'") == 0
        assert await _count(app.db, "SELECT COUNT(*) FROM messages WHERE direction='in'") == 0
        slots = await app.db.fetchone("SELECT slots FROM conversations")
        assert slots[0] == "{}"
        assert await _count(app.db, "SELECT COUNT(*) FROM audit WHERE action='forget'") == 1
        assert await _count(app.db, "SELECT COUNT(*) FROM audit WHERE action='disclosure'") == 1


async def test_forget_me_can_be_declined_in_spanish(session):
    await start(session, "2")
    turn = await session.say("borra mis datos")
    assert turn["locale"] == "es" and turn["awaiting"] == "confirm"
    turn = await session.say("no")
    assert "No se borró nada" in session.text(turn)
    assert await _count(session.app.db, "SELECT COUNT(*) FROM messages") > 0


def _seed(path) -> None:
    async def seed() -> None:
        async with await Database.open(path) as db:
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO people(created_at, updated_at) VALUES ('2020', '2020')")
                for body, at in (("old secret", "2020-01-01T00:00:00+00:00"),
                                 ("recent", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))):
                    await conn.execute(
                        "INSERT INTO messages(person_id, direction, channel, body, created_at)"
                        " VALUES (1, 'in', 'sms', ?, ?)", (body, at))
                await conn.execute(
                    "INSERT INTO audit(at, actor, action) VALUES ('2020-01-01T00:00:00+00:00',"
                    " 'bot', 'lookup')")
                for sid, status in (("SM1", "pending"), ("SM2", "done")):
                    await conn.execute(
                        "INSERT INTO inbox(channel, provider_id, address, body, status,"
                        " received_at)"
                        " VALUES ('sms', ?, '+15550100', 'body', ?, '2020-01-01T00:00:00+00:00')",
                        (sid, status))
    asyncio.run(seed())


def _bodies(path) -> tuple[list[str], int, list[str]]:
    async def read() -> tuple[list[str], int, list[str]]:
        async with await Database.open(path) as db:
            messages = [r[0] for r in await db.fetchall("SELECT body FROM messages")]
            audit = await _count(db, "SELECT COUNT(*) FROM audit")
            inbox = [r[0] for r in await db.fetchall("SELECT body FROM inbox ORDER BY id")]
        return messages, audit, inbox
    return asyncio.run(read())


def test_purge_deletes_old_bodies_and_keeps_the_audit_and_pending_messages(tmp_path, capsys):
    path = tmp_path / "r.db"
    _seed(path)
    assert main(["retention", "purge", "--db", str(path), "--days", "30"]) == 0
    assert "1 transcript messages" in capsys.readouterr().out
    messages, audit, inbox = _bodies(path)
    assert messages == ["recent"]
    assert audit == 1
    assert inbox == ["body", ""]  # the pending one is still to be answered


def test_purge_rejects_a_negative_period(tmp_path, capsys):
    assert main(["retention", "purge", "--db", str(tmp_path / "x.db"), "--days", "-1"]) == 2


async def test_the_service_purges_old_bodies_when_it_starts(app, session, clock):
    from bot.server import Service

    await start(session)
    clock.advance(days=app.config.storage.retention_days + 1)
    service = Service(app, channels=[], port=0, extensions=[])
    await service.start()
    try:
        for _ in range(50):
            if await _count(app.db, "SELECT COUNT(*) FROM messages") == 0:
                break
            await asyncio.sleep(0.02)
        assert await _count(app.db, "SELECT COUNT(*) FROM messages") == 0
    finally:
        await service.stop()
