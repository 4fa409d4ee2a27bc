"""Language of a new person's first message: detected when clear, else the menu; the
explicit choice wins and sticks (across a restart and across linked contacts)."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import App
from bot.i18n import language_name
from bot.langdetect import Detection, LanguageDetector, chinese_variant, long_enough
from bot.langid_compact import CompactIdentifier
from bot.model import Inbound
from bot.storage import linking, people
from tests.conftest import ConsoleSession
from tests.dialogue_support import import_registry, text
from tests.langcheck import assert_language

ALL = ["en", "es", "pt_BR", "ht", "kea", "vi", "zh_Hant", "zh_Hans", "km", "ru", "ar"]
CORPUS = Path(__file__).parent / "data" / "utterances.tsv"
SPANISH = "hola, quiero saber si borraron mi caso de drogas"
CHANGE_NOTE = "To change the language, reply LANGUAGE at any time."


def corpus() -> list[tuple[str, str]]:
    rows = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            _intent, locale, utterance = line.split("\t")
            rows.append((locale, utterance))
    return rows


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(ALL)


@pytest.mark.parametrize(("locale", "utterance"), corpus())
def test_a_corpus_line_is_its_language_or_the_menu_never_another(detector, locale, utterance):
    found = detector.detect(utterance)
    assert found.locale in (None, locale), found
    if not long_enough(utterance):
        assert found == Detection(None, "short")


def _texts_and_noise() -> list[str]:
    """Every corpus line, and texts py3langid was never meant for: random code points,
    emoji, capitals, nothing."""
    rng = random.Random(7)
    noise = ["".join(chr(rng.randint(32, 0x2FFF)) for _ in range(rng.randint(1, 60)))
             for _ in range(300)]
    return [u for _l, u in corpus()] + noise + ["", "A", "HOLA QUE TAL", "😀😀", "\x00\x01"]


def test_the_compact_identifier_scores_as_py3langid_does(detector, tmp_path) -> None:
    """It holds the shipped languages' weights and a table of 3 MB in place of
    py3langid's 39 MB tokenizer, and gives every text the language and probability
    py3langid's own restriction gives, built or loaded from its cache."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    reference.set_languages(detector.codes)
    built = CompactIdentifier.for_languages(detector.codes, tmp_path)
    cached = CompactIdentifier.for_languages(detector.codes, tmp_path)
    (cache,) = tmp_path.iterdir()
    assert cache.stat().st_size < 4_000_000
    assert len(built.classes) == len(detector.codes) < 20
    assert len(built.ptc) == 2 * len(built.classes) * (max(built.counts) + 1)
    for said in _texts_and_noise():
        expected_code, expected = reference.classify(said)
        for identifier in (built, cached):
            code, probability = identifier.classify(said)
            assert code == expected_code, said
            assert probability == pytest.approx(expected, abs=1e-4), said


def test_a_broken_cache_file_is_built_again(detector, tmp_path) -> None:
    CompactIdentifier.for_languages(detector.codes, tmp_path)
    (cache,) = tmp_path.iterdir()
    whole = cache.read_bytes()
    flipped = bytearray(whole)
    flipped[-100] ^= 0x01  # one weight
    for broken in (b"not a numpy file", whole[:-1], whole + b"\0", bytes(flipped)):
        cache.write_bytes(broken)
        identifier = CompactIdentifier.for_languages(detector.codes, tmp_path)
        assert identifier.classify(SPANISH)[0] == "es"
        assert cache.read_bytes() == whole  # written anew


def test_a_process_serving_from_the_cache_never_imports_numpy(detector, tmp_path) -> None:
    """numpy (15 MB a process) is for building the cache only: loading and scoring
    use the standard library."""
    CompactIdentifier.for_languages(detector.codes, tmp_path)
    serve = ("import sys; from pathlib import Path; from bot.langid_compact import "
             "CompactIdentifier as C; i = C.for_languages(sys.argv[1].split(','), "
             "Path(sys.argv[2])); print(i.classify(sys.argv[3])[0], 'numpy' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", serve, ",".join(detector.codes), str(tmp_path),
                          SPANISH], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert run.stdout.split() == ["es", "False"], run.stderr


def test_most_long_corpus_lines_are_detected(detector) -> None:
    long = [(loc, u) for loc, u in corpus() if long_enough(u)]
    hits = sum(detector.detect(u).locale == loc for loc, u in long)
    assert len(long) >= 40 and hits >= 0.9 * len(long)


@pytest.mark.parametrize("greeting", ["hi", "oi", "hola", "bonjou", "xin chào", "你好",
                                      "привет", "مرحبا", "សួស្តី", "hello there", "gracias"])
def test_short_greetings_fall_back_to_the_menu(detector, greeting) -> None:
    assert detector.detect(greeting).locale is None


def test_chinese_is_split_by_script(detector) -> None:
    assert detector.detect("我想知道我的案件是不是受到影響了").locale == "zh_Hant"
    assert detector.detect("我想知道我的案件是不是受到影响了").locale == "zh_Hans"
    assert chinese_variant("我想知道我的案件是不是") is None  # the same in both: ask


@pytest.mark.parametrize("kriolu", ["N kre fala ku un advogadu sobre nha kazu",
                                    "bu pode djuda-m ku nha kazu", "N ka sabe kuze ki N debe faze"])
