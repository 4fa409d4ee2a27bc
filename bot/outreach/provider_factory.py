"""The outreach provider of a channel (its own module: the WhatsApp provider builds
on ``providers``, so ``providers`` cannot import it back)."""

from __future__ import annotations

from ..config import Config
from .providers import Provider, SmsProvider, TelegramProvider
from .whatsapp_provider import WhatsAppProvider


def make_provider(channel: str, config: Config) -> Provider:
    if channel == "sms":
        return SmsProvider(config)
    if channel == "telegram":
        return TelegramProvider(config)
    if channel == "whatsapp":
        return WhatsAppProvider(config)
    raise ValueError(channel)
