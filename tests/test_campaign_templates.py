"""Campaign texts: plain {name} substitution only, refused on save, a bad one isolated."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import App
from bot.outreach import campaigns, template, texts
from bot.outreach.sender import Sender
from bot.outreach.texts import TextProblem
from tests.fakes.twilio_api import FakeTwilio
from tests.test_outreach_support import MovingClock, import_cases, outreach_config

SPECS = ["Hello {org:>20000000}. Reply STOP to end.", "Hello {org:q}. Reply STOP to end.",
         "Hello {org!r}. Reply STOP to end.", "Hello {org.name}. Reply STOP to end.",
         "Hello {org[0]}. Reply STOP to end."]


@pytest.mark.parametrize("text", SPECS)
def test_a_format_spec_is_refused_when_saved(config, text):
    started = time.monotonic()
    with pytest.raises(TextProblem) as err:
        texts.check_placeholders(text)
    assert err.value.msgid == "A brace is not closed. Use only {known}."
    with pytest.raises(TextProblem):
        texts.fill(text, config)  # and a stored one is never expanded either
    with pytest.raises(template.TemplateError):
        template.render(text, {"org": "x" * 100})
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("text", SPECS)
async def test_the_campaign_form_refuses_it_and_stores_nothing(app, text):
    with pytest.raises(TextProblem):
        campaigns.validate(app, name="Spring", texts={"en": text})
    assert (await app.db.fetchone("SELECT COUNT(*) FROM campaigns"))[0] == 0


def test_plain_placeholders_and_doubled_braces_still_work(config):
    org = config.organization
    filled = texts.fill("{org} ({phone}) {{not a field}}", config)
    assert filled == f"{org.name} ({org.phone}) {{not a field}}"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as server:
        yield server


@pytest.fixture
async def sending_app(config: Any, fake: FakeTwilio) -> AsyncIterator[App]:
    application = await App.create(outreach_config(config, fake), clock=MovingClock())
    try:
        yield application
    finally:
        await application.close()


async def launched(app: App, name: str) -> int:
    campaign_id = await campaigns.create(app, campaigns.validate(app, name=name), "test")
    assert await campaigns.launch(app, campaign_id, "test") is not None
    return campaign_id


async def test_a_campaign_that_cannot_render_is_paused_and_the_next_one_is_sent(
        sending_app, fake, tmp_path):
    app = sending_app
    await import_cases(app.db, tmp_path, 3)
    bad = await launched(app, "Saved by an older version")
    good = await launched(app, "Next")
    # As an older version let it be stored: a spec that fails at send time.
    await app.db.execute("UPDATE campaigns SET texts=? WHERE id=?",
                         (json.dumps({"en": "Hi {org:q}. Reply STOP to end."}), bad))
    sender = Sender(app)
    task = asyncio.create_task(sender.run_forever())
    try:
        for _ in range(300):
            row = await app.db.fetchone("SELECT state FROM campaigns WHERE id=?", (good,))
            if row["state"] == "done":
                break
            await asyncio.sleep(0.05)
    finally:
        sender.stop()
        await asyncio.wait_for(task, 10)
        await sender.close()
    states = {r["id"]: r["state"] for r in await app.db.fetchall("SELECT id, state FROM campaigns")}
    assert states == {bad: "paused", good: "done"}
    assert fake.messages and not any("{org" in m.body for m in fake.messages)


async def test_the_preview_of_a_text_stored_by_an_older_version_names_the_problem(
        sending_app, tmp_path, capsys):
    from bot.commands.outreach import _print_preview
    app = sending_app
    campaign_id = await campaigns.create(app, campaigns.validate(app, name="Old"), "test")
    await app.db.execute("UPDATE campaigns SET texts=? WHERE id=?",
                         (json.dumps({"en": "Hi {org:>20000000}. Reply STOP."}), campaign_id))
    with pytest.raises(TextProblem) as err:
        await _print_preview(app, campaign_id)
    assert err.value.msgid == "A brace is not closed. Use only {known}."
