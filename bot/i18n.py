"""Babel catalogs: load every shipped locale, translate, format per locale.

Catalogs live as ``.po`` files in ``locales/<locale>/LC_MESSAGES/<domain>.po``,
one domain per part of the bot (``messages`` for the dialogue, ``sms``,
``telegram``, ``web``, ...), all merged into one catalog per locale; a content
pack's own ``content.po`` files are merged in too. They are
compiled in memory at start-up, so there is no ``.mo`` build step to forget and
a plain ``pip install .`` ships everything.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DEFAULT_LOCALE = "en"


def locales_dir() -> Path:
    return Path(str(resources.files("locales")))


def shipped_locales() -> list[str]:
    """Locales that have a catalog, English first."""
    found = {"en"}
    for entry in locales_dir().iterdir():
        if entry.name != "packs" and any((entry / "LC_MESSAGES").glob("*.po")):
            found.add(entry.name)
    return ["en"] + sorted(found - {"en"})


def load_po(path: Path, locale: str) -> Translations:
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf)


def normalize_locale(tag: str | None, available: Iterable[str]) -> str | None:
    """Map a tag like ``pt-br``, ``zh-tw`` or ``es_MX`` to a shipped locale, or None.

    Babel's ``negotiate_locale`` is plain string matching, so walk a fallback
    chain instead: exact, language+script, language alone.
    """
    if not tag:
        return None
    available = list(available)
    try:
        loc = Locale.parse(tag.replace("_", "-"), sep="-")
    except (ValueError, UnknownLocaleError):
        return None
    candidates = [str(loc)]
    if loc.script:
        candidates.append(f"{loc.language}_{loc.script}")
    if loc.territory:
        candidates.append(f"{loc.language}_{loc.territory}")
    candidates.append(loc.language)
    for cand in candidates:
        if cand in available:
            return cand
    for cand in available:  # "pt" -> "pt_BR": same language, any region
        if cand.split("_")[0] == loc.language:
            return cand
    return None


class Translator:
    """All catalogs of one process: UI messages plus a content pack's texts."""

    def __init__(self, locales: Iterable[str] | None = None,
                 extra_dirs: Iterable[tuple[Path, str]] = ()) -> None:
        self.locales = list(locales) if locales else shipped_locales()
        self._catalogs: dict[str, NullTranslations] = {}
        for loc in self.locales:
            files = sorted((locales_dir() / loc / "LC_MESSAGES").glob("*.po"))
            files += [base / loc / "LC_MESSAGES" / f"{domain}.po" for base, domain in extra_dirs]
            trans: NullTranslations = NullTranslations()
            for po in files:
                if not po.is_file():
                    continue
                more = load_po(po, loc)
                if isinstance(trans, Translations):
                    trans.merge(more)
                else:
                    trans = more
            self._catalogs[loc] = trans

    def catalog(self, locale: str) -> NullTranslations:
        return self._catalogs.get(locale) or self._catalogs.get(DEFAULT_LOCALE) or NullTranslations()

    def gettext(self, locale: str, msgid: str, **kwargs: object) -> str:
        text = self.catalog(locale).gettext(msgid)
        return text.format(**kwargs) if kwargs else text

    def ngettext(self, locale: str, singular: str, plural: str, n: int, **kwargs: object) -> str:
        text = self.catalog(locale).ngettext(singular, plural, n)
        return text.format(n=n, **kwargs)

    def format_date(self, locale: str, value: dt.date) -> str:
        return format_date(value, format="long", locale=locale)

    def language_name(self, locale: str) -> str:
        """The language in its own name and script, e.g. 'Español'."""
        name = Locale.parse(locale).get_display_name(locale) or locale
        return name[:1].upper() + name[1:]
