"""Importing the bot changes nothing process-wide: state belongs to the App that builds it."""

from __future__ import annotations

import subprocess
import sys
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
