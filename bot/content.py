"""Content packs: the legal-information texts of one deployment, as data.

A pack is a directory holding ``pack.toml`` (English source texts: topics,
status explanations, labs, contacts) and, per locale,
``<locale>/LC_MESSAGES/content.po`` with their translations. Swapping the pack
(``[content] pack``) and the registry serves another lab scandal without code
changes.

Beside the texts, a pack keeps what the tests hold every text to:
``[sources]`` (the DOMAIN.md fact, a ``[facts]`` key, each legal statement rests
on), ``[must_read]`` (the sentence of a text that must arrive in the first SMS)
and ``discretion.toml`` (per language, the words no text may show).
"""

from __future__ import annotations

import argparse
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from . import discreet
from .config import ConfigError
from .i18n import Translator, locales_dir
from .outreach import template

# What every pack must hold: the dialogue shows these topics and explains these statuses.
TOPICS = ("record", "refund", "housing", "employment", "immigration", "next_steps")
STATUSES = ("dismissed", "pending", "not_dismissed", "under_review")
# Placeholders topic texts may use besides the pack's contact ids ({cpcs}, ...).
ORG_FIELDS = frozenset({"org", "phone", "website"})
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def packs_dir() -> Path:
    return locales_dir() / "packs"


def resolve_pack(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if not candidate.is_dir():
        candidate = packs_dir() / name_or_path
    if not (candidate / "pack.toml").is_file():
        raise ConfigError(f"[content] pack: no pack.toml in {name_or_path!r}")
    return candidate


# Texts that state law or facts about the cases: each needs a [sources] entry.
STATEMENT_PREFIXES = ("about", "status.", "topics.")
# Texts no person reads: staff-facing names of the registry's labs.
STAFF_ONLY_PREFIXES = ("labs.",)


@dataclass
class ContentPack:
    path: Path
    data: dict[str, Any]
    translator: Translator | None = None
    words: dict[str, discreet.Words] = field(default_factory=dict)

    @classmethod
    def load(cls, name_or_path: str) -> ContentPack:
        path = resolve_pack(name_or_path)
        try:
            with (path / "pack.toml").open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path / 'pack.toml'}: {exc}") from exc
        try:
            words = discreet.load(path)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        pack = cls(path, data, words=words)
        pack.validate()
        return pack

    def validate(self) -> None:
        """Every required text is there; placeholders are ones the bot fills. Names the key."""
        where = self.path / "pack.toml"
        required: list[tuple[str, ...]] = [("status", s) for s in STATUSES]
        required += [("topics", t, part) for t in TOPICS for part in ("title", "body")]
        for keys in required:
            if self.source(*keys) is None:
                raise ConfigError(f"{where}: missing text {'.'.join(keys)}")
        allowed = ORG_FIELDS | set(self.contacts())
        for key, text in self.entries():
            try:  # plain {name} only: a format spec ({org:>9}) or stray brace is refused
                used = set(template.fields(text))
            except template.TemplateError:
                raise ConfigError(f"{where}: {key} has a brace that is not a plain "
                                  "{name} placeholder (write {{ or }} for a brace)") from None
            extra = used - allowed if key.startswith("topics.") else used
            if extra:
                raise ConfigError(f"{where}: {key} uses unknown placeholder "
                                  f"{{{sorted(extra)[0]}}}")
        self.keywords()
        self._validate_sources(where)
        self._validate_must_read(where)

    def _validate_sources(self, where: Path) -> None:
        texts = dict(self.entries())
        facts = self.data.get("facts", {})
        for key, cited in self.data.get("sources", {}).items():
            if key not in texts:
                raise ConfigError(f"{where}: [sources] {key!r} is not a text of the pack")
            if not isinstance(cited, list) or not cited:
                raise ConfigError(f"{where}: [sources] {key!r} must list [facts] keys")
            unknown = [fact for fact in cited if fact not in facts]
            if unknown:
                raise ConfigError(f"{where}: [sources] {key!r} cites unknown fact {unknown[0]!r}")

    def _validate_must_read(self, where: Path) -> None:
        texts = dict(self.entries())
        for key, sentence in self.must_read().items():
            if key not in texts:
                raise ConfigError(f"{where}: [must_read] {key!r} is not a text of the pack")
            if sentence not in texts[key]:
                raise ConfigError(f"{where}: [must_read] {key!r}: the sentence is not in the text")

    def must_read(self) -> dict[str, str]:
        """``[must_read]``: text key -> the English sentence that must come first by SMS."""
        out: dict[str, str] = {}

        def walk(prefix: str, node: Any) -> None:
            if isinstance(node, str):
                out[prefix] = node
            elif isinstance(node, dict):
                for key, value in node.items():
                    walk(f"{prefix}.{key}" if prefix else key, value)

        walk("", self.data.get("must_read", {}))
        return out

    def cited_facts(self, key: str) -> list[str]:
        """The ``[facts]`` keys a text rests on (empty: none given)."""
        cited = self.data.get("sources", {}).get(key, [])
        return list(cited) if isinstance(cited, list) else []

    def statements(self) -> list[tuple[str, str]]:
        """Texts that state law or facts (each must cite its source)."""
        return [(k, t) for k, t in self.entries()
                if k.startswith(STATEMENT_PREFIXES) and not k.endswith(".title")]

    def person_entries(self) -> list[tuple[str, str]]:
        """Every text that can reach a person (all but staff-facing names)."""
        return [(k, t) for k, t in self.entries() if not k.startswith(STAFF_ONLY_PREFIXES)]

    def contacts(self) -> list[str]:
        """Ids of the organisations in ``[contacts]`` (each has a translatable name)."""
        table = self.data.get("contacts", {})
        return [key for key, value in table.items()
                if isinstance(value, dict) and isinstance(value.get("name"), str)]

    def source(self, *keys: str) -> str | None:
        """The English source text at a dotted path, or None."""
        node: Any = self.data
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node if isinstance(node, str) else None

    def text(self, locale: str, *keys: str, **kwargs: Any) -> str:
        source = self.source(*keys)
        if source is None:
            raise KeyError(".".join(keys))
        text = source if self.translator is None else self.translator.gettext(locale, source)
        # Plain substitution, never str.format: a pack text cannot run a format spec.
        return template.render(text, {k: str(v) for k, v in kwargs.items()}) if kwargs else text

    def entries(self) -> list[tuple[str, str]]:
        """Every translatable text as (dotted key, English source), in file order.

        ``[meta]`` (for operators) and ``[keywords]`` (matched, not shown) are left out.
        """
        out: list[tuple[str, str]] = []

        def walk(prefix: str, node: Any) -> None:
            if isinstance(node, str):
                out.append((prefix, node))
            elif isinstance(node, dict):
                for key, value in node.items():
                    walk(f"{prefix}.{key}" if prefix else key, value)

        walk("", {k: v for k, v in self.data.items() if k not in UNTRANSLATED})
        return out

    def sources(self) -> list[str]:
        """Every English source text in the pack (for catalog extraction)."""
        return [text for _, text in self.entries()]

    def keywords(self) -> dict[str, list[str]]:
        """``[keywords]``: intent -> words that point to this deployment's cases."""
        table = self.data.get("keywords", {})
        if not isinstance(table, dict) or not all(
                isinstance(v, list) and all(isinstance(w, str) for w in v) for v in table.values()):
            raise ConfigError(f"{self.path / 'pack.toml'}: [keywords] must map intents to "
                              "lists of words")
        return table


