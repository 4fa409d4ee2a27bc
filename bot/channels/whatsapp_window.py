"""WhatsApp's customer-service window and the approved templates used outside it.

WhatsApp lets a business send free-form messages only within 24 hours
(``[whatsapp] window_hours``) of the person's last message; outside it only
a template approved by Meta may be sent (Twilio's Content API: a
``ContentSid`` and its ``ContentVariables``). Templates are configured per
locale; a locale without one falls back to the default locale's.

- ``reply_templates``: what a reply outside the window becomes: a short
  notice that a reply waits ("{{1}} has a reply for you. Reply to this
  message to read it."); the reply itself is held and goes out as soon as the
  person writes back, which opens the window again.
- ``outreach_templates``: the campaign message ({{1}} organisation, {{2}}
  its phone), since a campaign always writes first.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

from ..config import Config


@dataclass(frozen=True)
class Template:
    locale: str  # the locale whose template this is (maybe the default, as a fallback)
    content_sid: str
    variables: dict[str, str]

    @property
    def content_variables(self) -> str:
        """As Twilio wants them: a JSON object of strings."""
        return json.dumps(self.variables, ensure_ascii=False)


def is_open(last_inbound: str | None, now: dt.datetime, hours: int) -> bool:
    """True when a free-form message may be sent: the person wrote within ``hours``."""
    if not last_inbound:
        return False
    try:
        at = dt.datetime.fromisoformat(last_inbound)
    except ValueError:
        return False
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return now - at < dt.timedelta(hours=hours)


def _pick(by_locale: Mapping[str, str], locale: str | None, default: str) -> tuple[str, str] | None:
    for candidate in (locale, default):
        sid = by_locale.get(candidate or "", "").strip()
        if sid:
            return candidate or default, sid
    return None


def reply_template(config: Config, locale: str | None) -> Template | None:
    """The template a reply outside the window becomes, or None (then it is held)."""
    found = _pick(config.whatsapp.reply_templates, locale, config.dialogue.default_locale)
    if found is None:
        return None
    return Template(found[0], found[1], {"1": config.organization.name})


def outreach_template(config: Config, locale: str | None) -> Template | None:
    """The template a campaign sends in ``locale``, or None (not configured)."""
    found = _pick(config.whatsapp.outreach_templates, locale, config.dialogue.default_locale)
    if found is None:
        return None
    org = config.organization
    return Template(found[0], found[1], {"1": org.name, "2": org.phone})
