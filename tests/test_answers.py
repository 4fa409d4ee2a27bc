"""Answer slots in every shipped language: yes/no, option labels, dates, menu numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.storage import audit, escalations
from bot.understanding.yesno import yes_no
from handlers.dates import BadDate, parse_birth_date, readings
from tests.dialogue_support import NUNEZ, chat, import_registry, start, state_of, text
from tests.langcheck import assert_language

TODAY = dt.date(2026, 1, 15)
LOCALES = ["en", "es", "pt_BR", "ht", "kea", "vi", "km", "zh_Hans", "zh_Hant", "ru", "ar"]

YES_ANSWERS = {
    "en": ["yes", "Yes please", "yeah sure", "yep", "ok", "of course", "yessir"],
    "es": ["sí", "si claro", "claro que si", "dale", "Sí, por favor", "simon", "sip"],
    "pt_BR": ["sim", "sim, quero", "claro", "pode sim", "isso", "ss"],
    "ht": ["wi", "wi mwen vle", "Wi souple", "dakò", "oke"],
    "kea": ["sin", "Sin, N kre", "sim", "N kre sin", "N kre", "oki"],
    "vi": ["có", "có ạ", "vâng", "dạ được", "ừ"],
    "km": ["បាទ", "ចាស", "បាទ ខ្ញុំចង់"],
    "zh_Hans": ["是", "是的", "好", "好的，谢谢", "对", "没问题"],
    "zh_Hant": ["是", "是的", "好啊", "對", "係", "係呀", "冇問題"],
    "ru": ["да", "Да, хочу", "конечно", "ага", "давайте"],
    "ar": ["نعم", "ايوه", "أكيد", "نعم أريد"],
}
NO_ANSWERS = {
    "en": ["no", "No thanks", "nope", "nah", "not now"],
    "es": ["no", "no gracias", "No, ahorita no"],
    "pt_BR": ["não", "nao", "não quero", "agora não", "nn"],
    "ht": ["non", "non mèsi", "Non, pa kounye a"],
    "kea": ["nãu", "nau", "Nãu obrigadu", "N ka kre"],
    "vi": ["không", "ko", "không ạ", "chưa"],
    "km": ["ទេ", "អត់ទេ", "អត់"],
    "zh_Hans": ["不是", "不要", "不用了", "没有", "算了"],
    "zh_Hant": ["不是", "不要", "不用了", "沒有", "唔係", "唔要", "唔使", "冇"],
    "ru": ["нет", "Нет, спасибо", "не надо"],
    "ar": ["لا", "لا شكرا", "كلا"],
}
NEITHER = ["係咪騙子", "唔該晒", "hello", "my name is Ana", "1975-03-14", "", "😀", "what?",
           "x" * 500,
           "I have a question about my case and whether it was affected by the lab"]

# Every way of writing March 14, 1975 (unambiguous: 14 is no month).
DATES = {
    "en": ["March 14 1975", "14th of march 1975", "i was born on march 14, 1975", "3/14/1975",
           "born 3/14/1975", "Mar 14 '75"],
    "es": ["nací el 14 de marzo de 1975", "14 de marzo del 1975", "14/03/1975", "14 marzo 75"],
    "pt_BR": ["14 de março de 1975", "nasci em 14 de marco de 1975", "14/3/1975"],
    "ht": ["14 mas 1975", "14 mas, 1975", "mwen fèt 14 mas 1975"],
    "kea": ["14 di Marsu di 1975", "N nase na 14 di marsu 1975", "14 Marsu 1975"],
    "vi": ["14 tháng 3 năm 1975", "ngày 14 tháng 3 năm 1975", "14 thang 3 1975"],
    "km": ["14 មីនា 1975", "ថ្ងៃទី ១៤ ខែមីនា ឆ្នាំ ១៩៧៥", "ថ្ងៃទី១៤ ខែមីនា ឆ្នាំ១៩៧៥"],
    "zh_Hans": ["1975年3月14日", "我是1975年3月14号出生的", "一九七五年三月十四日"],
    "zh_Hant": ["1975年3月14日", "１９７５年３月１４日"],
    "ru": ["14 марта 1975", "14 марта 1975 года", "родился 14 марта 1975"],
    "ar": ["14 مارس 1975", "١٤ مارس ١٩٧٥", "14 آذار 1975", "١٤/٣/١٩٧٥"],
}


@pytest.mark.parametrize("locale", LOCALES)
def test_yes_and_no_in_every_language(locale):
    for said in YES_ANSWERS[locale]:
        assert yes_no(said) is True, said
    for said in NO_ANSWERS[locale]:
        assert yes_no(said) is False, said


@pytest.mark.parametrize("said", NEITHER)
def test_what_is_neither_yes_nor_no_stays_undecided(said):
    assert yes_no(said) is None


@pytest.mark.parametrize("locale", LOCALES)
def test_dates_in_words_and_numbers_in_every_language(locale):
    for said in DATES[locale]:
        assert parse_birth_date(said, TODAY, (locale, "en")) == dt.date(1975, 3, 14), said


def test_a_date_that_reads_two_ways_gives_both_the_readers_convention_first():
    assert readings("07/03/1984", TODAY, ("en",)) == [dt.date(1984, 7, 3), dt.date(1984, 3, 7)]
    assert readings("07/03/1984", TODAY, ("es",)) == [dt.date(1984, 3, 7), dt.date(1984, 7, 3)]
    assert readings("03/03/1984", TODAY, ("es",)) == [dt.date(1984, 3, 3)]


@pytest.mark.parametrize("said", ["²/3/1975", "①/3/1975", "፩ mars 1975", "14 mas 19७5x",
                                  "32 marzo 1975", "14 marzo junio 1975", "², ①", "1975年13月1日",
                                  "14 марта 3000", "x" * 5000, "1.2.3.4"])
def test_odd_numerals_and_impossible_dates_are_refused_never_crash(said):
    with pytest.raises(BadDate):
        parse_birth_date(said, TODAY, ("en", "es"))


# -- through the dialogue -------------------------------------------------------


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_date_in_words_and_a_yes_in_words_in_every_language(app, session, locale):
    await start(session, locale)
    docket, last, _ = NUNEZ
    found = await chat(session, "1", docket, last, DATES[locale][0])
    state = await state_of(app, session.address)
    assert state.slots.get("verified_status") == "dismissed", text(found)
    asked = await session.say("/forget")
    assert asked["awaiting"] == "confirm"
    done = await session.say(YES_ANSWERS[locale][1 if len(YES_ANSWERS[locale]) > 1 else 0])
    assert session.app.translator.gettext(
        locale, "Done. We deleted your messages, your answers and the link to this number. "
        "You can write to us again at any time.") in text(done)
    assert_language(text(done), locale)


async def test_a_two_way_date_is_asked_back_and_counts_once_chosen(app, session):
    await start(session, "es")
    asked = await chat(session, "1", "0912-CR-004411", "Nunez", "03/04/1975")
    assert asked["awaiting"] == "date_of_birth"
    assert app.translator.gettext("es", "Which date did you mean?") in text(asked)
    assert "3 de abril de 1975" in text(asked) and "4 de marzo de 1975" in text(asked)
    assert not await lookups(app)  # not an attempt yet
    failed = await session.say("1")
    assert failed["awaiting"] == "menu"
    assert await lookups(app) == ["failed"]  # 3 April is not her birthday: one attempt


async def lookups(app) -> list[str]:
    return [r["outcome"] for r in await audit.recent(app.db) if r["action"] == "lookup"]


@pytest.mark.parametrize("typed", ["２", "٢", "²", "①", "፩", "2²"])
async def test_menu_numbers_in_any_script_and_odd_numerals_never_crash(session, typed):
    await start(session)
    turn = await session.say(typed)
    if typed in ("２", "٢"):
        assert turn["awaiting"] == "menu" and "Choose a topic" in text(turn)
    else:
        assert turn["replies"], typed


@pytest.mark.parametrize("typed", ["²", "①", "፩", "１"])
async def test_odd_numerals_at_the_language_menu_never_crash(session, typed):
    turn = await session.say("hi")
    turn = await session.say(typed)
    assert turn["replies"]
    if typed == "１":
        assert turn["awaiting"] == "menu" and turn["locale"] == "en"


async def test_an_option_label_typed_back_answers_like_its_number(app, session):
    await start(session, "es")
    label = app.translator.gettext("es", "Talk to a lawyer")
    turn = await session.say(label.lower() + "!")
    state = await state_of(app, session.address)
    row = await escalations.open_for_person(app.db, state.person_id)
    assert row is not None and row["ref"] in text(turn)


@pytest.mark.parametrize("said", ["el número en mis papeles es 0912 CR 004411",
                                  "số hồ sơ của tôi là 0912-cr-4411",
                                  "my record says 0912CR4411", "0912 cr 4411",
                                  "docket # ０９１２ＣＲ４４１１ for immigration"])
async def test_at_the_docket_question_a_docket_number_wins_over_topic_words(app, session, said):
    await start(session)
    await session.say("1")
    turn = await session.say(said)
    assert turn["awaiting"] == "last_name", text(turn)
    await session.say("Nunez")
    await session.say("1975-03-14")
    state = await state_of(app, session.address)
    assert state.slots.get("verified_status") == "dismissed"
