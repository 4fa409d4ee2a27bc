"""Retention and "forget me" erase every copy of what a conversation used.

A real conversation (SMS through the inbox, a Telegram deep link, a lookup that
discloses, a lawyer request with a staff note and reply, an outreach message)
is run against a real database; then every text column of every table outside
the registry is scanned for each value the person gave or was given.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import iso
from bot.i18n import shipped_locales
from bot.model import Inbound
from bot.registry.normalize import hash_notice_code
from bot.storage import casework, escalations, inbox, retention
from bot.storage import telegram as tg_store
from tests.dialogue_support import import_registry
from tests.web_support import signed_in, start_console

PHONE = "+16175550101"  # the registry's phone of the Núñez case
CHAT = "777001"
NOTE = "Called back, left a voicemail about the sealing petition"
STAFF_REPLY = "Hello, this is Ana from the legal aid office"
LAWYER_TEXT = "i want to talk to a lawyer about the 1975 thing"
# What the conversation used: none of it may stay outside the registry.
VALUES = [PHONE, "6175550101", CHAT, "Núñez", "Nunez", "nunez", "1975-03-14", "3/14/1975",
          "0912CR004411", "0912-CR-004411", "HX7K-29QP", "HX7K29QP",
          hash_notice_code("HX7K-29QP"), NOTE, STAFF_REPLY, LAWYER_TEXT]
FORGET_TEXTS = (
    "This deletes our messages, your answers and the link to this number. We keep only a "
    "note of any case we showed, without your name or number. Delete now?",
    "This also closes your request for a lawyer.",
    "Done. We deleted your messages, your answers and the link to this number. You can "
    "write to us again at any time.",
    "Your request for a lawyer is closed. Write to us if you still want one.")
# Tables whose personal columns are kept on purpose (see retention.RULES).
KEPT_TABLES = {"cases", "optouts", "users"}


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


class Person:
    def __init__(self, app: App) -> None:
        self.app, self.n = app, 0

    async def say(self, text: str, channel: str = "sms", **extra: str) -> list[str]:
        """Through the inbox, as the worker does: stored, then handled."""
        self.n += 1
        address = PHONE if channel == "sms" else CHAT
        inbound = Inbound(channel, address, text, provider_id=f"{channel}{self.n}", **extra)
        now = iso(self.app.clock())
        if channel == "telegram":
            (row_id,) = await tg_store.store_updates(self.app.db, [inbound], now)
        else:
            row_id = await inbox.store(self.app.db, inbound, now)
        turn = await self.app.dialogue.handle(inbound, inbox_id=row_id)
        return [r.text for r in turn.replies]


async def converse(app: App, staff_reply: bool = True) -> tuple[Person, int]:
    """Verify by SMS, open a Telegram chat with the letter's code, ask for a lawyer;
    a staff note (and a reply, which makes it a live thread); an outreach campaign
    reached the number. Returns the escalation id."""
    person = Person(app)
    first = await app.dialogue.handle(Inbound("sms", PHONE, "hi", provider_id="sms0"))
    english = [o.key for r in first.replies for o in r.options if o.label == "English"][0]
    for text in (english, "1", "0912-CR-004411", "Núñez"):
        await person.say(text)
    assert any("We found your case" in r for r in await person.say("3/14/1975"))
    await person.say("/start", "telegram", notice_code=hash_notice_code("HX7K-29QP"))
    assert any("We found your case" in r for r in await person.say("3/14/1975", "telegram"))
    said = " ".join(await person.say(LAWYER_TEXT))
    esc = await escalations.open_for_person(app.db, (await _person_id(app)))
    assert esc is not None, said
    now = iso(app.clock())
    await casework.add_note(app.db, esc, "staff:1", NOTE, now)
    if staff_reply:
        assert await casework.claim(app.db, esc, "staff:1", now)
        await casework.reply(app.db, esc, "staff:1", STAFF_REPLY, now, then_wait=False)
    async with app.db.transaction() as conn:
        campaign = await conn.fetchone(
            "INSERT INTO campaigns(name, state, created_by, created_at, updated_at, finished_at)"
            " VALUES ('Spring', 'done', 'cli', ?, ?, ?) RETURNING id", (now, now, now))
        await conn.execute(
            "INSERT INTO outreach_recipients(campaign_id, channel, address, case_id, locale,"
            " state, created_at) VALUES (?, 'sms', ?, 1, 'en', 'delivered', ?)",
            (campaign[0], PHONE, now))
    return person, int(esc["id"])


async def _person_id(app: App) -> int:
    row = await app.db.fetchone("SELECT person_id FROM contacts WHERE channel='sms' AND address=?",
                                (PHONE,))
    return int(row[0])


def found(db_path: Path, values: list[str], allow=lambda table, row: False) -> list[str]:
    """'table.column: value' for each value still stored outside the registry."""
    hits = []
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        for table in tables:
            if table in KEPT_TABLES:
                continue
            for row in conn.execute(f"SELECT * FROM {table}"):
                if allow(table, row):
                    continue
                for column in row.keys():
                    cell = str(row[column]).casefold()
                    hits += [f"{table}.{column}: {v}" for v in values if v.casefold() in cell]
    return hits


async def test_every_personal_column_has_a_retention_rule(app):
    """A new table or column fails here until retention.RULES or NOT_PERSONAL names it."""
    unnamed, columns = [], set()
    for (table,) in await app.db.fetchall(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"):
        for info in await app.db.fetchall(f"PRAGMA table_info({table})"):
            name = f"{table}.{info['name']}"
            columns.add(name)
            if name not in retention.RULES and name not in retention.NOT_PERSONAL \
                    and f"{table}.*" not in retention.NOT_PERSONAL:
                unnamed.append(name)
    assert unnamed == [], "add a retention rule (or NOT_PERSONAL) for: " + ", ".join(unnamed)
    stale = [c for c in [*retention.RULES, *retention.NOT_PERSONAL]
             if not c.endswith(".*") and c not in columns]
    assert stale == []


async def test_the_conversation_leaves_its_values_before_the_purge(app, db_path):
    await converse(app)
    left = found(db_path, VALUES)
    for value in (PHONE, "Núñez", "3/14/1975", NOTE, STAFF_REPLY, LAWYER_TEXT):
        assert any(value.casefold() in hit.casefold() for hit in left), value
    # Raw codes and raw attempt keys are never stored, not even before any purge.
    assert not [h for h in left if "HX7K" in h]
    assert not [h for h in left if h.startswith(("lookup_attempts", "login_attempts"))]


async def test_purge_with_no_retention_erases_every_copy(app, db_path, clock):
    _, esc_id = await converse(app)
    esc = await casework.escalation(app.db, esc_id)
    await casework.resolve(app.db, esc, "staff:1", "We are closing this.", iso(app.clock()))
    await app.db.execute("UPDATE outbox SET status='sent' WHERE status='pending'")
    clock.advance(minutes=1)
    await retention.purge(app.db, iso(app.clock()))
    assert found(db_path, VALUES) == []
    # What stays: the audit of each disclosure, with its case.
    disclosures = await app.db.fetchall("SELECT case_id FROM audit WHERE action='disclosure'")
    assert disclosures and all(r["case_id"] for r in disclosures)


async def test_purge_keeps_what_is_still_in_use(app, db_path, clock):
    await converse(app)  # the lawyer request is still open: its contact stays
    clock.advance(minutes=1)
    await retention.purge(app.db, iso(app.clock() - dt.timedelta(days=1)))
    assert await app.db.fetchone("SELECT 1 FROM contacts WHERE address=?", (PHONE,))
    assert await app.db.fetchone("SELECT 1 FROM escalation_notes")


async def test_forget_me_erases_every_copy_and_closes_the_lawyer_request(app, db_path):
    person, esc_id = await converse(app, staff_reply=False)
    ask = "\n".join(await person.say("forget me"))
    assert "the link to this number" in ask and "without your name or number" in ask
    assert "This also closes your request for a lawyer." in ask
    done = "\n".join(await person.say("1"))
    assert "We deleted your messages, your answers and the link to this number" in done
    assert "Your request for a lawyer is closed." in done
    # Only the replies of this last turn, still to be sent, hold the number.
    left = found(db_path, VALUES,
                 allow=lambda table, row: table == "outbox" and row["status"] == "pending")
    assert left == []
    esc = await casework.escalation(app.db, esc_id)
    assert esc["status"] == "resolved" and not esc["summary"] and esc["address"] == ""
    assert [h["action"] for h in await casework.events(app.db, esc_id)][-1] == "forgotten"
    audit_rows = await app.db.fetchall("SELECT action, person_id, case_id FROM audit")
    assert [tuple(r) for r in audit_rows if r["person_id"] is not None] == []  # no way back
    assert any(r["action"] == "disclosure" and r["case_id"] for r in audit_rows)
    assert any(r["action"] == "forget" for r in audit_rows)
    # A new message from the number starts afresh: no link to the old person.
    again = await app.dialogue.handle(Inbound("sms", PHONE, "hi", provider_id="later"))
    assert again.replies and await _person_id(app) != esc["person_id"]


async def test_staff_see_the_request_closed_because_the_person_was_forgotten(app):
    person, esc_id = await converse(app, staff_reply=False)
    await person.say("forget me")
    await person.say("1")
    client = await start_console(app)
    try:
        await signed_in(app, client, "ana@example.org", "staff")
        page = await (await client.get(f"/console/escalations/{esc_id}")).text()
    finally:
        await client.close()
    assert "Closed: the person asked us to forget them, and their data was erased." in page
    assert PHONE not in page and NOTE not in page


@pytest.mark.parametrize("locale", [loc for loc in shipped_locales() if loc != "en"])
async def test_the_forget_me_replies_are_translated_in_every_locale(app, locale):
    for msgid in FORGET_TEXTS:
        assert app.translator.gettext(locale, msgid) != msgid

