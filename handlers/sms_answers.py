"""What the dialogue answers to an SMS it cannot read (``handlers/preflight.py``).

Its own module so that the texts stay in the ``sms`` catalog (``bot/i18n_tools.py``).
"""

from __future__ import annotations


def N_(msgid: str) -> str:
    """Mark a string for the catalog; it is translated when said."""
    return msgid


MEDIA_ANSWER = N_("Sorry, we can only read text messages. Please type your answer.")
UNREADABLE = N_("Sorry, we could not read your message. Please type it again.")
