"""Ready-made replies for staff, each written in the person's language."""

from __future__ import annotations

from ..config import Config
from ..i18n import Translator
from ..local_time import office_hours
from .pages import N_

# Ready-made replies staff can start from; each is filled in the person's language
# (they reach the person by SMS: short, no case details).
CANNED = {
    "hello": N_("Hello, this is a lawyer from {org}. I have your request and I can help. "
                "Is this a good time to write?"),
    "details": N_("To check your case, please send your date of birth and, if you have "
                  "it, your docket number."),
    "looking": N_("Thank you. I am looking into this and will write to you here soon."),
    "call": N_("You can also call us at {phone} ({hours})."),
}


def texts(translator: Translator, config: Config, locale: str) -> dict[str, str]:
    """Every ready-made reply in ``locale``, with the organisation's details filled in."""
    org = config.organization
    hours = office_hours(org.hours, locale, lambda msgid: translator.gettext(locale, msgid))
    fill = {"org": org.name, "phone": org.phone, "hours": hours}
    return {key: translator.gettext(locale, msgid, **fill) for key, msgid in CANNED.items()}
