"""The state table, language choice, commands, restarts and the handlers' boundaries."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import iso
from bot.model import Inbound
from bot.storage import people
from handlers import clarify, flow, intents
from tests.conftest import ConsoleSession
from tests.dialogue_support import NUNEZ, chat, import_registry, lookup, start, state_of, text

HANDLERS = Path(flow.__file__).parent
SLOTS = {"language", "menu", "docket_number", "last_name", "first_name", "date_of_birth",
         "notice_code", "confirm", "free_text", None}


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


def test_handlers_never_import_a_channel_or_provider_library():
    for path in HANDLERS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                assert top not in {"telegram", "twilio", "aiohttp"}, f"{path.name}: {name}"
                assert not name.startswith("bot.channels"), f"{path.name}: {name}"


def test_every_step_awaits_a_protocol_slot_and_is_drawn_in_the_diagram():
    diagram = (HANDLERS / "flow.mmd").read_text(encoding="utf-8")
    for name, step in flow.STEPS.items():
        assert step.awaiting in SLOTS, name
        assert f'"{name} [' in diagram, name


# Messages the model reads two ways, or as perhaps a stop (the first the current
# model reads so is used, so that retraining does not break the walk).
TWO_WAYS = ["housing or job", "my job and my house", "lawyer or record?",
            "i need help with housing and immigration", "is the case about my record or money",
            "refund or record", "job or immigration", "job and housing", "record or immigration",
            "refund and job"]
MAYBE_STOP = ["maybe stop the messages idk", "can you stop", "i guess stop", "stop maybe",
              "not sure i want these anymore", "enough for now", "pause the texts"]


def read_as(action: str, candidates: list[str]) -> str:
    understanding = intents.Understanding()
    for said in candidates:
        if clarify.decide(understanding.understand(said)).action == action:
            return said
    raise AssertionError(f"no candidate is read as {action}")


async def _walk(app: App) -> set[str]:
    """Drive conversations that should pass through every step; collect the steps seen."""
    seen: set[str] = set()
    scripts = {
        "a": ["hi", "1", "1", "0912CR004411", "Nunez", "3/14/1975", "1", "2"],
        "b": ["hi", "1", "1", "1", "HX7K-29QP", "1975-03-14"],
        "c": ["hi", "1", "1", "2", "Nunez", "Maria", "3/14/1975", "2"],
        "d": ["hi", "1"] + ["1", "0912CR004411", "Nunez", "1/1/1970", "3"] * 5 + ["1", "2"],
        "e": ["hi", "1", "STOP", "START"],
        "f": ["hi", "1", "forget me", "2"],
        "g": ["hi", "1", read_as("which", TWO_WAYS), "1"],  # read two ways: which one?
        "h": ["hi", "1", read_as("confirm_stop", MAYBE_STOP), "2"],  # a possible stop
    }
    for address, script in scripts.items():
        person = ConsoleSession(app, address)
        for message in script:
            await person.say(message)
            seen.add((await state_of(app, address)).step or "")
    return seen


async def test_the_state_table_is_walkable_end_to_end(app):
    assert set(flow.STEPS) - await _walk(app) == set()


async def test_every_menu_is_numbered_1_to_n_without_gaps(app):
    """Low-literacy readers count what they see: '1, 2, 4' or '7, 8, 0' confuse."""
    scripts = [["hi", "1"], ["hi", "1", "1", "0912CR004411", "Nunez", "3/14/1975"],
               ["hi", "1", "2"], ["hi", "1", "2", "1"], ["hi", "1", "forget me"],
               ["hi", "1", "1", "0912CR004411", "Nunez", "1/1/1970"]]
    for n, script in enumerate(scripts):
        person = ConsoleSession(app, f"menus-{n}")
        for message in script:
            turn = await person.say(message)
        keys = [o["key"] for r in turn["replies"] for o in r.get("options") or []]
        assert keys == [str(i) for i in range(1, len(keys) + 1)] and keys, (script, keys)


async def test_every_step_asks_its_question_again_after_an_empty_message(app):
    for name, step in flow.STEPS.items():
        person = ConsoleSession(app, f"walker-{name}")
        await start(person)
        state = await state_of(app, f"walker-{name}")
        state.step, state.awaiting = name, step.awaiting
        async with app.db.transaction() as conn:
            await people.save_state(conn, state, "console", iso(app.clock()))
        turn = await person.say("   ")
        assert "did not get any words" in text(turn), name
        assert len(turn["replies"]) >= 2, name
        # opted_out awaits nothing; a person back from it (opt-out lifted) gets the menu
        assert turn["awaiting"] == (step.awaiting or "menu"), name


async def test_a_conversation_survives_a_restart(config, clock, db_path):
    first = await App.create(config, clock=clock)
    try:
        person = ConsoleSession(first, "restart")
        await start(person)
        turn = await chat(person, "1", NUNEZ[0], NUNEZ[1])
        assert turn["awaiting"] == "date_of_birth"
    finally:
        await first.close()
    second = await App.create(config, clock=clock)
    try:
        turn = await ConsoleSession(second, "restart").say(NUNEZ[2])
        assert "We found your case" in text(turn)
    finally:
        await second.close()


async def test_language_is_chosen_by_number_or_name_and_sticks(app):
    number = str(app.translator.locales.index("es") + 1)
    for address, answer in [("n", number), ("w", "español"), ("x", "Spanish"), ("y", "ESPANOL")]:
        person = ConsoleSession(app, address)
        first = await person.say("hi")
        assert "LANGUAGE" in text(first) and "Español" in text(first)
        turn = await person.say(answer)
        assert turn["locale"] == "es" and turn["awaiting"] == "menu", answer
        assert (await state_of(app, address)).locale_chosen


async def test_an_unknown_language_answer_asks_again(session):
    await session.say("hi")
    turn = await session.say("klingon")
    assert turn["awaiting"] == "language" and "number of your language" in text(turn)


async def test_a_language_hint_skips_the_menu_but_an_explicit_choice_wins(app):
    turn = await app.dialogue.handle(Inbound("console", "hinted", "/start", language_hint="es-MX"))
    assert turn.locale == "es" and turn.awaiting == "menu"
    assert "IDIOMA" in " ".join(r.text for r in turn.replies)
    state = await state_of(app, "hinted")
    assert state.locale == "es" and not state.locale_chosen
    person = ConsoleSession(app, "hinted")
    assert (await person.say("IDIOMA"))["awaiting"] == "language"
    assert (await person.say("1"))["locale"] == "en"
    assert (await state_of(app, "hinted")).locale_chosen


async def test_an_unshipped_language_hint_shows_the_language_menu(app):
    turn = await app.dialogue.handle(Inbound("console", "kl", "/start", language_hint="tlh"))
    assert turn.awaiting == "language" and turn.locale == "en"


@pytest.mark.parametrize("command, awaiting", [
    ("/start", "menu"), ("/language", "language"), ("/menu", "menu"), ("MENU", "menu"),
    ("Menú", "menu"), ("/lawyer", "menu"), ("/lawyer@casecheck_bot", "menu"),
])
async def test_telegram_commands_and_menu_work_from_any_step(session, command, awaiting):
    await start(session)
    await chat(session, "1", "0912CR004411")
    turn = await session.say(command)
    assert turn["awaiting"] == awaiting
    if "lawyer" in command:
        assert "Your reference is" in text(turn)


async def test_help_command_answers_like_help(app, session):
    await start(session)
    assert app.config.organization.website in text(await session.say("/help"))


async def test_after_verification_the_topics_get_the_status(app, session):
    await start(session)
    await lookup(session, *NUNEZ)
    turn = await session.say("1")
    assert turn["awaiting"] == "menu"
    assert (await state_of(app)).slots["verified_status"] == "dismissed"


async def test_free_text_at_the_language_menu_is_answered_not_refused(app):
    person = ConsoleSession(app, "eager")
    await person.say("")  # the console opens with an empty message: welcome + language menu
    turn = await person.say("was my case affected?")
    assert turn["awaiting"] == "docket_number" and turn["locale"] == "en"
    assert "LANGUAGE" in text(turn)
    assert not (await state_of(app, "eager")).locale_chosen
    other = ConsoleSession(app, "eager-es")
    await other.say("")
    turn = await other.say("hola, quiero saber si mi caso fue afectado por el laboratorio")
    assert turn["awaiting"] == "docket_number" and turn["locale"] == "es"
    nonsense = ConsoleSession(app, "eager-x")
    await nonsense.say("")
    turn = await nonsense.say("asdfgh")
    assert turn["awaiting"] == "language"


@pytest.mark.parametrize(("language", "answers"), [
    ("en", ["yes", "no", "ok sure"]), ("es", ["si claro", "no"]), ("ru", ["да", "нет"])])
async def test_a_yes_or_no_that_answers_no_option_asks_the_same_question_again(
        app, language, answers):
    # After the lookup the person is offered what next; "yes" chooses none of it:
    # the same question comes back, not the main menu they would have to climb out of.
    person = ConsoleSession(app, f"yes-{language}")
    await start(person, language)
    options = text(await lookup(person, *NUNEZ)).split("\n")[-4:]
    for answer in answers:
        turn = await person.say(answer)
        lines = text(turn).split("\n")
        assert lines[-4:] == options, (answer, lines)
        assert len(lines) == 5, (answer, lines)  # "Sorry, I did not understand." first
        assert (await state_of(app, f"yes-{language}")).step == "verified"
