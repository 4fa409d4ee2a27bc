"""'Forget me' in a person's own words, not the keyword, reaches the confirmation."""

from __future__ import annotations

import pytest

from tests.dialogue_support import start, text

CONFIRM = ("This deletes our messages, your answers and the link to this number. We keep "
           "only a note of any case we showed, without your name or number. Delete now?")


@pytest.mark.parametrize("said", ["please delete everything you have about me",
                                  "can u erase all my info"])
async def test_a_forget_request_in_words_asks_to_confirm(session, said) -> None:
    await start(session)
    turn = await session.say(said)
    assert CONFIRM in text(turn), text(turn)
    assert turn["awaiting"] == "confirm"