UNTRANSLATED = frozenset({"meta", "keywords", "sources", "facts"})


def extract_catalog(pack: ContentPack) -> Catalog:
    """The pack's texts as a gettext template; each entry says which key it is."""
    name = pack.source("meta", "name") or pack.path.name
    header = (f"# Texts of the content pack {pack.path.name!r} ({name}).\n"
              f"# Regenerate this template with: python -m bot.content {pack.path.name}")
    catalog = Catalog(project=f"casecheck content pack {pack.path.name}", version="1",
                      header_comment=header, msgid_bugs_address="maintainers@example.org",
                      charset="UTF-8", fuzzy=False)
    for key, text in pack.entries():
        if text in catalog:
            catalog[text].auto_comments.append(key)
            continue
        flags = ["python-brace-format"] if _PLACEHOLDER.search(text) else []
        catalog.add(text, locations=[("pack.toml", 0)], auto_comments=[key], flags=flags)
    return catalog



def write_pot(pack: ContentPack, path: Path) -> int:
    """Write ``content.pot`` for translators; returns the number of messages."""
    catalog = extract_catalog(pack)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, include_lineno=False)
    return len(catalog)


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.content [PACK] [--out FILE]``: regenerate a pack's content.pot."""
    parser = argparse.ArgumentParser(prog="python -m bot.content", description=main.__doc__)
    parser.add_argument("pack", nargs="?", default="massachusetts", help="pack name or directory")
    parser.add_argument("--out", type=Path, help="default: <pack>/content.pot")
    args = parser.parse_args(argv)
    pack = ContentPack.load(args.pack)
    out = args.out or pack.path / "content.pot"
    count = write_pot(pack, out)
    print(f"{out}: {count} messages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
