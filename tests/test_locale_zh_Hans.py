"""The whole conversation in Simplified Chinese, with no Traditional-only character."""

from __future__ import annotations

import pytest

from bot.langdetect import TRADITIONAL
from tests.dialogue_support import import_registry
from tests.locale_support import catalog_texts, check_conversation


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


async def test_a_conversation_in_simplified_chinese(app, session):
    walked = await check_conversation(app, session, "zh_Hans")
    assert "我们找到了您的案件" in walked.disclosure and "已撤销" in walked.disclosure
    assert "24 个工作小时内" in walked.lawyer
    for stage, said in walked.stages().items():
        assert not set(said) & set(TRADITIONAL), stage


def test_no_catalog_text_uses_a_traditional_only_character():
    wrong = {text for text in catalog_texts("zh_Hans") if set(text) & set(TRADITIONAL)}
    assert not wrong, sorted(wrong)
