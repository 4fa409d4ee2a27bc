"""Lookup attempts under concurrency: many senders answering at once on one docket.

The inbox worker runs different senders concurrently; each attempt is reserved
before the registry is read, so the per-docket limit holds whatever the interleaving.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.app import App
from bot.model import Inbound
from bot.storage import inbox
from bot.workers import InboxWorker, Wakeup
from tests.dialogue_support import import_registry

SENDERS = 40
DOCKET_LOCKED = "Too many tries on this case number today."


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


async def say(app: App, address: str, text: str) -> list[str]:
    turn = await app.dialogue.handle(Inbound("sms", address, text))
    return [reply.text for reply in turn.replies]


async def at_the_birth_date_question(app: App, address: str) -> None:
    first = await app.dialogue.handle(Inbound("sms", address, "hi"))
    english = [o.key for r in first.replies for o in r.options if o.label == "English"]
    for text in (english[0], "1", "0912-CR-004411", "Nunez"):
        await say(app, address, text)


async def burst(app: App, answers: dict[str, str], tag: str) -> None:
    """Every sender's answer stored at once, then handled by the real inbox worker."""
    await inbox.store_many(app.db, [
        Inbound("sms", address, text, provider_id=f"{tag}{n}")
        for n, (address, text) in enumerate(answers.items())], "2026-01-01T00:00:00+00:00")
    worker = InboxWorker(app, Wakeup(), concurrency=SENDERS)
    task = asyncio.create_task(worker.run())
    for _ in range(1000):
        if not await inbox.pending(app.db):
            break
        await asyncio.sleep(0.02)
    await worker.stop()
    await task


async def outcomes(app: App) -> list[str]:
    rows = await app.db.fetchall("SELECT outcome FROM audit WHERE action='lookup' ORDER BY id")
    return [r["outcome"] for r in rows]


async def replies(app: App) -> str:
    rows = await app.db.fetchall("SELECT body FROM outbox WHERE kind='reply'")
    return "\n".join(r["body"] for r in rows)


async def test_forty_concurrent_guesses_on_one_docket_count_as_forty(app):
    addresses = [f"+1617555{n:04d}" for n in range(SENDERS)]
    for address in addresses:
        await at_the_birth_date_question(app, address)
    # Days 13-28 only: a date that reads two ways is asked back before it counts.
    answers = {a: f"{n // 16 + 1}/{n % 16 + 13}/1970" for n, a in enumerate(addresses)}
    answers[addresses[6]] = "3/14/1975"  # the right date, 7th
    await burst(app, answers, "A")
    checked = [o for o in await outcomes(app) if o in ("verified", "failed")]
    assert len(checked) <= 5
    assert (await outcomes(app)).count("locked") >= SENDERS - 5
    assert (await replies(app)).count(DOCKET_LOCKED) >= SENDERS - 5
    # Once locked, the right date from everyone at once discloses nothing.
    for address in addresses:
        await say(app, address, "1")  # "Try again"
        await say(app, address, "0912-CR-004411")
        await say(app, address, "Nunez")
    disclosed_before = await app.db.fetchone(
        "SELECT COUNT(*) FROM audit WHERE action='disclosure'")
    locked_before = (await outcomes(app)).count("locked")
    await burst(app, dict.fromkeys(addresses, "3/14/1975"), "B")
    assert (await outcomes(app)).count("locked") == locked_before + SENDERS  # all were asked
    disclosed_after = await app.db.fetchone(
        "SELECT COUNT(*) FROM audit WHERE action='disclosure'")
    assert disclosed_after[0] == disclosed_before[0]
    assert len([o for o in await outcomes(app) if o in ("verified", "failed")]) <= 5
