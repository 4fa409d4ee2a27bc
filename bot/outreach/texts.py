"""Campaign texts: the default per language, placeholders, rendering, segments and cost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..channels import sms_render
from ..channels.registry import BUILTIN
from ..config import Config
from ..i18n import Translator
from . import template


def N_(msgid: str) -> str:
    """Mark a string for the catalog; it is translated where it is used."""
    return msgid


# The default campaign message (catalog "outreach"). It never names a case, a
# court or an offence: a phone may be read by others.
DEFAULT_MESSAGE = N_("{org} has news that may matter to you. Reply YES to learn more, or call "
                     "{phone}. Reply STOP to end messages.")
PLACEHOLDERS = ("org", "phone", "website")
MAX_TEXT = 1000  # characters an advocate may write (about 7 SMS segments)


class TextProblem(ValueError):
    """A campaign text cannot be used (a msgid with ``kwargs``)."""

    def __init__(self, msgid: str, **kwargs: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.kwargs = kwargs


def default_text(translator: Translator, locale: str) -> str:
    return translator.gettext(locale, DEFAULT_MESSAGE)


def check_placeholders(text: str) -> None:
    """Raise TextProblem for empty, too long, unknown ``{name}``, a format spec
    (``{org:>9}``, ``{org!r}``) or a stray brace: only plain ``{name}`` is filled."""
    if not text.strip():
        raise TextProblem(N_("The message is empty."))
    if len(text) > MAX_TEXT:
        raise TextProblem(N_("The message is too long (at most {n} characters)."),
                          n=str(MAX_TEXT))
    known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    try:
        template.check(text, PLACEHOLDERS)
    except template.TemplateError as exc:
        if exc.kind == "unknown":
            raise TextProblem(N_("Unknown placeholder {name}. Use only {known}."),
                              name="{" + exc.field + "}", known=known) from None
        raise TextProblem(N_("A brace is not closed. Use only {known}."), known=known) from None


def fill(text: str, config: Config) -> str:
    """The text with the organisation's name, phone and website filled in (plain
    substitution). A text that was never valid (stored by an older version) raises
    the TextProblem it would have got when saved, for the preview to show."""
    org = config.organization
    try:
        return template.render(text, {"org": org.name, "phone": org.phone,
                                      "website": org.website}).strip()
    except template.TemplateError:
        check_placeholders(text)
        raise


def for_channel(text: str, channel: str) -> str:
    """The text as sent on ``channel`` (its registry renderer: SMS gets plain characters,
    as typographic quotes would make it UCS-2)."""
    return BUILTIN.render(channel, text)


def campaign_texts(stored: Mapping[str, str], translator: Translator) -> dict[str, str]:
    """Every shipped locale's text: the advocate's edit, else the catalog default."""
    return {loc: stored.get(loc) or default_text(translator, loc) for loc in translator.locales}


@dataclass(frozen=True)
class Estimate:
    segments: int
    unicode: bool  # UCS-2: 70 characters a segment instead of 160
    cost: float


def estimate(sms_text: str, sms_recipients: int, cost_per_segment: float) -> Estimate:
    segments = sms_render.segments(sms_text)
    return Estimate(segments, not sms_render.is_gsm7(sms_text),
                    round(segments * sms_recipients * cost_per_segment, 2))
