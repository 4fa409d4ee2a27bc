"""The discretion check of an outreach text: a phone may be read by others.

An outreach message must not name a drug case, a court or an offence (nor a
lab, a court of the registry, or the people at the heart of the scandal); it
must name the organisation, invite a reply and say how to stop. The check runs
on the advocate's text (placeholders removed) against the word lists of every
shipped language, since a Spanish text may well contain an English word; the
lists are the content pack's (``discretion.toml``, see bot/discreet.py). The
organisation's own name is checked apart: a name like "Drug Lab Case Help"
gives the case away in every message, which the advocate should know.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .. import discreet
from ..discreet import fold
from ..i18n import locales_dir
from .texts import N_

DEFAULT_PACK = "massachusetts"


@functools.cache  # read once: the lists are data of the shipped pack, never changed
def default_words() -> Mapping[str, discreet.Words]:
    """The shipped pack's per-language word lists (``discretion.toml``)."""
    return MappingProxyType(discreet.load(locales_dir() / "packs" / DEFAULT_PACK))


# Words that invite a reply, and words that say how to stop (folded, any language).
REPLY_WORDS = ("reply", "respond", "text back", "text us", "responda", "responde", "conteste",
               "contesta", "escriba", "escribanos", "reponn", "tra loi", "ответьте")
# The keyword people send back; every shipped language keeps it in Latin letters.
REPLY_KEYWORD = "yes"
STOP_WORDS = ("stop", "parar", "unsubscribe", "cancelar")


@dataclass(frozen=True)
class Warning:
    """One problem found; ``msgid`` (catalog "outreach") with ``kwargs``."""

    code: str  # forbidden, org_name, no_org, no_reply, no_stop
    msgid: str
    kwargs: dict[str, str] = field(default_factory=dict)


def _found(folded: str, terms: Iterable[str]) -> list[str]:
    return discreet.find(folded, terms)


def _invites_reply(folded: str) -> bool:
    """A reply word not followed by a stop word ("Reply YES", not only "Reply STOP"),
    or the reply keyword itself (scripts without spaces: "回覆 YES", "ឆ្លើយ YES")."""
    if _found(folded, (REPLY_KEYWORD,)):
        return True
    for word in REPLY_WORDS:
        for match in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)\W*(\w*)", folded):
            if match.group(1) not in STOP_WORDS:
                return True
    return False


def _without_placeholders(text: str) -> str:
    try:
        return "".join(literal for literal, *_ in string.Formatter().parse(text))
    except ValueError:
        return text


def check(text: str, org_name: str, extra_terms: Iterable[str] = (),
          words: Mapping[str, discreet.Words] | None = None) -> list[Warning]:
    """Problems of one campaign text (with ``{org}`` placeholders or the name written out).

    ``extra_terms``: names that also give a case away in this deployment, e.g.
    the registry's labs and courts. ``words``: the pack's lists (default: the
    shipped pack's), every language and both tiers.
    """
    lists = default_words() if words is None else words
    warnings: list[Warning] = []
    own = fold(_without_placeholders(text))
    org_folded = fold(org_name)
    # The organisation's name, written out, is judged apart from the advocate's words.
    hits = discreet.found_in_any(own.replace(org_folded, " ") if org_folded else own, lists,
                                 outreach=True, extra=extra_terms)
    if hits:
        warnings.append(Warning("forbidden", N_(
            "It names a drug case, a court or an offence: {words}. A phone may be read by "
            "others."), {"words": ", ".join(hits)}))
    if "{org}" not in text and (not org_folded or org_folded not in own):
        warnings.append(Warning("no_org", N_("It does not name the organisation ({org})."),
                                {"org": org_name}))
    elif discreet.found_in_any(org_folded, lists, outreach=True, extra=extra_terms):
        warnings.append(Warning("org_name", N_(
            "The organisation's name ({org}) gives the case away. Consider a neutral name "
            "for outreach."), {"org": org_name}))
    if not _invites_reply(own):
        warnings.append(Warning("no_reply", N_(
            "It does not invite a reply (for example: Reply YES to learn more).")))
    if not _found(own, STOP_WORDS):
        warnings.append(Warning("no_stop", N_(
            "It does not say how to stop (for example: Reply STOP to end messages).")))
    return warnings
