"""The whole conversation in Cape Verdean Creole (Kabuverdianu, ALUPEC spelling).

py3langid does not know kea, so besides "not English" (check_conversation)
no line the person reads may be the same as in the Portuguese conversation: a
Portuguese fallback would pass a language check that only rules out English.
"""

from __future__ import annotations

import pytest

from tests.conftest import ConsoleSession
from tests.dialogue_support import import_registry
from tests.locale_support import check_conversation, walk


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


async def test_a_conversation_in_cape_verdean_creole(app, session):
    walked = await check_conversation(app, session, "kea")
    assert "Nu atxa bu kazu" in walked.disclosure and "Anuladu" in walked.disclosure
    assert "un advogadu di" in walked.lawyer and "24 ora di trabadju" in walked.lawyer
    portuguese = await walk(ConsoleSession(app, "portuguese-reader"), "pt_BR")
    for stage, said in walked.stages().items():
        shared = set(said.splitlines()) & set(portuguese.stages()[stage].splitlines())
        assert not shared, (stage, shared)
