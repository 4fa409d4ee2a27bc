"""Which shipped language a new person writes in, offline, from their first message.

py3langid (its model ships in the wheel) is restricted to the shipped languages
it knows. It is often wrong on one or two words, so a message must be long
enough and the identifier confident, or the answer is "don't know" and the
dialogue shows the language menu: a wrong guess costs more than a question.

Measured on the corpus, the UI catalogs and the content pack (about 400 texts of
four or more words): no wrong language scored above 0.64 (normalised
probability) while 96 % of the right ones scored 0.80 or more, hence
``THRESHOLD``. Loading the model takes milliseconds from its cache (under a second to
build it, at the first start), so it is built once per app, off the event loop,
on the first message long enough to need it (``LazyDetector``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .langid_compact import CompactIdentifier

THRESHOLD = 0.80
MIN_WORDS = 4  # Latin-script words ("hola", "oi", "bonjou" fall back to the menu)
MIN_WORDS_UNIQUE_SCRIPT = 3  # Cyrillic or Arabic: one shipped language uses the script
MIN_HAN = 6  # Chinese characters, about four words
MIN_KHMER = 12  # Khmer code points (letters and signs), about three words

# py3langid's code -> our locale; zh is split by script below, kea is not in its model.
LANGID_LOCALES = {"en": "en", "es": "es", "pt": "pt_BR", "ht": "ht", "vi": "vi", "km": "km",
                  "ru": "ru", "ar": "ar", "zh": "zh"}

# Common characters written differently in Traditional and Simplified Chinese
# (position i of one string pairs with position i of the other). Characters
# that also exist unchanged in the other script (后, 只, 里, 干...) are left out.
TRADITIONAL = ("體們嗎為說這個會時經來對從麼過還發問國沒現見開關與讓幫請謝話語電號錢車書學長東師"
               "響馬門頭聽買賣錯給應該認識讀寫錄紀記訴護證據權辦處機構專業務費區縣簽將變歲離難確"
               "聯絡網頁條項題樣萬當實導則動勞兒內員團圖報場塊壞聲夠媽歷決況滿無熱產畫療監盡禮種"
               "積筆節簡紅級約終組結統維綠線總緊練續罰職腦臨規視親觀訊設許詞試詢詳誤調談議貝負財"
               "貨質購賠趕軍輕較輸農運邊郵鄉醫釋針銀鐘間閱陳陽際隊隨險雙雖靜預領顧風飛飯館驗驅點"
               "黨齊龍審遞")
SIMPLIFIED = ("体们吗为说这个会时经来对从么过还发问国没现见开关与让帮请谢话语电号钱车书学长东师"
              "响马门头听买卖错给应该认识读写录纪记诉护证据权办处机构专业务费区县签将变岁离难确"
              "联络网页条项题样万当实导则动劳儿内员团图报场块坏声够妈历决况满无热产画疗监尽礼种"
              "积笔节简红级约终组结统维绿线总紧练续罚职脑临规视亲观讯设许词试询详误调谈议贝负财"
              "货质购赔赶军轻较输农运边邮乡医释针银钟间阅陈阳际队随险双虽静预领顾风飞饭馆验驱点"
              "党齐龙审递")

# Cape Verdean Creole (kea) is not in the model: its texts come out as pt, es or
# ht, sometimes confidently. Its spelling (ALUPEC) gives it away: these words,
# "tx", and endings like kazu, advogadu, tarbadju. Any sign of it -> ask.
KEA_WORDS = frozenset("nha bu kuze kusa txeu dja sta djuda kre ten sima nhos".split())
_KEA_SPELLING = re.compile(r"tx|[a-z](?:du|zu|dju|ndu)$")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Detection:
    """``locale`` is None when the message does not tell; ``reason`` says why (for logs)."""

    locale: str | None
    reason: str  # detected | short | uncertain | unsupported | kea
    probability: float = 0.0


def _script(ch: str) -> str:
    cp = ord(ch)
    if 0x1780 <= cp <= 0x17FF or 0x19E0 <= cp <= 0x19FF:
        return "khmer"
    if 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF:
        return "han"
    if 0x0400 <= cp <= 0x04FF:
        return "cyrillic"
    if 0x0600 <= cp <= 0x06FF or 0x0750 <= cp <= 0x077F:
        return "arabic"
    return "latin" if ch.isalpha() else "other"


def long_enough(text: str) -> bool:
    """Enough text to tell a language: words, or characters in scripts without spaces."""
    counts: dict[str, int] = {}
    for ch in text:
        script = _script(ch)
        counts[script] = counts.get(script, 0) + 1
    if counts.get("han", 0) >= MIN_HAN or counts.get("khmer", 0) >= MIN_KHMER:
        return True
    words = _WORD.findall(text)
    unique = counts.get("cyrillic", 0) + counts.get("arabic", 0) > counts.get("latin", 0)
    return len(words) >= (MIN_WORDS_UNIQUE_SCRIPT if unique else MIN_WORDS)


def chinese_variant(text: str) -> str | None:
    """zh_Hant or zh_Hans by the characters only one of them uses; None if it does not tell."""
    trad = sum(ch in _TRAD for ch in text)
    simp = sum(ch in _SIMP for ch in text)
    if trad == simp:
        return None
    return "zh_Hant" if trad > simp else "zh_Hans"


_TRAD = frozenset(TRADITIONAL)
_SIMP = frozenset(SIMPLIFIED)


def looks_kabuverdianu(text: str) -> bool:
    words = [w.lower() for w in _WORD.findall(text)]
    return any(w in KEA_WORDS or _KEA_SPELLING.search(w) for w in words)


# Letters only Vietnamese uses among the shipped Latin-script languages.
_VIETNAMESE = frozenset("ăắằẳẵặơớờởỡợưứừửữựđạảấầẩẫậẹẻẽếềểễệỉịọỏốồổỗộụủỳỵỷỹ")
_UNIQUE_SCRIPTS = {"cyrillic": "ru", "arabic": "ar", "khmer": "km"}


def script_locale(text: str, locales: Iterable[str]) -> str | None:
    """The one offered locale a short text's script gives away, or None.

    For texts too short for the identifier ("хочу адвоката", "律师"): Cyrillic, Arabic
    and Khmer are each written by one shipped language, Chinese by the variant its
    characters tell, Vietnamese by its letters. Mixed scripts tell nothing.
    """
    offered = set(locales)
    scripts = {_script(ch) for ch in text} - {"other"}
    if len(scripts) == 2 and "latin" in scripts:
        scripts.discard("latin")  # "我的案号是0912CR4411": the docket is not the language
    found: str | None = None
    if len(scripts) == 1:
        script = scripts.pop()
        if script == "han":
            found = chinese_variant(text)
        elif script == "latin":
            found = "vi" if any(ch in _VIETNAMESE for ch in text.lower()) else None
        else:
            found = _UNIQUE_SCRIPTS.get(script)
    return found if found in offered else None


class LanguageDetector:
    """py3langid restricted to ``locales`` (bot/langid_compact.py: the first start
    builds it from py3langid's model, slow; later ones load it from the cache)."""

    def __init__(self, locales: Iterable[str]) -> None:
        self.locales = list(locales)
        wanted = {loc.split("_")[0] for loc in self.locales}
        self.codes = sorted(code for code in LANGID_LOCALES if code in wanted)
        from .disk_cache import cache_dir
        from .langid_compact import CompactIdentifier  # its table: only where it is needed

        self.identifier: CompactIdentifier | None = None
        if len(self.codes) >= 2:
            self.identifier = CompactIdentifier.for_languages(self.codes, cache_dir())

    def detect(self, text: str) -> Detection:
        if not long_enough(text):
            return Detection(None, "short")
        if self.identifier is None:
            return Detection(None, "unsupported")
        code, probability = self.identifier.classify(text)
        if probability < THRESHOLD:
            return Detection(None, "uncertain", probability)
        locale = LANGID_LOCALES.get(code)
        if locale == "zh":
            locale = chinese_variant(text)
        elif "kea" in self.locales and code in {"pt", "es", "ht"} and looks_kabuverdianu(text):
            return Detection(None, "kea", probability)
        if locale is None or locale not in self.locales:
            return Detection(None, "unsupported", probability)
        return Detection(locale, "detected", probability)


class LazyDetector:
    """One ``LanguageDetector`` per app, built off the event loop when first needed.

    Short messages are answered without it, so an app that only ever sees
    "hi" never loads the model.
    """

    def __init__(self, locales: Iterable[str]) -> None:
        self.locales = list(locales)
        self._detector: LanguageDetector | None = None
        self._lock = asyncio.Lock()

    @property
    def loaded(self) -> bool:
        return self._detector is not None

    async def detector(self) -> LanguageDetector:
        if self._detector is None:
            async with self._lock:
                if self._detector is None:
                    self._detector = await asyncio.to_thread(LanguageDetector, self.locales)
        return self._detector

    async def detect(self, text: str) -> Detection:
        if not long_enough(text):
            return Detection(None, "short")
        return (await self.detector()).detect(text)

