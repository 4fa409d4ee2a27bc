"""What the dialogue answers to WhatsApp media (``handlers/preflight.py``).

Its own module so that the text stays in the ``whatsapp`` catalog (``bot/i18n_tools.py``).
"""

from __future__ import annotations


def N_(msgid: str) -> str:
    """Mark a string for the catalog; it is translated when said."""
    return msgid


MEDIA_ANSWER = N_("We cannot open photos, voice messages or files here. Please type your "
                  "docket number as text, or reply MENU to talk to a lawyer.")
