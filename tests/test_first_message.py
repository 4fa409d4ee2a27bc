"""A new person's first text is answered as what it is, in every shipped language.

Each message below is written as people text, not copied from the corpus the
classifier learns from. The first reply is the short welcome and the answer in one
message, in the language the text is written in.
"""

from __future__ import annotations

import pytest

from bot.storage import escalations
from tests.conftest import ConsoleSession, both_engines
from tests.dialogue_support import import_registry, state_of, text
from tests.langcheck import assert_language

pytestmark = both_engines

CHANGE_NOTE = "To change the language, reply LANGUAGE at any time."
DOCKET_QUESTION = ("Please send your docket number. It is on your case papers, for example "
                   "0912CR004411.")
OPTED_OUT = "{org}: STOP received. You will get no more messages. Reply START to " \
    "get messages again."

# locale -> (a lookup, a lawyer request, an immigration question, a stop in plain words,
#            a docket number inside a sentence)
FIRSTS = {
    "en": ("hey i got a letter about the lab thing, was my case one of them",
           "can i get a lawyer to call me back", "i got deported in 2013 can i ever come back",
           "please quit texting this number", "my docket is 0912CR4411"),
    "es": ("hola me llego una carta, mi caso fue afectado por lo del laboratorio?",
           "necesito hablar con un abogado porfa", "me deportaron hace años, puedo regresar?",
           "ya no me manden mensajes por favor", "mi numero de caso es 0912CR4411"),
    "pt_BR": ("oi, queria saber se meu processo foi afetado pelo laboratorio",
              "preciso falar com um advogado urgente",
              "fui deportado em 2012, posso voltar pros EUA?", "para de me mandar mensagem",
              "o numero do meu processo é 0912CR4411"),
    "ht": ("bonjou, eske ka mwen an te afekte ak pwoblèm laboratwa a?",
           "mwen bezwen pale ak yon avoka tanpri", "yo te depòte m, èske m ka retounen?",
           "pa voye mesaj ban mwen anko", "nimewo dosye mwen se 0912CR4411"),
    "kea": ("oi, N kre sabe si nha kazu foi afetadu", "N mesti fala ku un advogadu",
            "dja N foi deportadu, N pode volta?", "ka bu manda-m mas mensajen",
            "nha numeru di kazu e 0912CR4411"),
    "vi": ("cho tôi hỏi vụ án của tôi có bị ảnh hưởng không", "tôi cần gặp luật sư",
           "tôi bị trục xuất rồi, có về lại được không", "đừng nhắn tin cho tôi nữa",
           "số hồ sơ của tôi là 0912CR4411"),
    "km": ("ខ្ញុំចង់ដឹងថាករណីរបស់ខ្ញុំរងផលប៉ះពាល់ឬទេ", "ខ្ញុំចង់និយាយជាមួយមេធាវី",
           "ខ្ញុំត្រូវបាននិរទេស តើខ្ញុំអាចត្រឡប់មកវិញបានទេ", "សូមឈប់ផ្ញើសារមកខ្ញុំ",
           "លេខសំណុំរឿងរបស់ខ្ញុំគឺ 0912CR4411"),
    "zh_Hans": ("我想问一下我的案子有没有受到影响", "我要找律师", "我被驱逐出境了，还能回美国吗",
                "别再给我发短信了", "我的案号是0912CR4411"),
    "zh_Hant": ("請問我的案件有沒有受影響", "我想找律師幫忙", "我被驅逐出境了，還能回美國嗎",
                "不要再傳簡訊給我了", "我的案號是0912CR4411"),
    "ru": ("здравствуйте, хочу узнать затронуло ли моё дело", "мне нужен адвокат",
           "меня депортировали, можно ли вернуться", "больше не пишите мне",
           "номер моего дела 0912CR4411"),
    "ar": ("أريد أن أعرف هل تأثرت قضيتي", "أحتاج محامي", "تم ترحيلي، هل يمكنني العودة؟",
           "توقفوا عن مراسلتي", "رقم قضيتي هو 0912CR4411"),
}
LOCALES = sorted(FIRSTS)
YES = {"en": "yes", "es": "sí", "pt_BR": "sim", "ht": "wi", "kea": "sin", "vi": "có",
       "km": "បាទ", "zh_Hans": "是的", "zh_Hant": "是的", "ru": "да", "ar": "نعم"}


@pytest.fixture(autouse=True)
def registry(config, tmp_path):
    import_registry(config.storage.url or config.storage.path, tmp_path)


def _(session: ConsoleSession, locale: str, msgid: str, **kwargs: str) -> str:
    return session.app.translator.gettext(locale, msgid).format(**kwargs)


async def topic_title(session: ConsoleSession, locale: str) -> str:
    return session.app.content.text(locale, "topics", "immigration", "title")


