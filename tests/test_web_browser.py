"""The staff console in headless Chromium (Debian's package, never a downloaded browser).

A person asks for a lawyer on the console channel; a staff member signs in,
finds the escalation, claims it and replies; the person receives the reply and
answers; the answer appears in the thread; the staff member resolves it and the
person gets the closing message. Screenshots of the main pages go to
docs/screenshots/ for the README.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest

from bot.app import App
from bot.channels import console
from bot.clock import iso
from bot.storage import escalations
from tests.web_support import PASSWORD, add_user, make_escalation, start_console

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium (.ci/run installs it)")


async def delivered(app: App, address: str = "tester") -> list[str]:
    """What the console channel hands the person (staff messages), as they would see it."""
    out = io.StringIO()
    await console.run_json(app, address, stdin=io.StringIO('{"poll": true}\n'), stdout=out)
    return [m["text"] for m in json.loads(out.getvalue())["delivered"]]


async def test_staff_answer_a_person_from_the_browser(app, session):
    from playwright.async_api import async_playwright, expect

    client = await start_console(app)
    base = str(client.make_url("")).rstrip("/")
    await add_user(app, "sam@example.org", "staff")
    for i, (hours, locale, channel) in enumerate([(50, "es", "sms"), (3, "en", "telegram")]):
        await make_escalation(app, address=f"+1617555012{i}", ref=f"DEMO{i}Q", locale=locale,
                              channel=channel, created=iso(app.clock() - dt.timedelta(hours=hours)))
    # The person, on the console channel: hello, English, "Talk to a lawyer".
    await session.say("hi")
    await session.say("1")
    await session.say("3")
    (esc,) = [e for e in await escalations.list_open(app.db) if e["channel"] == "console"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS,
                                               headless=True)
            page = await browser.new_page(viewport={"width": 1200, "height": 900})
            await page.goto(base + "/console/escalations")
            await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            await page.screenshot(path=str(SHOTS / "login.png"))
            await page.get_by_label("Email").fill("sam@example.org")
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Sign in").click()

            await expect(page.get_by_role("heading", name="Escalation queue")).to_be_visible()
            await page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)
            await page.keyboard.press("Tab")  # keyboard users land on the skip link first
            assert await page.evaluate("document.activeElement.className") == "skip"
            await page.keyboard.press("Enter")
            assert await page.evaluate("document.activeElement.id") == "main"
            row = page.get_by_role("row").filter(has_text=esc["ref"])
            await expect(row).to_contain_text("Console")
            await expect(page.get_by_role("row").filter(has_text="DEMO0Q")).to_contain_text(
                "Overdue")

            await page.get_by_role("link", name=esc["ref"]).click()
            await expect(page.get_by_role("heading", name=f"Escalation {esc['ref']}")) \
                .to_be_visible()
            await page.get_by_role("button", name="Claim").click()
            await expect(page.get_by_text("You claimed this escalation.")).to_be_visible()
            await page.get_by_label("Reply to the person").fill(
                "Hello, I am a lawyer at the clinic. What is your date of birth?")
            await page.get_by_role("button", name="Send and wait for an answer").click()
            await expect(page.get_by_text("Your reply is on its way")).to_be_visible()

            # The person receives the reply on their channel, and answers.
            assert await delivered(app) == [
                "Hello, I am a lawyer at the clinic. What is your date of birth?"]
            assert (await session.say("March 14, 1975"))["replies"] == []  # the bot is quiet

            await page.reload()
            thread = page.locator("ol.thread")
            await expect(thread).to_contain_text("What is your date of birth?")
            await expect(thread.locator("li.in").last).to_contain_text("March 14, 1975")
            await expect(page.locator("dl.facts")).to_contain_text("New message")
            await page.get_by_label("Add a note").fill("Date of birth given; check the docket.")
            await page.get_by_role("button", name="Save note").click()
            await expect(page.get_by_text("Note added.")).to_be_visible()
            await page.screenshot(path=str(SHOTS / "detail.png"), full_page=True)

            await page.get_by_role("button", name="Resolve and hand back to the bot").click()
            await expect(page.get_by_text("Resolved. The person got the closing message")) \
                .to_be_visible()
            await browser.close()
    finally:
        await client.close()
    closing = await delivered(app)
    assert len(closing) == 1 and "closed this chat" in closing[0]
    assert (await session.say("menu"))["replies"]  # the bot answers again
