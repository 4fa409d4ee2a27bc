"""At DEBUG, no log line holds what a person said or was told (libraries capped)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot import logsetup
from bot.config import ConfigError
from tests.dialogue_support import import_registry
from tests.fakes.twilio_api import sms_rig

PHONE = "+16175550101"
VALUES = [PHONE, "6175550101", "Núñez", "Nunez", "3/14/1975", "1975-03-14", "0912-CR-004411",
          "0912CR004411", "Boston Municipal Court", "Dismissed", "talk to a lawyer today"]


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


@pytest.fixture
def restore_levels() -> Iterator[None]:
    names = ["", *logsetup.CAPPED]
    saved = {n: logging.getLogger(n).level for n in names}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


async def conversation(config, clock, caplog) -> list[logging.LogRecord]:
    caplog.set_level(logging.DEBUG)
    logsetup.configure(config)
    async with sms_rig(config, clock=clock) as rig:
        for text in ("hi", "1", "1", "0912-CR-004411", "Núñez", "3/14/1975",
                     "I want to talk to a lawyer today"):
            status, _ = await rig.text(PHONE, text)
            assert status == 200
            await rig.idle()
        told = " ".join(rig.fake.texts_to(PHONE))
    assert "Boston Municipal Court" in told  # the case was disclosed: values were used
    return list(caplog.records)


async def test_debug_logs_hold_none_of_the_conversation(config, clock, caplog, restore_levels):
    records = await conversation(config.replace("logging", "level", "DEBUG"), clock, caplog)
    assert any(r.levelno < logging.WARNING for r in records)  # low levels really are on
    lines = [f"{r.name}: {r.getMessage()}" for r in records]
    leaks = [line for line in lines for v in VALUES if v.casefold() in line.casefold()]
    assert leaks == []
    assert not [r for r in records if r.name.startswith("aiosqlite") and r.levelno < 30]


async def test_unsafe_debug_lets_library_logs_through_and_says_so(
        config, clock, caplog, restore_levels):
    unsafe = config.replace("logging", "level", "DEBUG").replace("logging", "unsafe_debug", True)
    records = await conversation(unsafe, clock, caplog)
    assert any(logsetup.UNSAFE_WARNING in r.getMessage() for r in records)
    assert any(r.name.startswith("aiosqlite") for r in records)  # the test above can fail


def test_an_unknown_level_is_a_configuration_error(config):
    with pytest.raises(ConfigError):
        logsetup.configure(config.replace("logging", "level", "CHATTY"))
