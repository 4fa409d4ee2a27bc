"""Formatting where CLDR or the phone would get it wrong: Haitian month names from the
catalog, direction isolates around Latin fragments in right-to-left replies."""

from __future__ import annotations

import functools

import pytest

from bot import bidi
from bot.channels import sms_render
from bot.model import Reply
from tests.dialogue_support import import_registry, lookup, start, text

LRI, PDI = "\u2066", "\u2069"


@pytest.fixture
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


async def test_haitian_dates_use_haitian_month_names(registry, session):
    await start(session, "ht")
    # 07/09/1981 reads two ways: the readings offered back are Haitian dates too
    asked = text(await lookup(session, "1123-CR-000588", "Carter-Whitfield", "07/09/1981"))
    assert "1. 7 septanm 1981" in asked and "2. 9 jiyè 1981" in asked
    assert "M09" not in asked and "M07" not in asked and "juillet" not in asked
    said = text(await session.say("2"))
    assert "22 janvye 2020" in said
    assert "M01" not in said and "janvier" not in said


async def test_other_locales_keep_cldr_dates(registry, session):
    await start(session, "es")
    said = text(await lookup(session, "0912-CR-004411", "Nunez", "03/14/1975"))
    assert "19 de abril de 2017" in said


def test_latin_fragments_in_arabic_are_isolated():
    ar = "القضية 0912-CR-004411، Boston Municipal Court. الحالة: 12"
    out = bidi.isolate_latin(ar)
    assert f"{LRI}0912-CR-004411{PDI}" in out and f"{LRI}Boston Municipal Court{PDI}" in out
    assert f"{LRI}12" not in out  # numbers alone lay out right in any text
    assert bidi.isolate_latin(out) == out
    assert bidi.isolate_latin("Case 0912-CR-004411, Boston.") == "Case 0912-CR-004411, Boston."


async def test_an_arabic_disclosure_by_sms_carries_the_isolates(registry, session, app):
    await start(session, "ar")
    turn = await lookup(session, "0912-CR-004411", "Nunez", "03/14/1975")
    _ = functools.partial(app.translator.gettext, "ar")
    sent = [sms_render.render(Reply(r["text"]), _) for r in turn["replies"]]
    assert any(f"{LRI}Boston Municipal Court{PDI}" in s for s in sent), sent
    assert all(LRI not in r["text"] for r in turn["replies"])  # the catalogs stay plain
