"""The whole conversation in Arabic: language menu, verified disclosure, a topic, a lawyer."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from bot.i18n import locales_dir
from tests.dialogue_support import NUNEZ, import_registry, start, text
from tests.locale_support import catalog_texts, check_conversation, choose


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


async def test_a_conversation_in_arabic(app, session):
    walked = await check_conversation(app, session, "ar")
    assert "فحص قضيتي" in walked.menu
    assert "وجدنا قضيتك" in walked.disclosure and "أُسقطت" in walked.disclosure
    assert "عشرات الآلاف من القضايا" in walked.topic and "الهجرة" in walked.topic
    assert "نسعى أن يتواصل معك محامٍ من" in walked.lawyer and "24 ساعة عمل" in walked.lawyer


def test_no_bidi_control_characters():
    """Clients handle the direction of Arabic text; the catalogs force nothing."""
    bidi = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert not [t for t in catalog_texts("ar") if set(t) & bidi]


async def test_the_birth_date_question_asks_for_the_month_first(session):
    """The lookup reads numeric dates month first (US order): the question must say so."""
    menu = await start(session, "ar")
    await choose(session, menu, "ar", "Check my case")
    docket, last_name, _ = NUNEZ
    await session.say(docket)
    asked = text(await session.say(last_name))
    assert "03/14/1975" in asked and "الشهر ثم اليوم ثم السنة" in asked


def test_reply_keywords_stay_as_the_bot_understands_them():
    """Reply keywords (STOP, MENU, YES...) keep their English form in every translation."""
    keyword = re.compile(r"\b(STOP|START|MENU|MORE|YES|LANGUAGE)\b")
    lost = []
    for path in sorted(locales_dir().glob("**/ar/LC_MESSAGES/*.po")):
        with path.open("rb") as fh:
            for m in read_po(fh, locale="ar"):
                ids = [m.id] if isinstance(m.id, str) else list(m.id)
                forms = [m.string] if isinstance(m.string, str) else list(m.string)
                want = {w for i in ids if i for w in keyword.findall(i)}
                lost += [(m.id, f) for f in forms if want - set(keyword.findall(f))]
    assert not lost


async def test_the_local_word_for_language_offered_in_the_welcome_opens_the_menu(session):
    await start(session, "ar")
    assert "اللغة" in session.app.translator.gettext(
        "ar", "To change the language, reply LANGUAGE at any time.")
    assert (await session.say("اللغة"))["awaiting"] == "language"
