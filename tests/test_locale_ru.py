"""The whole conversation in Russian: language menu, verified disclosure, a topic, a lawyer."""

from __future__ import annotations

import pytest

from tests.dialogue_support import import_registry
from tests.locale_support import check_conversation


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


async def test_a_conversation_in_russian(app, session):
    walked = await check_conversation(app, session, "ru")
    assert "Мы нашли ваше дело" in walked.disclosure and "Прекращено" in walked.disclosure
    assert "адвокат" in walked.lawyer and "24 рабочих ч." in walked.lawyer