def test_cape_verdean_creole_is_never_taken_for_portuguese_or_haitian(detector, kriolu) -> None:
    assert detector.detect(kriolu).locale is None
    assert LanguageDetector(["en", "pt_BR", "ht"]).detect("bu pode djuda-m ku nha kazu e "
                                                          "kuze ki N debe faze").locale != "en"


def test_only_offered_languages_are_answered() -> None:
    only_two = LanguageDetector(["en", "es"])
    assert only_two.detect("quero falar com um advogado sobre o meu processo").locale != "pt_BR"
    assert only_two.detect(SPANISH).locale == "es"


# -- through the dialogue -------------------------------------------------------


async def test_a_long_spanish_first_message_is_answered_in_spanish(app, session) -> None:
    turn = await session.say(SPANISH)
    assert turn["locale"] == "es" and turn["awaiting"] == "docket_number"  # answered as asked
    said = text(turn)
    assert app.translator.gettext("es", CHANGE_NOTE) in said
    assert CHANGE_NOTE not in said
    assert_language(said, "es")
    state = await people.get_or_create(app.db, "console", "tester", "2026-01-01")
    assert state.locale == "es" and not state.locale_chosen  # a guess, not a choice


async def test_a_short_or_unclear_first_message_gets_the_language_menu(app) -> None:
    languages = app.dialogue.services.languages
    firsts = [("a", "hi"), ("b", "ok"), ("c", "😀"), ("d", "taxi hotel pizza radio")]
    for address, first in firsts:
        turn = await ConsoleSession(app, address).say(first)
        assert languages.loaded == (address == "d")  # short texts never load the model
        assert turn["awaiting"] == "language", (first, turn)
        labels = [o["label"] for o in turn["replies"][-1]["options"]]
        # the short first menu: this language and the next ones; LANGUAGE shows them all
        assert labels == [language_name(loc) for loc in app.translator.locales][:len(labels)]
        assert len(labels) >= 3 and "LANGUAGE" in turn["replies"][-1]["text"]


async def test_naming_a_language_in_the_first_message_is_a_choice(app, session) -> None:
    turn = await session.say("can we do this in spanish please")
    assert turn["locale"] == "es" and turn["awaiting"] == "menu"
    state = await people.get_or_create(app.db, "console", "tester", "2026-01-01")
    assert state.locale_chosen


async def test_the_explicit_choice_wins_and_survives_a_restart(config, clock) -> None:
    async with await App.create(config, clock=clock) as app:
        session = ConsoleSession(app)
        assert (await session.say(SPANISH))["locale"] == "es"
        menu = await session.say("IDIOMA")
        assert menu["awaiting"] == "language"
        english = str(app.translator.locales.index("en") + 1)
        assert (await session.say(english))["locale"] == "en"
    async with await App.create(config, clock=clock) as app:
        session = ConsoleSession(app)
        turn = await session.say("quiero hablar con un abogado, por favor")
        assert turn["locale"] == "en"
        turn = await session.say("START")  # a new greeting does not guess again
        assert turn["locale"] == "en"
        assert_language(text(turn), "en")


@pytest.mark.parametrize("word", ["LANGUAGE", "IDIOMA", "LÍNGUA", "LANG", "LANGUE", "NGÔN NGỮ",
                                  "語言", "语言", "ភាសា", "ЯЗЫК", "اللغة", "LAN", "LINGUA",
                                  "idioma?"])
async def test_language_words_open_the_menu_at_any_step(app, session, word) -> None:
    await session.say("hi")
    await session.say("1")  # English: the main menu
    assert (await session.say(word))["awaiting"] == "language"
    await session.say("1")
    await session.say("1")  # check my case: a data question
    assert (await session.say(word))["awaiting"] == "language"


async def test_lang_and_lan_are_names_at_a_name_question(app, session) -> None:
    await session.say("hi")
    await session.say("1")
    turn = await session.say("1")
    turn = await session.say("2")  # no docket: by name
    assert turn["awaiting"] == "last_name", turn
    assert (await session.say("Lang"))["awaiting"] == "first_name"
    assert (await session.say("Lan"))["awaiting"] == "date_of_birth"
    assert (await session.say("ЯЗЫК"))["awaiting"] == "language"  # not a name: the menu


@pytest.fixture
def registry(db_path: Path, tmp_path: Path) -> None:
    import_registry(db_path, tmp_path)


async def test_the_choice_is_shared_by_linked_contacts(registry, app) -> None:
    """An SMS contact chose Spanish; once linked to a Telegram chat, both get Spanish."""
    phone = "+16175550101"  # the phone on file for the case 0912-CR-004411
    await app.dialogue.handle(Inbound("sms", phone, "hi"))
    spanish = str(app.translator.locales.index("es") + 1)
    turn = await app.dialogue.handle(Inbound("sms", phone, spanish))
    assert turn.locale == "es"
    await app.dialogue.handle(Inbound("telegram", "4242", "/start", language_hint="en"))
    case = await app.db.fetchone("SELECT id FROM cases WHERE phone=?", (phone,))
    assert case is not None
    state = await people.get_or_create(app.db, "telegram", "4242", "2026-11-25T15:00:00+00:00")
    async with app.db.transaction() as conn:
        assert await linking.link_case_phone(conn, state, "telegram", case["id"], "now")
        await people.save_state(conn, state, "telegram", "2026-11-25T15:00:00+00:00")
    for channel, address in [("telegram", "4242"), ("sms", phone)]:
        turn = await app.dialogue.handle(Inbound(channel, address, "menu"))
        assert turn.locale == "es", channel
        assert_language(" ".join(r.text for r in turn.replies), "es")
