"""The whole conversation in each translated locale, one row of data per locale.

Every row walks the same path (tests/locale_support.py: language menu, verified
disclosure, a topic, a lawyer) and checks that each stage reads as its language
and not as English, then the phrases a translator vouched for. The optional
columns switch on the checks a locale needs: the birth-date question saying
month first, the local word for LANGUAGE, reply keywords kept in English, no
bidi controls, no character of the other Chinese script, no line shared with a
neighbouring language a fallback would show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.langdetect import SIMPLIFIED, TRADITIONAL
from tests.conftest import ConsoleSession
from tests.dialogue_support import NUNEZ, import_registry, start, text
from tests.locale_support import (
    BIDI_CONTROLS,
    catalog_texts,
    check_conversation,
    choose,
    lost_reply_keywords,
    walk,
)


@dataclass(frozen=True)
class Row:
    locale: str
    menu: tuple[str, ...] = ()  # phrases each stage must contain
    disclosure: tuple[str, ...] = ()
    topic: tuple[str, ...] = ()
    lawyer: tuple[str, ...] = ()
    month_first: str = ""  # how the birth-date question says "month/day/year"
    language_word: str = ""  # the local LANGUAGE keyword the welcome offers
    keywords_kept: bool = False  # STOP, MENU, YES... stay English in every translation
    no_bidi: bool = False  # right-to-left text: the catalogs force no direction
    foreign_script: str = ""  # characters of the other Chinese script, never used
    unlike: str = ""  # a locale whose lines a fallback would show: none may be shared
    stages: dict[str, tuple[str, ...]] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", {"menu": self.menu, "disclosure": self.disclosure,
                                            "topic": self.topic, "lawyer": self.lawyer})


ROWS = [
    Row("ar", menu=("فحص قضيتي",), disclosure=("وجدنا قضيتك", "أُسقطت"),
        topic=("عشرات الآلاف من القضايا", "الهجرة"),
        lawyer=("نسعى أن يتواصل معك محامٍ من", "24 ساعة عمل"),
        month_first="الشهر ثم اليوم ثم السنة", language_word="اللغة", keywords_kept=True,
        no_bidi=True),
    Row("ht", disclosure=("Nou jwenn ka ou a", "Anile"), lawyer=("yon avoka", "24 èdtan travay")),
    # py3langid does not know kea: besides "not English", no line may be the Portuguese one.
    Row("kea", disclosure=("Nu atxa bu kazu", "Anuladu"),
        lawyer=("un advogadu di", "24 ora di trabadju"), unlike="pt_BR"),
    Row("km", menu=("ពិនិត្យសំណុំរឿងរបស់ខ្ញុំ",), disclosure=("រកឃើញសំណុំរឿង", "បានលើកចោល"),
        topic=("សំណុំរឿងរាប់ម៉ឺន", "អន្តោប្រវេសន៍"), lawyer=("មេធាវីនៃ", "24 ម៉ោងធ្វើការ"),
        month_first="ខែ/ថ្ងៃ/ឆ្នាំ", language_word="ភាសា", keywords_kept=True),
    Row("pt_BR", disclosure=("Encontramos o seu caso", "Encerrado"),
        lawyer=("um advogado de", "24 horas úteis")),
    Row("ru", disclosure=("Мы нашли ваше дело", "Прекращено"),
        lawyer=("адвокат", "24 рабочих ч.")),
    Row("vi", menu=("Kiểm tra vụ việc",), disclosure=("Đã tìm thấy vụ việc", "Đã hủy bỏ"),
        topic=("hàng chục nghìn vụ việc", "Niêm phong hồ sơ"),
        lawyer=("luật sư của", "24 giờ làm việc"),
        month_first="tháng/ngày/năm", language_word="NGÔN NGỮ", keywords_kept=True),
    Row("zh_Hans", disclosure=("我们找到了您的案件", "已撤销"), lawyer=("24 个工作小时内",),
        foreign_script=TRADITIONAL),
    Row("zh_Hant", disclosure=("我們找到了您的案件", "已撤銷"), lawyer=("24 個工作小時內",),
        foreign_script=SIMPLIFIED),
]


def rows(*, having: str = "") -> list[pytest.param]:
    """The rows (with the column ``having`` set), each with its locale as the test id."""
    return [pytest.param(row, id=row.locale) for row in ROWS
            if not having or getattr(row, having)]


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


@pytest.mark.parametrize("row", rows())
async def test_a_whole_conversation(app, session, row: Row):
    walked = await check_conversation(app, session, row.locale)
    for stage, said in walked.stages().items():
        missing = [phrase for phrase in row.stages[stage] if phrase not in said]
        assert not missing, (stage, missing)
        assert not set(said) & set(row.foreign_script), stage
    if row.unlike:
        other = await walk(ConsoleSession(app, "neighbour-reader"), row.unlike)
        for stage, said in walked.stages().items():
            shared = set(said.splitlines()) & set(other.stages()[stage].splitlines())
            assert not shared, (stage, shared)


@pytest.mark.parametrize("row", rows(having="month_first"))
async def test_the_birth_date_question_asks_for_the_month_first(session, row: Row):
    """The lookup reads numeric dates month first (US order): the question must say so."""
    menu = await start(session, row.locale)
    await choose(session, menu, row.locale, "Check my case")
    docket, last_name, _ = NUNEZ
    await session.say(docket)
    asked = text(await session.say(last_name))
    assert "03/14/1975" in asked and row.month_first in asked


@pytest.mark.parametrize("row", rows(having="language_word"))
async def test_the_local_word_for_language_offered_in_the_welcome_opens_the_menu(
        session, row: Row):
    await start(session, row.locale)
    assert row.language_word in session.app.translator.gettext(
        row.locale, "To change the language, reply LANGUAGE at any time.")
    assert (await session.say(row.language_word))["awaiting"] == "language"


@pytest.mark.parametrize("row", rows(having="keywords_kept"))
def test_reply_keywords_stay_as_the_bot_understands_them(row: Row):
    """Reply keywords (STOP, MENU, YES...) keep their English form in every translation."""
    assert not lost_reply_keywords(row.locale)


@pytest.mark.parametrize("row", rows(having="no_bidi"))
def test_no_bidi_control_characters(row: Row):
    """Clients handle the direction of the text; the catalogs force nothing."""
    assert not [t for t in catalog_texts(row.locale) if set(t) & BIDI_CONTROLS]


@pytest.mark.parametrize("row", rows(having="foreign_script"))
def test_no_catalog_text_uses_a_character_of_the_other_script(row: Row):
    wrong = {t for t in catalog_texts(row.locale) if set(t) & set(row.foreign_script)}
    assert not wrong, sorted(wrong)
