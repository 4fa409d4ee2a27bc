"""No turn ends in silence: a handler that raises gets the person an apology, staff
an escalation, and the log no personal data.

The failure is real, not patched in: a registry row whose status date is not a
date (a hand-edited database, a bad import) makes the disclosure handler raise
when a verified person asks about that case.
"""

from __future__ import annotations

import logging
import sqlite3

import pytest

from bot.app import App
from tests.dialogue_support import NUNEZ, import_registry, lookup, start
from tests.fakes.twilio_api import sms_rig

APOLOGY = "Sorry, something went wrong. A person will look at it and reply."
APOLOGY_ES = "Lo sentimos, algo salió mal. Una persona lo revisará y le responderá."
CAROL = "+16175550177"


@pytest.fixture
def broken_registry(db_path, tmp_path) -> None:
    """The registry state that makes a turn raise: a status date that is no date."""
    import_registry(db_path, tmp_path)
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE cases SET status_date='2017-19-45' WHERE docket_number LIKE"
                     " '0912CR004411%'")


async def test_a_console_turn_that_raises_gets_the_apology_and_staff_an_escalation(
        config, clock, broken_registry, caplog):
    from tests.conftest import ConsoleSession

    app = await App.create(config, clock=clock)
    try:
        session = ConsoleSession(app)
        await start(session, "es")
        with caplog.at_level(logging.INFO):
            turn = await lookup(session, *NUNEZ)
        # The chat goes on: the next message is answered normally.
        after = await session.say("menu")
        escalation = await app.db.fetchone("SELECT * FROM escalations")
        escalations = await app.db.fetchone("SELECT COUNT(*) FROM escalations")
        audit = await app.db.fetchone("SELECT * FROM audit WHERE action='turn_failed'")
        # A second failure does not open a second escalation.
        await lookup(session, *NUNEZ)
        still = await app.db.fetchone("SELECT COUNT(*) FROM escalations")
    finally:
        await app.close()
    assert [r["text"] for r in turn["replies"]] == [APOLOGY_ES]
    assert after["replies"] and after["replies"][0]["text"] != APOLOGY_ES
    assert escalation["reason"] == "bot_error" and escalation["status"] == "open"
    assert escalation["locale"] == "es"
    assert "ValueError at handlers/disclose.py:" in escalation["summary"]
    assert "Nunez" not in escalation["summary"]
    assert audit["outcome"].startswith("ValueError")
    assert escalations[0] == 1 and still[0] == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "turn failed" in logged
    for private in ("Nunez", "1975", "0912", "tester"):
        assert private not in logged


async def test_an_sms_turn_that_keeps_raising_is_answered_once(config, clock, broken_registry):
    async with sms_rig(config, clock=clock) as rig:
        await rig.texts_after(CAROL, "hi", 1)
        await rig.texts_after(CAROL, "1", 1)
        await rig.texts_after(CAROL, "1", 1)
        await rig.texts_after(CAROL, NUNEZ[0], 1)
        await rig.texts_after(CAROL, NUNEZ[1], 1)
        answer = await rig.texts_after(CAROL, NUNEZ[2], 1, timeout=15)
        await rig.idle()
        inbox = await rig.app.db.fetchall("SELECT status, attempts FROM inbox ORDER BY id")
        queued = await rig.app.db.fetchall(
            "SELECT body, status, inbox_id FROM outbox WHERE address=? ORDER BY id", (CAROL,))
        escalation = await rig.app.db.fetchone("SELECT channel, reason FROM escalations")
        everything = rig.fake.texts_to(CAROL)
    assert answer == [APOLOGY]
    assert everything.count(APOLOGY) == 1 and everything[-1] == APOLOGY  # once, not 3 times
    assert inbox[-1]["status"] == "failed" and inbox[-1]["attempts"] == 3
    assert all(row["status"] == "done" for row in inbox[:-1])
    assert queued[-1]["body"] == APOLOGY and queued[-1]["status"] in ("sent", "delivered")
    assert (escalation["channel"], escalation["reason"]) == ("sms", "bot_error")
