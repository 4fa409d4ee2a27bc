"""The whole conversation in Traditional Chinese, with no Simplified-only character."""

from __future__ import annotations

import pytest

from bot.langdetect import SIMPLIFIED
from tests.dialogue_support import import_registry
from tests.locale_support import catalog_texts, check_conversation


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


async def test_a_conversation_in_traditional_chinese(app, session):
    walked = await check_conversation(app, session, "zh_Hant")
    assert "我們找到了您的案件" in walked.disclosure and "已撤銷" in walked.disclosure
    assert "24 個工作小時內" in walked.lawyer
    for stage, said in walked.stages().items():
        assert not set(said) & set(SIMPLIFIED), stage


def test_no_catalog_text_uses_a_simplified_only_character():
    wrong = {text for text in catalog_texts("zh_Hant") if set(text) & set(SIMPLIFIED)}
    assert not wrong, sorted(wrong)
