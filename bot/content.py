"""Content packs: the legal-information texts of one deployment, as data.

A pack is a directory holding ``pack.toml`` (English source texts: topics,
status explanations, labs, contacts) and, per locale,
``<locale>/LC_MESSAGES/content.po`` with their translations. Swapping the pack
(``[content] pack``) and the registry serves another lab scandal without code
changes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import ConfigError
from .i18n import Translator, locales_dir


def packs_dir() -> Path:
    return locales_dir() / "packs"


def resolve_pack(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if not candidate.is_dir():
        candidate = packs_dir() / name_or_path
    if not (candidate / "pack.toml").is_file():
        raise ConfigError(f"[content] pack: no pack.toml in {name_or_path!r}")
    return candidate


@dataclass
class ContentPack:
    path: Path
    data: dict[str, Any]
    translator: Translator | None = None

    @classmethod
    def load(cls, name_or_path: str) -> ContentPack:
        path = resolve_pack(name_or_path)
        with (path / "pack.toml").open("rb") as fh:
            data = tomllib.load(fh)
        return cls(path, data)

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
        if self.translator is None:
            return source.format(**kwargs) if kwargs else source
        return self.translator.gettext(locale, source, **kwargs)

    def sources(self) -> list[str]:
        """Every English source text in the pack (for catalog extraction)."""
        out: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, str):
                out.append(node)
            elif isinstance(node, dict):
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk({k: v for k, v in self.data.items() if k != "meta"})
        return out
