"""Steps and their transitions: declared in handlers/flow.py, checked on every turn
(tests/conftest.py fails a test whose conversation makes an undeclared move), and
drawn in handlers/flow.mmd from the declaration."""

from __future__ import annotations

from bot.clock import iso
from bot.storage import people
from handlers import diagram, flow
from handlers.steps import Step
from tests.conftest import ConsoleSession
from tests.dialogue_support import state_of


def test_flow_mmd_is_drawn_from_the_declaration():
    drawn = diagram.PATH.read_text(encoding="utf-8")
    assert drawn == diagram.render(), "stale: run `python -m handlers.diagram`"
    for before, edges in flow.TRANSITIONS.items():
        for after in edges:
            assert f"    {before} --> {after}: " in drawn


def test_every_step_is_declared_once_with_its_transitions():
    assert set(flow.STEPS) == set(Step) == set(flow.TRANSITIONS)
    for edges in (flow.FIRST, flow.ANYWHERE, *flow.TRANSITIONS.values()):
        assert all(isinstance(step, Step) for step in edges)


def test_what_is_declared_is_allowed_and_nothing_else():
    assert flow.allowed(Step.LOOKUP_ID, Step.NAME_LAST)
    assert flow.allowed(Step.NAME_LAST, Step.NAME_LAST)  # the question again
    assert flow.allowed(Step.NAME_DOB, Step.MENU)  # MENU, anywhere
    assert flow.allowed(None, Step.NOTICE_DOB)  # a deep link
    assert not flow.allowed(Step.NAME_LAST, Step.VERIFIED)  # no disclosure by name
    assert not flow.allowed(Step.MENU, Step.NOTICE_DOB)
    assert not flow.allowed(Step.TOPICS, "no_such_step")


async def test_a_turn_that_moves_where_no_transition_leads_is_reported(
        app, undeclared_transitions):
    """A declared move passes unseen; an undeclared one is logged, and the conftest
    guard fails any test where a conversation makes one."""
    person = ConsoleSession(app, "walker")
    await person.say("hi")
    state = await state_of(app, "walker")
    state.step, state.awaiting = Step.NAME_DOB, "date_of_birth"
    async with app.db.transaction() as conn:
        await people.save_state(conn, state, "console", iso(app.clock()))
    await person.say("3/14/1975")  # name_dob -> name_offer: declared
    assert (await state_of(app, "walker")).step == Step.NAME_OFFER
    assert undeclared_transitions == []
    flow.check_transition(Step.NAME_LAST, Step.VERIFIED)
    assert undeclared_transitions == ["undeclared transition name_last -> verified"]
    undeclared_transitions.clear()


def test_steps_are_stored_as_their_names():
    assert [str(step) for step in (Step.LOOKUP_ID, Step.STOP_CONFIRM)] == [
        "lookup_id", "stop_confirm"]
