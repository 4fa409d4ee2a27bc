"""python-telegram-bot set up by whatever builds a Telegram client, not at import."""

from __future__ import annotations

import logging
import os


def prepare() -> None:
    """Durations as ``timedelta`` (PTB's next major default: ``RetryAfter`` then warns of
    no deprecation), and httpx quiet below WARNING: its request URLs hold the bot token.

    PTB reads the switch from the environment only, so it is set here, the one place,
    when the channel or the outreach provider builds its client.
    """
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    logging.getLogger("httpx").setLevel(logging.WARNING)
