"""Importing the bot changes nothing process-wide: state belongs to the App that builds it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tracemalloc
from pathlib import Path

from bot.config import load_config
from bot.content import ContentPack
from handlers.intents import Understanding

ROOT = Path(__file__).resolve().parent.parent
IMPORT_ALL = """
import os
before = dict(os.environ)
import bot.server, bot.channels.telegram, bot.outreach.providers, bot.outreach.service
import bot.web, bot.web.outreach, handlers.flow
changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))
print(changed)
"""


def test_importing_the_bot_leaves_the_environment_alone():
    env = {"PATH": "/usr/bin:/bin", "HOME": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", IMPORT_ALL], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.strip() == "[]"


def test_each_understanding_has_its_own_pack_words():
    shipped = Understanding(ContentPack.load("massachusetts"))
    bare = Understanding()
    assert shipped.named is not None and bare.named is None
    assert shipped.classify("dookhan?") == "lookup"
    assert bare.classify("dookhan?") != "lookup"


def test_a_config_is_a_value():
    one, two = load_config(None, env={}), load_config(None, env={})
    assert one == two and one is not two
    assert one.replace("server", "port", 9000) != one and one.server.port == 8080


async def test_first_messages_arriving_together_share_one_load_of_the_model():
    """After a start, a burst of first messages all call ``warm``: one load serves
    them all (eight loads at once held eight models in memory, and trained eight
    times after a corpus change)."""
    assert Understanding().model  # trained and cached first: both below load the cache
    alone = Understanding()
    tracemalloc.start()
    try:
        await alone.warm()
        _, one = tracemalloc.get_traced_memory()
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        together = Understanding()
        await asyncio.gather(*(together.warm() for _ in range(8)))
        _, peak = tracemalloc.get_traced_memory()
        eight = peak - held
    finally:
        tracemalloc.stop()
    assert together.classify("was my case affected") == alone.classify("was my case affected")
    assert eight < 1.5 * one, (one, eight)
