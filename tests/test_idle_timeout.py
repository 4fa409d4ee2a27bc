"""A conversation idle past ``[dialogue] idle_timeout_hours`` starts again at the menu:
a person back after weeks is not asked the date of birth of a lookup they forgot."""

from __future__ import annotations

from bot.app import App
from handlers.steps import Step
from tests.conftest import ConsoleSession
from tests.dialogue_support import NUNEZ, start, state_of, text

DOB_QUESTION = "date of birth"


async def at_the_date_question(app: App, address: str) -> ConsoleSession:
    person = ConsoleSession(app, address)
    await start(person)
    await person.say("1")  # check my case
    turn = await person.say(NUNEZ[0])
    turn = await person.say(NUNEZ[1])
    assert DOB_QUESTION in text(turn)
    return person


async def test_back_after_weeks_a_greeting_is_answered_at_the_menu(app, clock):
    person = await at_the_date_question(app, "weeks")
    clock.advance(days=30)
    turn = await person.say("hello")
    state = await state_of(app, "weeks")
    assert DOB_QUESTION not in text(turn)
    assert "Hello!" in text(turn) and "What would you like to do?" in text(turn)
    assert (state.step, state.awaiting) == (Step.MENU, "menu")
    assert "lk_docket" not in state.slots  # the half-done lookup is forgotten


async def test_back_after_weeks_a_request_is_acted_on(app, clock):
    person = await at_the_date_question(app, "lawyer")
    clock.advance(hours=25)
    turn = await person.say("I want to talk to a lawyer")
    assert DOB_QUESTION not in text(turn)
    assert (await state_of(app, "lawyer")).step != Step.DOCKET_DOB


async def test_within_the_timeout_the_question_stands(app, clock):
    person = await at_the_date_question(app, "soon")
    clock.advance(hours=23)
    turn = await person.say("hello")
    assert DOB_QUESTION in text(turn)  # "hello" is not a date: asked again
    assert (await state_of(app, "soon")).step == Step.DOCKET_DOB


async def test_the_timeout_is_configurable(config, clock):
    app = await App.create(config.replace("dialogue", "idle_timeout_hours", 0), clock=clock)
    try:
        person = await at_the_date_question(app, "never")
        clock.advance(days=90)
        turn = await person.say("hello")
    finally:
        await app.close()
    assert DOB_QUESTION in text(turn)  # 0: conversations never expire
