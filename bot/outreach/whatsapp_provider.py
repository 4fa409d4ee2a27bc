"""Campaign messages over WhatsApp: always the locale's approved template.

A campaign writes first, so WhatsApp's 24-hour window is never open: the
message is the template configured in ``[whatsapp] outreach_templates`` for
the recipient's locale (else the default locale's), sent by ``ContentSid``
with the organisation's name and phone as its variables. A locale with no
template at all fails the recipient with reason ``no_template`` (the preview
warns first). A recipient left 'sending' by a crash is reconciled like SMS:
Twilio is asked for a message from our WhatsApp sender to that number since
the attempt (Twilio renders a template's text itself, so any such message
counts; nothing else writes first to a number during a campaign).
"""

from __future__ import annotations

import datetime as dt

from ..channels import whatsapp as wa_channel
from ..channels import whatsapp_window
from ..config import Config, ConfigError
from .providers import Outcome, outcome_of, status_callback


class WhatsAppProvider:
    """Campaigns over the WhatsApp channel's provider (Twilio), by template."""

    channel = wa_channel.CHANNEL
    can_reconcile = True

    def __init__(self, config: Config) -> None:
        if missing := config.twilio_missing("whatsapp", webhooks=False):
            raise ConfigError("WhatsApp outreach needs " + ", ".join(missing))
        self.config = config
        self.status_callback = status_callback(config)
        self.twilio = wa_channel.whatsapp_provider(config, None)

    async def start(self) -> None:
        await self.twilio.start()

    async def stop(self) -> None:
        await self.twilio.stop()

    async def send(self, address: str, text: str, *, locale: str | None = None) -> Outcome:
        """Send the locale's template to ``address`` (``text`` is only the preview's)."""
        template = whatsapp_window.outreach_template(self.config, locale)
        if template is None:
            return Outcome("failed", reason="no_template")
        return outcome_of(await self.twilio.send_content(
            address, template.content_sid, template.content_variables,
            status_callback=self.status_callback))

    async def find(self, address: str, text: str, since: dt.datetime) -> str | None:
        """The SID of a message from our sender to ``address`` since ``since``."""
        found = await self.twilio.find_sent(address, None, since)
        return found[0] if found else None
