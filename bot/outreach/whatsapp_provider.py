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

import aiohttp
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from ..channels import whatsapp as wa_channel
from ..channels import whatsapp_window
from ..channels.sms import TwilioHttp
from ..config import Config, ConfigError
from .providers import STATUS_PATH, Outcome, twilio_error_outcome


class WhatsAppProvider:
    channel = wa_channel.CHANNEL
    can_reconcile = True

    def __init__(self, config: Config) -> None:
        sms, wa = config.sms, config.whatsapp
        missing = [f"[sms] {k}" for k in ("account_sid", "auth_token") if not getattr(sms, k)]
        if not wa.from_number:
            missing.append("[whatsapp] from_number")
        if missing:
            raise ConfigError("WhatsApp outreach needs " + ", ".join(missing))
        self.config = config
        self.sender = wa_channel.PREFIX + wa.from_number.removeprefix(wa_channel.PREFIX)
        self.status_callback = (sms.public_url.rstrip("/") + STATUS_PATH
                                if sms.public_url else None)
        self._http: TwilioHttp | None = None
        self._client: Client | None = None

    async def start(self) -> None:
        cfg = self.config.sms
        self._http = TwilioHttp(timeout=15)
        self._client = Client(cfg.account_sid, cfg.auth_token, http_client=self._http)
        self._client.api.base_url = cfg.api_base_url.rstrip("/")

    async def stop(self) -> None:
        if self._http is not None:
            http, self._http, self._client = self._http, None, None
            await http.close()

    async def send(self, address: str, text: str, *, locale: str | None = None) -> Outcome:
        """Send the locale's template to ``address`` (``text`` is only the preview's)."""
        assert self._client is not None, "start() first"
        template = whatsapp_window.outreach_template(self.config, locale)
        if template is None:
            return Outcome("failed", reason="no_template")
        extra = {"status_callback": self.status_callback} if self.status_callback else {}
        try:
            sent = await self._client.messages.create_async(
                to=wa_channel.PREFIX + address, from_=self.sender,
                content_sid=template.content_sid,
                content_variables=template.content_variables, **extra)
        except TwilioException as exc:
            return twilio_error_outcome(exc, wa_channel.NOT_ON_WHATSAPP)
        except (aiohttp.ClientError, TimeoutError, OSError):
            return Outcome("retry", reason="network")
        return Outcome("sent", provider_id=sent.sid)

    async def find(self, address: str, text: str, since: dt.datetime) -> str | None:
        """The SID of a message from our sender to ``address`` since ``since``."""
        assert self._client is not None, "start() first"
        messages = await self._client.messages.list_async(
            to=wa_channel.PREFIX + address, from_=self.sender, limit=20)
        for message in messages:
            created = message.date_created
            if created is None or created >= since:
                return str(message.sid)
        return None
