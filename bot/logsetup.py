"""Logging set-up: casecheck's own loggers at the configured level, libraries capped.

casecheck's own log lines never hold personal data; libraries' debug lines do
(aiosqlite logs every SQL statement with its parameters, python-telegram-bot and
httpx log request URLs with the bot token and message texts). So the libraries
stay at WARNING whatever the level, unless ``[logging] unsafe_debug = true``,
which says so loudly at start.
"""

from __future__ import annotations

import logging

from .config import Config

# Libraries whose records below WARNING may carry personal data or secrets.
CAPPED = ("aiosqlite", "telegram", "httpx", "httpcore", "twilio", "aiohttp", "asyncio",
          "urllib3", "hpack")
FORMAT = "%(levelname)s %(name)s: %(message)s"
UNSAFE_WARNING = ("[logging] unsafe_debug is on: library logs below WARNING may contain "
                  "names, dates of birth, phone numbers, message texts and the bot token. "
                  "Turn it off after debugging and delete these logs.")


def configure(config: Config, root: logging.Logger | None = None) -> None:
    """Apply ``[logging]`` to the root logger (a handler is added if it has none)."""
    level = config.logging.level.upper()  # checked when the config was built
    root = root or logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
    unsafe = config.logging.unsafe_debug
    for name in CAPPED:
        logging.getLogger(name).setLevel(logging.NOTSET if unsafe else logging.WARNING)
    if unsafe:
        logging.getLogger("casecheck").warning(UNSAFE_WARNING)
