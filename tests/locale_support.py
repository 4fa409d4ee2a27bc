"""One whole conversation in a chosen language, for the translators' tests.

Each row of ``tests/test_locales.py`` walks the same path through the console
channel (choose the language from the menu, check a case and see it disclosed,
read a topic, ask for a lawyer) and checks that every stage reads as that
language and not as English. Options are picked by their translated label, so
neither new locales nor new menu entries change the path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from babel.messages.pofile import read_po

from bot.app import App
from bot.i18n import locales_dir
from bot.storage import escalations
from tests.conftest import ConsoleSession
from tests.dialogue_support import NUNEZ, start, state_of, text
from tests.langcheck import assert_language

ENGLISH_ADDRESS = "english-reader"
REPLY_KEYWORDS = re.compile(r"\b(STOP|START|MENU|MORE|YES|LANGUAGE)\b")
BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass
class Walk:
    """What the person reads at each stage (replies and option labels)."""

    menu: str
    disclosure: str
    topic: str
    lawyer: str

    def stages(self) -> dict[str, str]:
        return {"menu": self.menu, "disclosure": self.disclosure, "topic": self.topic,
                "lawyer": self.lawyer}


async def choose(session: ConsoleSession, turn: dict[str, Any], locale: str,
                 msgid: str) -> dict[str, Any]:
    """Answer with the key of the option labelled ``msgid`` in ``locale``."""
    label = session.app.translator.gettext(locale, msgid)
    keys = [o["key"] for r in turn["replies"] for o in r["options"] if o["label"] == label]
    assert keys, f"no option {label!r} in {text(turn)!r}"
    return await session.say(keys[0])


async def walk(session: ConsoleSession, locale: str) -> Walk:
    """Language menu -> verified lookup -> a topic -> a lawyer, all by the menus."""
    menu = await start(session, locale)
    assert menu["locale"] == locale
    asked = await choose(session, menu, locale, "Check my case")
    docket, last_name, birth_date = NUNEZ
    await session.say(docket)
    await session.say(last_name)
    disclosure = await session.say(birth_date)
    topic = await choose(session, disclosure, locale, "What this means for me")
    back = await session.say("MENU")
    lawyer = await choose(session, back, locale, "Talk to a lawyer")
    return Walk(menu=text(menu), disclosure=text(asked) + "\n" + text(disclosure),
                topic=text(topic), lawyer=text(lawyer))


async def check_conversation(app: App, session: ConsoleSession, locale: str) -> Walk:
    """Walk in ``locale`` and in English; every stage must read as ``locale`` and differ."""
    walked = await walk(session, locale)
    english = await walk(ConsoleSession(app, ENGLISH_ADDRESS), "en")
    for stage, said in walked.stages().items():
        assert_language(said, locale)
        assert said != english.stages()[stage], stage
    state = await state_of(app, session.address)
    assert state.locale == locale and state.slots["verified_status"] == "dismissed"
    row = await escalations.open_for_person(app.db, state.person_id)
    assert row is not None and row["locale"] == locale and row["ref"] in walked.lawyer
    return walked


def catalog_texts(locale: str) -> list[str]:
    """Every translation of ``locale``: UI catalogs and content packs."""
    root = locales_dir()
    paths = [*root.glob(f"{locale}/LC_MESSAGES/*.po"),
             *root.glob(f"packs/*/{locale}/LC_MESSAGES/*.po")]
    texts: list[str] = []
    for path in sorted(paths):
        with path.open("rb") as fh:
            for message in read_po(fh, locale=locale):
                if message.id:
                    forms = message.string
                    texts += [forms] if isinstance(forms, str) else list(forms)
    return texts


def lost_reply_keywords(locale: str) -> list[tuple[object, str]]:
    """(msgid, translation) where a reply keyword of the msgid (STOP, MENU...) is missing
    from the translation: the bot only understands the English word."""
    lost: list[tuple[object, str]] = []
    for path in sorted(locales_dir().glob(f"**/{locale}/LC_MESSAGES/*.po")):
        with path.open("rb") as fh:
            for m in read_po(fh, locale=locale):
                ids = [m.id] if isinstance(m.id, str) else list(m.id)
                forms = [m.string] if isinstance(m.string, str) else list(m.string)
                want = {w for i in ids if i for w in REPLY_KEYWORDS.findall(i)}
                lost += [(m.id, f) for f in forms if want - set(REPLY_KEYWORDS.findall(f))]
    return lost
