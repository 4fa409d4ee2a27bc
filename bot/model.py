"""The channel-neutral messages that flow between channels and the dialogue."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Inbound:
    """One message from a person, whatever the channel."""

    channel: str  # a name in the channel registry (bot/channels/registry.py)
    address: str  # phone number, Telegram chat id, console name
    text: str
    language_hint: str | None = None  # e.g. Telegram's language_code
    provider_id: str | None = None  # MessageSid, update_id: deduplication key
    media_count: int = 0
    campaign_id: int | None = None  # set when the message answers an outreach campaign
    # The hash (hash_notice_code) of a code received out of band (Telegram /start deep
    # link): the raw code is never stored, not even in the inbox.
    notice_code: str | None = None


@dataclass(frozen=True)
class Option:
    key: str  # "1", "2", ... what the person may type
    label: str


@dataclass
class Reply:
    text: str
    options: list[Option] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"text": self.text,
                "options": [{"key": o.key, "label": o.label} for o in self.options]}


@dataclass
class Turn:
    """What the dialogue answers to one inbound message."""

    replies: list[Reply]
    awaiting: str | None
    locale: str

    def to_json(self) -> dict[str, object]:
        return {"replies": [r.to_json() for r in self.replies],
                "awaiting": self.awaiting, "locale": self.locale}
