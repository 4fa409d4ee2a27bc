"""The staff console in headless Chromium (Debian's package, never a downloaded browser).

A person asks for a lawyer on the console channel; a staff member signs in,
finds the escalation, claims it and replies; the person receives the reply and
answers; the answer appears in the thread; the staff member resolves it and the
person gets the closing message. Screenshots of the main pages go to a temporary
folder; to regenerate the README's, run the tests with
``CASECHECK_SCREENSHOTS=docs/screenshots python -m pytest tests/test_web_browser.py``.
Every page is also checked at a phone's width (375 px).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from pathlib import Path

import pytest

from bot.app import App
from bot.channels import console
from bot.clock import iso
from bot.storage import casework, escalations
from tests.web_support import PASSWORD, add_user, make_escalation, start_console

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTHS = [1280, 375]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium (.ci/run installs it)")


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: a temporary folder, unless CASECHECK_SCREENSHOTS names one
    (the explicit way to regenerate docs/screenshots/); tracked files are never rewritten."""
    folder = Path(os.environ.get("CASECHECK_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def delivered(app: App, address: str = "tester") -> list[str]:
    """What the console channel hands the person (staff messages), as they would see it."""
    out = io.StringIO()
    await console.run_json(app, address, stdin=io.StringIO('{"poll": true}\n'), stdout=out)
    return [m["text"] for m in json.loads(out.getvalue())["delivered"]]


async def test_staff_answer_a_person_from_the_browser(app, session, shots):
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
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS,
                                               headless=True)
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(base + "/console/escalations")
            await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            await page.screenshot(path=str(shots / "login.png"))
            await page.get_by_label("Email").fill("sam@example.org")
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Sign in").click()

            await expect(page.get_by_role("heading", name="Escalation queue")).to_be_visible()
            await page.screenshot(path=str(shots / "queue.png"), full_page=True)
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
            thread = page.locator("ol.thread.recent")
            await expect(thread).to_contain_text("What is your date of birth?")
            await expect(thread.locator("li.in").last).to_contain_text("March 14, 1975")
            await expect(page.locator("dl.facts")).to_contain_text("New message")
            await page.get_by_label("Add a note").fill("Date of birth given; check the docket.")
            await page.get_by_role("button", name="Save note").click()
            await expect(page.get_by_text("Note added.")).to_be_visible()
            await page.screenshot(path=str(shots / "detail.png"), full_page=True)

            await page.get_by_text("Resolve and hand back to the bot").click()  # unfolds
            await page.get_by_role("button", name="Yes, resolve and send the closing message") \
                .click()
            await expect(page.get_by_text("Resolved. The person got the closing message")) \
                .to_be_visible()
            await browser.close()
    finally:
        await client.close()
    closing = await delivered(app)
    assert len(closing) == 1 and "closed this chat" in closing[0]
    assert (await session.say("menu"))["replies"]  # the bot answers again


async def _signed_in_page(pw, base: str, email: str, width: int):
    browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
    page = await browser.new_page(viewport={"width": width, "height": 800})
    await page.goto(base + "/console/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    return browser, page


async def _no_sideways_scroll(page) -> None:
    width = await page.evaluate("window.innerWidth")
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
async def test_a_long_conversation_keeps_the_newest_exchange_by_the_reply_box(app, width, shots):
    from playwright.async_api import async_playwright, expect

    client = await start_console(app)
    base = str(client.make_url("")).rstrip("/")
    me = await add_user(app, "sam@example.org", "staff")
    esc = await make_escalation(app, messages=tuple(f"message number {i}" for i in range(1, 41)))
    await casework.claim(app.db, await casework.escalation(app.db, esc), f"staff:{me}",
                      iso(app.clock()))
    try:
        async with async_playwright() as pw:
            browser, page = await _signed_in_page(pw, base, "sam@example.org", width)
            await page.goto(f"{base}/console/escalations/{esc}")
            newest = page.locator("ol.thread.recent li").last
            await expect(newest).to_contain_text("message number 40")
            await expect(page.get_by_text("message number 1", exact=True)).to_be_hidden()
            reply = page.get_by_label("Reply to the person")
            newest_box, reply_box = await newest.bounding_box(), await reply.bounding_box()
            assert newest_box and reply_box
            if width >= 1280:  # side by side, both on the first screen
                assert reply_box["x"] > newest_box["x"] + newest_box["width"] - 1
                assert reply_box["y"] < 800
            else:  # one column: the reply box right after the newest message
                assert 0 <= reply_box["y"] - (newest_box["y"] + newest_box["height"]) < 200
            height = await page.evaluate("document.documentElement.scrollHeight")
            assert height < 3000, height  # 40 messages, most of them folded
            await _no_sideways_scroll(page)
            await page.screenshot(path=str(shots / f"detail-{width}.png"), full_page=True)
            await page.get_by_text("Earlier messages (34)").click()
            await expect(page.get_by_text("message number 1", exact=True)).to_be_visible()
            # Resolve asks first
            await page.get_by_text("Resolve and hand back to the bot").click()
            confirm = page.get_by_role("button", name="Yes, resolve and send the closing message")
            await expect(confirm).to_be_visible()
            assert (await casework.escalation(app.db, esc))["status"] == "claimed"
            await confirm.click()
            await expect(page.get_by_text("Resolved. The person got the closing message")) \
                .to_be_visible()
            await browser.close()
    finally:
        await client.close()


@pytest.mark.parametrize("width", WIDTHS)
async def test_queue_and_registry_read_well_at_this_width(app, width, shots):
    from playwright.async_api import async_playwright, expect

    from bot.demo_data import shipped_csv
    from bot.registry.importer import import_csv

    await import_csv(app.db, shipped_csv(), now=app.clock())
    client = await start_console(app)
    base = str(client.make_url("")).rstrip("/")
    await add_user(app, "sam@example.org", "staff")
    for i in range(3):
        await make_escalation(app, address=f"+1617555013{i}", ref=f"WIDE{i}Q")
    try:
        async with async_playwright() as pw:
            browser, page = await _signed_in_page(pw, base, "sam@example.org", width)
            await page.goto(base + "/console/escalations")
            cell = page.locator("table.queue tbody td[data-label]").first
            await expect(cell).to_be_visible()
            label = await cell.evaluate("e => getComputedStyle(e, '::before').content")
            if width < 640:  # each cell keeps its column label
                assert "Status" in label
            else:
                assert label in ("none", "normal", "")
                await expect(page.locator("table.queue thead")).to_be_visible()
            await _no_sideways_scroll(page)
            await page.screenshot(path=str(shots / f"queue-{width}.png"), full_page=True)
            await page.goto(base + "/console/registry?last_name=nunes")
            await expect(page.locator("table.results")).to_contain_text("0912-CR-004411")
            await _no_sideways_scroll(page)
            await page.screenshot(path=str(shots / f"registry-{width}.png"), full_page=True)
            await page.goto(base + "/console/nowhere")
            await expect(page.get_by_role("heading", name="This page does not exist.")) \
                .to_be_visible()
            await expect(page.get_by_role("navigation", name="Main")).to_be_visible()
            icon = await page.evaluate(
                "fetch(document.querySelector('link[rel=icon]').href).then(r => r.status)")
            assert icon == 200
            await browser.close()
    finally:
        await client.close()
