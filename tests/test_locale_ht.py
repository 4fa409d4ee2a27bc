"""The whole conversation in Haitian Creole: language menu, disclosure, a topic, a lawyer."""

from __future__ import annotations

import pytest

from tests.dialogue_support import import_registry
from tests.locale_support import check_conversation


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


async def test_a_conversation_in_haitian_creole(app, session):
    walked = await check_conversation(app, session, "ht")
    assert "Nou jwenn ka ou a" in walked.disclosure and "Anile" in walked.disclosure
    assert "yon avoka" in walked.lawyer and "24 èdtan travay" in walked.lawyer
