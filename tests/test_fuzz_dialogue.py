"""Property: whatever a person types, in whatever order, every turn of the console
chat is answered (unless they opted out, when silence is the answer), and no
handler raises. Real SQLite, the fixture registry imported for real.

A handler that raises would be answered with the apology (bot.workers.apologise)
and leave a ``turn_failed`` audit row: that row is what this test looks for. The
one known such bug, digits int() cannot read at a menu or date question, is fixed
in handlers/ by another change; until it is merged those examples are counted
(hypothesis ``event``), not failed, and ``test_non_decimal_digits_are_text``
marks it.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest
from hypothesis import HealthCheck, event, given, settings

from bot.app import App
from bot.channels import console
from tests.dialogue_support import import_registry
from tests.fuzz_support import NON_DECIMAL_DIGITS, conversations, examples, is_digit_bug


async def _failures(app: App) -> int:
    row = await app.db.fetchone("SELECT COUNT(*) FROM audit WHERE action='turn_failed'")
    return int(row[0])


async def _converse(app: App, address: str, texts: list[str]) -> None:
    for text in texts:
        before = await _failures(app)
        turn = await console.turn(app, address, text)
        failed = await _failures(app) > before
        if failed and is_digit_bug(text):
            event("known digit bug (fixed in handlers/ elsewhere)")
            continue
        assert not failed, f"a handler raised on {text!r}"
        if not turn.replies:
            opted_out = await app.dialogue.services.is_opted_out(console.CHANNEL, address)
            assert opted_out, f"silent turn on {text!r}"
        assert all(r.text.strip() for r in turn.replies), f"an empty reply to {text!r}"
        for reply in turn.replies:  # what is printed can be encoded
            reply.text.encode("utf-8")


def test_every_turn_of_a_fuzzed_conversation_is_answered(config, db_path, tmp_path):
    import_registry(db_path, tmp_path)
    people = itertools.count()
    with asyncio.Runner() as runner:
        app = runner.run(App.create(config))
        try:
            @settings(max_examples=examples(150), deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.too_slow,
                                             HealthCheck.data_too_large])
            @given(conversations())
            def conversation(texts: list[str]) -> None:
                runner.run(_converse(app, f"fuzz{next(people)}", texts))

            conversation()
        finally:
            runner.run(app.close())


@pytest.mark.parametrize("digit", list(NON_DECIMAL_DIGITS[:4]))
async def test_non_decimal_digits_are_text(app, digit):
    for text in ("hi", digit):
        await console.turn(app, "digits", text)
    assert await _failures(app) == 0


def test_the_fuzzer_covers_hostile_text() -> None:
    """The strategy does produce what broke the bot before (a guard on the fuzzer)."""
    seen: set[str] = set()

    @settings(max_examples=300, derandomize=True, database=None)
    @given(conversations())
    def collect(texts: list[str]) -> None:
        for text in texts:
            if "\ud800" in text or "\udfff" in text:
                seen.add("surrogate")
            if "\x00" in text:
                seen.add("nul")
            if is_digit_bug(text):
                seen.add("digit")
            if len(text) > 1600:
                seen.add("long")

    collect()
    assert seen >= {"surrogate", "digit", "long"}
