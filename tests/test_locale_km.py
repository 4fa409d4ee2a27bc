"""The whole conversation in Khmer: language menu, verified disclosure, a topic, a lawyer."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from bot.i18n import locales_dir
from tests.dialogue_support import NUNEZ, import_registry, start, text
from tests.locale_support import check_conversation, choose


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


async def test_a_conversation_in_khmer(app, session):
    walked = await check_conversation(app, session, "km")
    assert "ពិនិត្យសំណុំរឿងរបស់ខ្ញុំ" in walked.menu
    assert "រកឃើញសំណុំរឿង" in walked.disclosure and "បានលើកចោល" in walked.disclosure
    assert "សំណុំរឿងរាប់ម៉ឺន" in walked.topic and "អន្តោប្រវេសន៍" in walked.topic
    assert "មេធាវីនៃ" in walked.lawyer and "24 ម៉ោងធ្វើការ" in walked.lawyer


async def test_the_birth_date_question_asks_for_the_month_first(session):
    """The lookup reads numeric dates month first (US order): the question must say so."""
    menu = await start(session, "km")
    await choose(session, menu, "km", "Check my case")
    docket, last_name, _ = NUNEZ
    await session.say(docket)
    asked = text(await session.say(last_name))
    assert "03/14/1975" in asked and "ខែ/ថ្ងៃ/ឆ្នាំ" in asked


def test_reply_keywords_stay_as_the_bot_understands_them():
    """Reply keywords (STOP, MENU, YES...) keep their English form in every translation."""
    keyword = re.compile(r"\b(STOP|START|MENU|MORE|YES|LANGUAGE)\b")
    lost = []
    for path in sorted(locales_dir().glob("**/km/LC_MESSAGES/*.po")):
        with path.open("rb") as fh:
            for m in read_po(fh, locale="km"):
                ids = [m.id] if isinstance(m.id, str) else list(m.id)
                forms = [m.string] if isinstance(m.string, str) else list(m.string)
                want = {w for i in ids if i for w in keyword.findall(i)}
                lost += [(m.id, f) for f in forms if want - set(keyword.findall(f))]
    assert not lost


async def test_the_local_word_for_language_offered_in_the_welcome_opens_the_menu(session):
    await start(session, "km")
    assert "ភាសា" in session.app.translator.gettext(
        "km", "To change the language, reply LANGUAGE at any time.")
    assert (await session.say("ភាសា"))["awaiting"] == "language"
