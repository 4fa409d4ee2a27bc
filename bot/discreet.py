"""Words a text must not show, per language: a phone may be read by others.

The lists are data of the content pack (``discretion.toml``), written per
language (not translated from English, since each language names drugs and
courts in its own words and forms). Two tiers: ``reply`` words never appear in
anything the bot sends; ``outreach`` words also never appear in a message to
someone who did not ask (they name a criminal case at all). The same matcher
serves the catalog tests, the pack loader and the outreach discretion check.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

FILE = "discretion.toml"


def fold(text: str) -> str:
    """Lower case, accents removed: "Cocaína" and "cocaina" match alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def find(folded_text: str, terms: Iterable[str], *, substring: bool = False) -> list[str]:
    """The terms (folded) found in an already folded text: whole words, or anywhere."""
    hits = []
    for term in terms:
        term = fold(term).strip()
        if not term:
            continue
        pattern = re.escape(term) if substring else rf"(?<!\w){re.escape(term)}(?!\w)"
        if re.search(pattern, folded_text):
            hits.append(term)
    return hits


@dataclass(frozen=True)
class Words:
    """One language's lists."""

    reply: tuple[str, ...]
    outreach: tuple[str, ...]
    substring: bool = False

    def found(self, text: str, *, outreach: bool = False) -> list[str]:
        """Words of this language in ``text`` (all tiers when ``outreach``)."""
        terms = self.reply + (self.outreach if outreach else ())
        return find(fold(text), terms, substring=self.substring)


def load(pack_dir: Path) -> dict[str, Words]:
    """``<pack>/discretion.toml``: locale -> Words. A bad file raises ValueError naming it."""
    path = pack_dir / FILE
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    out: dict[str, Words] = {}
    for locale, table in data.items():
        lists = {tier: table.get(tier, []) if isinstance(table, dict) else None
                 for tier in ("reply", "outreach")}
        if not all(isinstance(v, list) and all(isinstance(w, str) and w.strip() for w in v)
                   for v in lists.values()):
            raise ValueError(f"{path}: [{locale}] reply and outreach must be lists of words")
        match = table.get("match", "word")
        if match not in ("word", "substring"):
            raise ValueError(f"{path}: [{locale}] match must be \"word\" or \"substring\"")
        out[locale] = Words(tuple(lists["reply"] or ()), tuple(lists["outreach"] or ()),
                            substring=match == "substring")
    return out


def found_in_any(text: str, words: Mapping[str, Words], *, outreach: bool = False,
                 extra: Iterable[str] = ()) -> list[str]:
    """Every language's words in ``text`` (a Spanish text may hold an English word),
    plus ``extra`` names (e.g. the registry's labs and courts); sorted, folded."""
    folded = fold(text)
    hits = set(find(folded, extra))
    for lists in words.values():
        terms = lists.reply + (lists.outreach if outreach else ())
        hits.update(find(folded, terms, substring=lists.substring))
    return sorted(hits)
