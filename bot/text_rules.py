"""The rules every text a person can read is held to, in every locale.

One place states them, so the tests, ``casecheck i18n review-export`` and
``review-import`` cannot drift apart:

- no word of the locale's (or English's) ``reply`` list in ``discretion.toml``
  (drugs, offences, the lab, the court: a phone may be read by others);
- a segment budget per kind of text, counted by the SMS channel's own
  rendering (``bot.channels.sms_render``) with placeholders filled as sent:
  a prompt or confirmation 1 segment, HELP and the STOP and START
  confirmations 1 (GSM-7) or 2 (UCS-2) and naming the organisation and STOP, a status 2, a topic
  (title and body) 3, anything else ``[sms] max_segments``;
- the glossary (``glossary.toml``): the locale's term where the concept is
  used, never a rejected term;
- a pack text's must-read sentence (``[must_read]``) inside it, word for word;
- the placeholders of the English text, no more, no fewer.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from . import bidi
from .channels import sms_render
from .config import Config, load_config
from .content import ContentPack
from .i18n import DEFAULT_LOCALE, Translator, locales_dir
from .model import Reply

# Catalog texts written by these files reach a person (the rest is staff-facing).
PERSON_SOURCES = ("handlers/", "bot/channels/sms", "bot/channels/console",
                  "bot/channels/telegram_render", "bot/handoff.py", "bot/outreach/replies.py",
                  "bot/outreach/texts.py", "bot/dialogue.py")
PERSON_DOMAINS = ("messages", "sms", "topics", "telegram", "outreach", "web")

HELP = "{org}: free help. Call {phone} or visit {website}. Reply STOP to end messages."
STOP = "{org}: STOP received. You will get no more messages. Reply START to get messages again."
START = "Welcome back. You will get messages from {org} again. Reply STOP to end."
COMPLIANCE = frozenset({HELP, STOP, START})
PROMPTS = frozenset({
    "Please send your docket number. It is on your case papers, for example 0912CR004411.",
    "What is your last name?", "What is your first name?",
    "What is your date of birth? For example: 03/14/1975.",
    "Please send the code from your letter. It looks like AB12-CD34.",
    "What would you like to do?", "What would you like to do next?",
    "What would you like to do? Reply with a number.", "Choose a topic. Reply with a number.",
    "Please reply with the number of your language.",
    "We can look with your name. What is your last name?",
    # confirmations
    "All right.", "All right. Nothing was deleted.", "Thank you. We found your case.",
    "Sorry, I did not understand.",
    "Sorry for the mistake. We will not send messages to this number again.",
})
BUDGETS = {"compliance": (1, 2), "prompt": (1, 1), "status": (2, 2), "topic": (3, 3)}
# Values placeholders take when a text is measured (the organisation's come from config).
SAMPLE = {"ref": "R-7K2Q9", "n": "24", "docket": "0912-CR-004411",
          "court": "Boston Municipal Court", "date": "April 19, 2017", "status": "Dismissed",
          "key": "1", "label": "Check my case", "more": "MORE", "day": "Monday",
          "time": "9:00", "hours": "Mon-Fri 9:00-17:00", "language": "Español"}


@dataclass(frozen=True)
class Text:
    """One text a person can read: where it lives and its English source."""

    domain: str  # a catalog domain, or "content" for the pack
    key: str  # the pack key ("topics.record.body"), or the msgid
    source: str  # the English text (the singular, for plural messages)
    kind: str  # compliance, prompt, status, topic, title, text
    plural: bool = False


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return {"<broken braces>"}


class _Sample(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "x"


class Rules:
    """The rules of one deployment (its pack and organisation) for every locale."""

    def __init__(self, config: Config | None = None, pack: ContentPack | None = None) -> None:
        self.config = config or load_config(None, env={})
        self.pack = pack or ContentPack.load(self.config.content.pack)
        self.translator = Translator(extra_dirs=[(self.pack.path, "content")])
        self.glossary = load_glossary(self.pack.path)
        org = self.config.organization
        self.sample = _Sample(SAMPLE, org=org.name, phone=org.phone, website=org.website)
        self.sample.update({c: self.translator.gettext(DEFAULT_LOCALE, self.pack.source(
            "contacts", c, "name") or c) for c in self.pack.contacts()})

    # -- which texts --------------------------------------------------------------
    def texts(self) -> list[Text]:
        """Every catalog text a person can read, then every pack text."""
        out: list[Text] = []
        for domain in PERSON_DOMAINS:
            pot = locales_dir() / f"{domain}.pot"
            with pot.open("rb") as fh:
                template = read_po(fh)
            for message in template:
                if not message.id or not any(
                        path.startswith(PERSON_SOURCES) for path, _ in message.locations):
                    continue
                source = message.id if isinstance(message.id, str) else message.id[0]
                key = source
                kind = ("compliance" if source in COMPLIANCE else
                        "prompt" if source in PROMPTS else "text")
                out.append(Text(domain, key, source, kind, not isinstance(message.id, str)))
        for key, source in self.pack.person_entries():
            kind = ("topic" if key.startswith("topics.") and not key.endswith(".title") else
                    "status" if key.startswith("status.") else
                    "title" if key.endswith(".title") else "text")
            out.append(Text("content", key, source, kind))
        return out

    def translation(self, locale: str, text: Text) -> str:
        return self.translator.catalog(locale).gettext(text.source)

    # -- measuring ----------------------------------------------------------------
    def as_sent(self, locale: str, text: Text, translation: str) -> str:
        """The text as the SMS channel would send it (a topic with its title)."""
        body = translation
        if text.kind == "topic":
            title_key = ".".join(text.key.split(".")[:2]) + ".title"
            title = self.pack.source(*title_key.split("."))
            if title:
                body = self.translator.catalog(locale).gettext(title) + "\n" + body
        try:
            filled = body.format_map(self.sample)
        except (ValueError, IndexError):
            filled = body
        gettext = self._gettext(locale)
        return sms_render.render(Reply(filled), gettext)

    def _gettext(self, locale: str) -> Any:
        def gettext(msgid: str, **kwargs: object) -> str:
            return self.translator.gettext(locale, msgid, **kwargs)
        return gettext

    def segments(self, locale: str, text: Text, translation: str) -> int:
        return sms_render.segments(self.as_sent(locale, text, translation))

    def budget(self, text: Text, sent: str) -> int:
        gsm, ucs2 = BUDGETS.get(text.kind, (self.config.sms.max_segments,) * 2)
        return gsm if sms_render.is_gsm7(sent) else ucs2

    # -- the rules ----------------------------------------------------------------
    def problems(self, locale: str, text: Text, translation: str) -> list[str]:
        """Every rule ``translation`` (of ``text`` into ``locale``) breaks, in words."""
        found: list[str] = []
        if not translation.strip():
            return ["not translated"]
        expected = _placeholders(text.source)
        # A plural form may leave out {n} ("one case", Arabic's dual).
        if _placeholders(translation) - {"n"} != expected - {"n"} or (
                not text.plural and _placeholders(translation) != expected):
            found.append("placeholders differ from the English text: "
                         + ", ".join(sorted(_placeholders(text.source) or {"none"})))
        found += self._forbidden(locale, translation)
        sent = self.as_sent(locale, text, translation)
        count, budget = sms_render.segments(sent), self.budget(text, sent)
        if count > budget:
            found.append(f"{count} SMS segments, more than {budget} for a {text.kind}")
        if text.kind == "compliance":
            for needed in ("{org}", "STOP"):
                if needed not in translation:
                    found.append(f"must contain {needed}")
        found += self._glossary(locale, text, translation)
        if text.domain == "content":
            found += self._must_read(locale, text, translation, sent)
        return found

    def _forbidden(self, locale: str, translation: str) -> list[str]:
        literal = "".join(part for part, *_ in string.Formatter().parse(translation)) \
            if "<broken braces>" not in _placeholders(translation) else translation
        hits: set[str] = set()
        for loc in dict.fromkeys((locale, DEFAULT_LOCALE)):
            words = self.pack.words.get(loc)
            if words:
                hits.update(words.found(literal))
        return [f"names what a phone must not show: {', '.join(sorted(hits))}"] if hits else []

    def _glossary(self, locale: str, text: Text, translation: str) -> list[str]:
        entries = self.glossary.get(locale, {})
        lowered = translation.casefold()
        found = []
        for concept, entry in entries.items():
            term = entry.get("term")
            if term and text.key in self.glossary_where.get(concept, ()) \
                    and term.casefold() not in lowered:
                found.append(f"glossary: {concept} must be said {term!r}")
            # A concept's rejected words count in its own texts and the pack's (a "delete"
            # in "forget me" is not sealing); a concept used nowhere in particular (the
            # register, a measure word) is checked everywhere.
            where = self.glossary_where.get(concept)
            if where and text.key not in where and text.domain != "content":
                continue
            for rejected in entry.get("rejected", []):
                if rejected.casefold() in lowered and not _inside_term(lowered, rejected, term):
                    found.append(f"glossary: {rejected!r} is rejected for {concept}")
        return found

    @property
    def glossary_where(self) -> dict[str, list[str]]:
        return self.glossary.get("where", {})

    def _must_read(self, locale: str, text: Text, translation: str, sent: str) -> list[str]:
        sentence = self.pack.must_read().get(text.key)
        if sentence is None:
            return []
        wanted = self.translator.catalog(locale).gettext(sentence)
        if wanted not in translation:
            return ["the must-read sentence is not in the text word for word"]
        first, _rest = sms_render.fit(sent, self._gettext(locale),
                                      self.config.sms.max_segments)
        filled = wanted.format_map(self.sample) if "{" in wanted else wanted
        if bidi.isolate_latin(sms_render.plain(filled)) not in first:
            return ["the must-read sentence is not in the first SMS"]
        return []

    def terms(self, locale: str, text: Text) -> list[str]:
        """The glossary terms a text must use (for translators)."""
        entries = self.glossary.get(locale, {})
        return [f"{c}: {e['term']}" for c, e in entries.items()
                if e.get("term") and text.key in self.glossary_where.get(c, ())]


def _inside_term(lowered: str, rejected: str, term: str | None) -> bool:
    """A rejected word that only occurs inside the approved term (kea "prizon" in
    another word) does not count."""
    if not term:
        return False
    return rejected.casefold() in term.casefold() and lowered.count(rejected.casefold()) \
        <= lowered.count(term.casefold())


def load_glossary(pack_dir: Path) -> dict[str, dict[str, Any]]:
    """``<pack>/glossary.toml``: ``where`` (concept -> texts) and, per locale, concept ->
    {term, rejected}. Missing file: no glossary."""
    path = pack_dir / "glossary.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def all_problems(rules: Rules, locales: Iterable[str]) -> list[tuple[str, Text, str]]:
    """(locale, text, problem) for every shipped translation that breaks a rule."""
    out = []
    for locale in locales:
        for text in rules.texts():
            translation = rules.translation(locale, text)
            for problem in rules.problems(locale, text, translation):
                out.append((locale, text, problem))
    return out
