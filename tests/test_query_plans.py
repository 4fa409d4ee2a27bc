"""The service's queries find their rows through indexes: none reads a whole table that
grows with every message (people, transcript, inbox, outbox, escalations, ...), which
would slow every turn, or hold the write lock, as the database grows.

Every statement the running service sends to SQLite during an SMS conversation (and
the retention purge, the Telegram staff alerts and the linking of two contacts) is
recorded and checked with ``EXPLAIN QUERY PLAN``.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

from bot.clock import iso
from bot.model import Reply
from bot.storage import linking, outbox, people, retention
from bot.storage import telegram as tg_store
from tests.fakes.twilio_api import FakeTwilio, SmsRig, sms_rig

GROWING = frozenset({
    "people", "contacts", "conversations", "messages", "audit", "lookup_attempts",
    "escalations", "escalation_events", "inbox", "outbox", "telegram_alerts", "cases",
    "outreach_recipients", "optouts"})
ALICE = "+16175550123"
CONVERSATION = ["hi", "1", "1", "1481CR000123", "Smith", "1975-03-02", "menu", "3",
                "help", "stop", "start", "forget me", "1", "hi"]  # forgotten, then back


def full_scans(db_path: str, statements: list[str]) -> dict[str, list[str]]:
    """Statement -> its plan, for those that read a growing table whole (or all of one
    channel's rows)."""
    found: dict[str, list[str]] = {}
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        for sql in dict.fromkeys(statements):
            if re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA)\b", sql, re.IGNORECASE):
                continue
            plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
            tables = _tables(sql)
            if any((m := re.match(r"(?:SCAN|SEARCH) (\w+)( .*\(channel=\?\))?$", line))
                   and tables.get(m[1], m[1]) in GROWING
                   and (line.startswith("SCAN") or m[2]) for line in plan):
                found[sql] = plan
    return found


def _tables(sql: str) -> dict[str, str]:
    """Alias (or name) -> table, from the statement's FROM, JOIN, UPDATE and INTO."""
    names = {}
    for table, alias in re.findall(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?",
                                   sql, re.IGNORECASE):
        names[table] = table
        if alias and alias.upper() not in _KEYWORDS:
            names[alias] = table
    return names


_KEYWORDS = frozenset({"WHERE", "SET", "ON", "JOIN", "LEFT", "INNER", "CROSS", "ORDER", "GROUP",
                       "LIMIT", "VALUES", "SELECT", "USING", "DEFAULT", "AS"})


async def converse(rig: SmsRig, texts: list[str]) -> None:
    for text in texts:
        await rig.texts_after(ALICE, text, 1)


async def test_no_query_of_the_service_reads_a_growing_table_whole(config, clock):
    async with sms_rig(config, clock=clock, fake=FakeTwilio(callbacks=("sent", "delivered")),
                       **{"telegram.staff_chat_id": -100555}) as rig:
        db = rig.app.db
        seen: list[str] = []
        await db.trace(seen.append)
        await converse(rig, CONVERSATION)
        await rig.texts_after(ALICE, "", 1, num_media=1)  # a picture: answered once
        now = iso(clock())
        await retention.purge(db, iso(clock() - dt.timedelta(days=1)))  # plans, not rows
        await tg_store.escalations_after(db, 0, now, 50)
        await tg_store.queue_alert(db, "NOSUCH", -100555, "alert", now)
        # A Telegram chat proves it is the person of a case whose phone texted us.
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO cases(docket_number, docket_display, last_name, last_name_key,"
                " date_of_birth, status, phone, imported_at)"
                " VALUES ('X1', 'X1', 'Smith', 'smith', '1975-03-02', 'pending', ?, ?)",
                (ALICE, now))
            await outbox.enqueue(conn, "sms", ALICE, Reply("queued"), now)
        chat = await people.get_or_create(db, "telegram", "9101", now)
        case = await db.fetchone("SELECT id FROM cases WHERE docket_number='X1'")
        async with db.transaction() as conn:
            assert await linking.link_case_phone(conn, chat, "telegram", case["id"], now)
        await db.trace(None)
        await rig.idle()
    assert len(seen) > 100
    assert full_scans(db.path, seen) == {}


async def test_the_console_s_escalation_queries_use_indexes(app):
    """The queue's opted-out flag, every case shown to a person, and the escalations of
    registry results: index lookups, however large the tables grow."""
    from bot.storage import audit, casework
    from tests.web_support import make_escalation

    esc = await make_escalation(app)
    row = await casework.escalation(app.db, esc)
    seen: list[str] = []
    await app.db.trace(seen.append)
    await casework.queue(app.db, casework.QueueFilter(), overdue_before=iso(app.clock()),
                      week_before=iso(app.clock()), limit=50, offset=0)
    await casework.disclosed_cases(app.db, row["person_id"])
    await audit.audit_page(app.db, actor="staff:1")
    await app.db.trace(None)
    scans = full_scans(app.db.path, seen)
    assert not [sql for sql in scans if "optouts" in sql or "disclosure" in sql], scans
