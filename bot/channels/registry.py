"""The channel registry: what each channel is, declared once.

Everything outside a channel's own modules asks the registry instead of naming
channels: whether its replies leave through the outbox (``queued``), whether a
contact on it can be joined to the person at a case's phone number
(``links_identities``), whether its addresses are phone numbers
(``phone_address``: opt-outs of a wrong number, campaign audiences), how a
campaign text is made fit for it (``renderer``), how a turn's replies are
queued as messages (``compose``), its send rates and the
classes that carry it: ``channel`` for replies, ``provider`` for campaigns
(``bot/outreach/providers``), both over the channel's one wire provider
(``twilio_provider``, ``telegram_provider``).

Adding a channel is one module (its ``Channel`` and provider) plus one entry in
``BUILTIN``. An ``App`` carries a ``Registry`` (``BUILTIN`` unless told
otherwise): a test or a deployment may add a channel with ``with_channel``.
Classes are named as ``"module:attribute"`` and imported only when used, so
reading the registry never loads twilio or python-telegram-bot.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

Setting = tuple[str, str]  # (section, key) of the configuration
Ref = str | Callable[..., Any]  # "module:attribute", or the object itself


@dataclass(frozen=True)
class ChannelSpec:
    name: str  # the value of inbox.channel, outbox.channel, contacts.channel
    label: str  # its name for people (a brand name; the console's is translated)
    queued: bool = True  # replies go through the outbox (the console prints its own)
    links_identities: bool = False  # a notice code links it to the case's SMS contact
    phone_address: bool = False  # addresses are E.164 phone numbers
    enabled: Setting | bool = False  # the setting that switches it on (False: not a service)
    rate: Setting | None = None  # replies a second
    outreach_rate: Setting | None = None  # campaign messages a second (None: no campaigns)
    channel: Ref | None = None  # the Channel class, built with the App
    provider: Ref | None = None  # the campaign provider class, built with the Config
    renderer: Ref | None = None  # text -> text a campaign message is sent as (None: as is)
    # (replies, first=) -> replies: how a turn's replies are queued as messages
    # (Telegram: the welcome and the question after it in one; None: one message each)
    compose: Ref | None = None


def load(ref: Ref) -> Any:
    """The object a ``"module:attribute"`` names (or ``ref`` itself)."""
    if not isinstance(ref, str):
        return ref
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute)


def setting(config: Any, which: Setting) -> Any:
    section, key = which
    return getattr(getattr(config, section), key)


class Registry:
    """The channels an App knows, in a fixed order."""

    def __init__(self, specs: Iterable[ChannelSpec]) -> None:
        self._specs = {spec.name: spec for spec in specs}

    def with_channel(self, spec: ChannelSpec) -> Registry:
        """This registry and one more channel (or one replaced, by name)."""
        return Registry([*(s for s in self if s.name != spec.name), spec])

    def __iter__(self) -> Iterator[ChannelSpec]:
        return iter(self._specs.values())

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __getitem__(self, name: str) -> ChannelSpec:
        return self._specs[name]

    def get(self, name: str) -> ChannelSpec | None:
        return self._specs.get(name)

    def names(self) -> tuple[str, ...]:
        return tuple(self._specs)

    def queued(self, name: str) -> bool:
        spec = self._specs.get(name)
        return spec is not None and spec.queued

    def links_identities(self, name: str) -> bool:
        spec = self._specs.get(name)
        return spec is not None and spec.links_identities

    def phone_address(self, name: str) -> bool:
        spec = self._specs.get(name)
        return spec is not None and spec.phone_address

    def linking(self) -> frozenset[str]:
        return frozenset(s.name for s in self if s.links_identities)

    def phone_channels(self) -> tuple[str, ...]:
        return tuple(s.name for s in self if s.phone_address)

    def outreach_channels(self) -> tuple[str, ...]:
        """The channels campaigns can send on."""
        return tuple(s.name for s in self if s.outreach_rate is not None)

    def labels(self) -> dict[str, str]:
        return {s.name: s.label for s in self}

    def rate(self, name: str, config: Any) -> float:
        """Replies a second on ``name`` (1 when it declares none)."""
        spec = self._specs[name]
        return float(setting(config, spec.rate)) if spec.rate else 1.0

    def outreach_rates(self, config: Any) -> dict[str, float]:
        return {s.name: float(setting(config, s.outreach_rate))
                for s in self if s.outreach_rate is not None}

    def render(self, name: str, text: str) -> str:
        """A campaign text as it is sent on ``name``."""
        spec = self._specs.get(name)
        if spec is None or spec.renderer is None:
            return text
        rendered: str = load(spec.renderer)(text)
        return rendered

    def compose(self, name: str, replies: list[Any], *, first: bool) -> list[Any]:
        """A turn's replies as the messages ``name`` queues (``first``: the person's
        first turn)."""
        spec = self._specs.get(name)
        if spec is None or spec.compose is None:
            return replies
        composed: list[Any] = load(spec.compose)(replies, first=first)
        return composed

    def enabled(self, config: Any) -> list[ChannelSpec]:
        """The service channels switched on in ``config``."""
        return [s for s in self if s.channel is not None and (
            s.enabled if isinstance(s.enabled, bool) else setting(config, s.enabled))]

    def build(self, app: Any) -> list[Any]:
        """The enabled channels, built with ``app``."""
        return [load(spec.channel)(app) for spec in self.enabled(app.config)
                if spec.channel is not None]

    def provider_class(self, name: str) -> Any:
        spec = self._specs[name]
        if spec.provider is None:
            raise ValueError(f"channel {name!r} has no provider")
        return load(spec.provider)

    def provider(self, name: str, config: Any) -> Any:
        """A new (not yet started) provider for ``name``."""
        return self.provider_class(name)(config)


SMS = ChannelSpec(
    "sms", "SMS", phone_address=True, enabled=("sms", "enabled"),
    rate=("sms", "rate_per_second"), outreach_rate=("outreach", "sms_rate_per_second"),
    channel="bot.channels.sms:SmsChannel", provider="bot.outreach.providers:SmsProvider",
    renderer="bot.channels.sms_render:plain")
TELEGRAM = ChannelSpec(
    "telegram", "Telegram", links_identities=True, enabled=("telegram", "enabled"),
    rate=("telegram", "rate_per_second"),
    outreach_rate=("outreach", "telegram_rate_per_second"),
    channel="bot.channels.telegram:TelegramChannel",
    provider="bot.outreach.providers:TelegramProvider",
    compose="bot.channels.telegram_render:compose")
WHATSAPP = ChannelSpec(
    "whatsapp", "WhatsApp", links_identities=True, phone_address=True,
    enabled=("whatsapp", "enabled"), rate=("whatsapp", "rate_per_second"),
    outreach_rate=("outreach", "whatsapp_rate_per_second"),
    channel="bot.channels.whatsapp:WhatsAppChannel",
    provider="bot.outreach.whatsapp_provider:WhatsAppProvider")
CONSOLE = ChannelSpec("console", "Console", queued=False)

BUILTIN = Registry([SMS, TELEGRAM, WHATSAPP, CONSOLE])
