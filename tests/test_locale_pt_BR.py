"""The whole conversation in Brazilian Portuguese: language menu, disclosure, a topic, a lawyer."""

from __future__ import annotations

import pytest

from tests.dialogue_support import import_registry
from tests.locale_support import check_conversation


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


async def test_a_conversation_in_brazilian_portuguese(app, session):
    walked = await check_conversation(app, session, "pt_BR")
    assert "Encontramos o seu caso" in walked.disclosure and "Encerrado" in walked.disclosure
    assert "um advogado de" in walked.lawyer and "24 horas úteis" in walked.lawyer