async def meant(session: ConsoleSession, turn: dict, label: str) -> dict:
    """The answer, after at most one clarifying question: a message the model reads two or
    three ways is asked back ("Did you mean one of these?"); the option meant must be there."""
    if turn["awaiting"] != "menu" or not turn["replies"][-1]["options"]:
        return turn
    state = await state_of(session.app, session.address)
    if state.step != "clarify":
        return turn
    keys = [o["key"] for o in turn["replies"][-1]["options"] if o["label"] == label]
    assert keys, (label, text(turn))
    return await session.say(keys[0])


def first_reply_welcomes(session: ConsoleSession, turn: dict, locale: str) -> None:
    assert turn["locale"] == locale, text(turn)
    assert _(session, locale, CHANGE_NOTE) in turn["replies"][0]["text"], text(turn)
    assert_language(text(turn), locale)


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_first_lookup_question_gets_the_docket_question(session, locale):
    turn = await session.say(FIRSTS[locale][0])
    first_reply_welcomes(session, turn, locale)
    turn = await meant(session, turn, _(session, locale, "Check my case"))
    assert turn["awaiting"] == "docket_number"
    assert len(turn["replies"]) == 1  # the welcome and the question in one message
    assert _(session, locale, DOCKET_QUESTION) in turn["replies"][0]["text"]


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_first_lawyer_request_opens_the_handoff(app, session, locale):
    turn = await session.say(FIRSTS[locale][1])
    first_reply_welcomes(session, turn, locale)
    turn = await meant(session, turn, _(session, locale, "Talk to a lawyer"))
    state = await state_of(app, session.address)
    row = await escalations.open_for_person(app.db, state.person_id)
    assert row is not None and row["locale"] == locale and row["ref"] in text(turn)


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_first_topic_question_gets_the_topic(app, session, locale):
    turn = await session.say(FIRSTS[locale][2])
    first_reply_welcomes(session, turn, locale)
    turn = await meant(session, turn, await topic_title(session, locale))
    state = await state_of(app, session.address)
    assert state.slots.get("topics_seen") == ["immigration"], text(turn)


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_first_stop_in_plain_words_opts_out_without_a_welcome(app, session, locale):
    turn = await session.say(FIRSTS[locale][3])
    if turn["awaiting"] == "confirm":  # a possible stop is confirmed first
        assert _(session, locale, "Do you want to stop getting messages from us?") in text(turn)
        turn = await session.say(YES[locale])
    org = app.config.organization.name
    assert _(session, locale, OPTED_OUT, org=org) in text(turn), text(turn)
    assert _(session, locale, CHANGE_NOTE) not in text(turn)
    assert await app.dialogue.services.is_opted_out("console", session.address)
    assert (await session.say("hello"))["replies"] == []  # silent from now on


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_first_docket_number_continues_the_lookup(app, session, locale):
    turn = await session.say(FIRSTS[locale][4])
    first_reply_welcomes(session, turn, locale)
    assert turn["awaiting"] == "last_name"
    assert (await session.say("Núñez"))["awaiting"] == "date_of_birth"
    done = await session.say("1975-03-14")
    assert done["locale"] == locale
    assert_language(text(done), locale)
    state = await state_of(app, session.address)
    assert state.slots.get("verified_status") == "dismissed", text(done)


async def test_a_first_notice_code_continues_the_lookup(app, session):
    turn = await session.say("got a letter with HX7K-29QP on it")
    assert _(session, "en", CHANGE_NOTE) in turn["replies"][0]["text"]
    assert turn["awaiting"] == "date_of_birth"
    done = await session.say("03/14/1975")
    state = await state_of(app, session.address)
    assert state.slots.get("verified_status") == "dismissed", text(done)


async def test_a_first_notice_code_goes_the_same_way_whether_it_exists(app):
    """No oracle: an unknown code gets the same question, then the neutral reply."""
    known, unknown = ConsoleSession(app, "known"), ConsoleSession(app, "unknown")
    first_known = await known.say("got a letter with HX7K-29QP on it")
    first_unknown = await unknown.say("got a letter with HX7K-29QZ on it")
    assert first_known == first_unknown and first_known["awaiting"] == "date_of_birth"
    refused = await unknown.say("03/14/1975")
    assert "We could not confirm these details" in text(refused)
    slots = [r["slots"] for r in await app.db.fetchall("SELECT slots FROM conversations")]
    assert not any("HX7K" in s or "29Q" in s for s in slots)  # only the code's hash is kept


@pytest.mark.parametrize("first", ["hi", "😀", "ok", "你好"])
async def test_a_greeting_or_nothing_understood_still_gets_the_language_menu(session, first):
    turn = await session.say(first)
    assert turn["awaiting"] == "language", text(turn)


@pytest.mark.parametrize("first, locale", [("hola", "es"), ("Hola buenas", "es"),
                                           ("xin chào", "vi"), ("bonjou", "ht"),
                                           ("tudo bem?", "pt_BR")])
async def test_a_greeting_in_one_language_is_answered_in_it(session, first, locale):
    """One or two words only one shipped language writes: the welcome and the menu in
    that language (LANGUAGE still changes it), not the language menu in English."""
    turn = await session.say(first)
    assert turn["awaiting"] == "menu", text(turn)
    assert turn["locale"] == locale, text(turn)
    assert_language(text(turn), locale)
