"""SMS rendering: GSM-7 vs UCS-2 segments, plain characters, menus, MORE splitting."""

from __future__ import annotations

import functools

import pytest

from bot.channels.sms_render import fit, is_gsm7, plain, render, segments
from bot.i18n import Translator
from bot.model import Option, Reply

VIETNAMESE = ("Hồ sơ của bạn đã được kiểm tra cẩn thận bởi nhân viên chúng tôi. "
              "Nếu bạn có câu hỏi, hãy gọi cho văn phòng trong giờ làm việc. "
              "Chúng tôi sẽ giữ bí mật mọi thông tin bạn gửi cho chúng tôi. ")


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator(["en", "es"])


def gettext(translator: Translator, locale: str):
    return functools.partial(translator.gettext, locale)


@pytest.mark.parametrize(("text", "count"), [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2),  # extension characters take two septets
    ("é" * 160, 1),  # é is in the GSM basic table
    ("ệ" * 70, 1), ("ệ" * 71, 2), ("ệ" * 134, 2), ("ệ" * 135, 3),
    ("😀" * 35, 1), ("😀" * 36, 2),  # an emoji is two UTF-16 units
    ("a" * 159 + "á", 3),  # one non-GSM letter makes the whole message UCS-2
])
def test_segments(text, count):
    assert segments(text) == count


def test_gsm7_detection():
    assert is_gsm7("Hello @ £5 {ok} ¿qué? ÄÖÑÜ")
    assert not is_gsm7("It’s")
    assert not is_gsm7("Tiếng Việt")
    assert not is_gsm7("ПРИВЕТ")


def test_plain_replaces_typographic_characters_in_latin_text():
    assert plain("It’s “fine” – really… ok\u00a0now") == "It's \"fine\" - really... ok now"
    assert is_gsm7(plain("“Don’t” — wait…"))
    assert plain("«Привет» — мир") == "«Привет» — мир"  # Cyrillic stays as written


def test_menu_is_numbered_and_localised(translator):
    reply = Reply("What would you like to do?", [Option("1", "Check my case"),
                                                  Option("2", "Talk to a lawyer")])
    assert render(reply, gettext(translator, "en")) == (
        "What would you like to do?\nReply 1 for Check my case\nReply 2 for Talk to a lawyer")
    es = render(Reply("¿Qué desea hacer?", [Option("1", "Revisar mi caso")]),
                gettext(translator, "es"))
    assert es == "¿Qué desea hacer?\nResponda 1 para Revisar mi caso"


def test_a_menu_too_long_for_the_limit_turns_compact(translator):
    reply = Reply("Choose your language / Chọn ngôn ngữ:",
                  [Option(str(i), name) for i, name in enumerate(
                      ["English", "Español", "Tiếng Việt", "Kreyòl ayisyen", "Русский"], 1)])
    _ = gettext(translator, "en")
    assert segments(render(reply, _)) > 2
    compact = render(reply, _, max_segments=2)
    assert compact == ("Choose your language / Chọn ngôn ngữ:\nReply with a number:\n"
                       "1 English\n2 Español\n3 Tiếng Việt\n4 Kreyòl ayisyen\n5 Русский")
    assert segments(compact) <= 2
    # The full form only when it costs no more segments than the compact one.
    assert render(reply, _, max_segments=3) == compact
    short = Reply("Hello?", [Option("1", "Yes"), Option("2", "No")])
    assert render(short, _, max_segments=3) == "Hello?\nReply 1 for Yes\nReply 2 for No"


def test_short_text_is_sent_whole(translator):
    assert fit("Hello.", gettext(translator, "en"), 3) == ("Hello.", None)


def test_long_english_text_splits_at_a_sentence_end(translator):
    sentence = "This is a plain sentence about your options and what happens next. "
    text = (sentence * 12).strip()
    head, rest = fit(text, gettext(translator, "en"), 3)
    assert segments(head) <= 3
    assert head.endswith("\nReply MORE for the rest.")
    assert head.removesuffix("\nReply MORE for the rest.").endswith("next.")
    assert rest is not None and rest.startswith("This is")


def split_all(text: str, _, max_segments: int) -> list[str]:
    parts, rest = [], text
    while rest is not None:
        head, rest = fit(rest, _, max_segments)
        parts.append(head)
        assert len(parts) < 50
    return parts


@pytest.mark.parametrize("max_segments", [1, 2, 3])
def test_long_vietnamese_text_splits_within_the_limit_and_loses_nothing(translator,
                                                                        max_segments):
    text = (VIETNAMESE * 6).strip()
    _ = gettext(translator, "en")
    parts = split_all(text, _, max_segments)
    assert len(parts) > 1
    assert all(segments(p) <= max_segments for p in parts)
    assert not is_gsm7(parts[0])
    hint = "\nReply MORE for the rest."
    assert all(p.endswith(hint) for p in parts[:-1])
    assert " ".join(p.removesuffix(hint) for p in parts).split() == text.split()


def test_a_sentence_too_long_for_the_limit_is_cut_between_words(translator):
    text = " ".join(["chữ"] * 200)  # no sentence end at all
    parts = split_all(text, gettext(translator, "en"), 1)
    assert all(segments(p) <= 1 for p in parts)
    assert " ".join(p.removesuffix("\nReply MORE for the rest.") for p in parts).split() \
        == text.split()


def test_spanish_more_hint(translator):
    head, rest = fit("Hola. " * 200, gettext(translator, "es"), 2)
    assert head.endswith("\nResponda MAS para ver el resto.")
    assert segments(head) <= 2 and rest
