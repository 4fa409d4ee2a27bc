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
import functools
import io
import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.plural import PluralRule
from babel.support import NullTranslations, Translations

from . import cldr_slim

if TYPE_CHECKING:
    from .config import Config

DEFAULT_LOCALE = "en"

# Menu names where Babel's own is unclear or long; for a locale not named here,
# Babel's name in the language itself, capitalised.
LANGUAGE_NAMES = {"ht": "Kreyòl ayisyen", "kea": "Kabuverdianu",
                  "zh_Hant": "中文（繁體）", "zh_Hans": "中文（简体）"}
# The shipped locales' Babel names, written out: a menu of eleven names would load
# the whole CLDR data of each locale (7 MB in the workers' process) for one word.
BABEL_NAMES = {"en": "English", "es": "Español", "pt_BR": "Português (Brasil)",
               "vi": "Tiếng Việt", "km": "ខ្មែរ", "ru": "Русский", "ar": "العربية"}


def locales_dir() -> Path:
    return Path(str(resources.files("locales")))


# Menu order: English, then the Massachusetts Trial Court's languages, most used first
# (Spanish first, as people asked); any other shipped locale follows alphabetically.
PREFERRED_ORDER = ("en", "es", "pt_BR", "ht", "kea", "vi", "zh_Hant", "zh_Hans", "km", "ru",
                   "ar")


def shipped_locales() -> list[str]:
    """Locales that have a catalog, in menu order."""
    found = {"en"}
    for entry in locales_dir().iterdir():
        if entry.name != "packs" and any((entry / "LC_MESSAGES").glob("*.po")):
            found.add(entry.name)
    rank = {loc: i for i, loc in enumerate(PREFERRED_ORDER)}
    return sorted(found, key=lambda loc: (rank.get(loc, len(rank)), loc))


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
    """The catalogs of one process: UI messages plus a content pack's texts.

    A locale's catalogs are read at its first text: the web process, which answers
    webhooks and staff, seldom needs more than one, and every catalog read is memory
    a process keeps (all eleven: 1.7 MB)."""

    def __init__(self, locales: Iterable[str] | None = None,
                 extra_dirs: Iterable[tuple[Path, str]] = ()) -> None:
        self.locales = list(locales) if locales else shipped_locales()
        self._extra_dirs = list(extra_dirs)
        self._catalogs: dict[str, NullTranslations] = {}

    def _read(self, locale: str) -> NullTranslations:
        files = sorted((locales_dir() / locale / "LC_MESSAGES").glob("*.po"))
        files += [base / locale / "LC_MESSAGES" / f"{domain}.po"
                  for base, domain in self._extra_dirs]
        trans: NullTranslations = NullTranslations()
        for po in files:
            if not po.is_file():
                continue
            more = load_po(po, locale)
            if isinstance(trans, Translations):
                trans.merge(more)
            else:
                trans = more
        self._catalogs[locale] = trans
        return trans

    def catalog(self, locale: str) -> NullTranslations:
        """``locale``'s catalogs, else the default locale's (a locale not offered)."""
        found = self._catalogs.get(locale)
        if found is not None:
            return found
        if locale in self.locales:
            return self._read(locale)
        if locale != DEFAULT_LOCALE and DEFAULT_LOCALE in self.locales:
            return self.catalog(DEFAULT_LOCALE)
        return NullTranslations()

    def gettext(self, locale: str, msgid: str, **kwargs: object) -> str:
        text = self.catalog(locale).gettext(msgid)
        return text.format(**kwargs) if kwargs else text

    def ngettext(self, locale: str, singular: str, plural: str, n: int, **kwargs: object) -> str:
        text = self.catalog(locale).ngettext(singular, plural, n)
        return text.format(n=n, **kwargs)

    def format_date(self, locale: str, value: dt.date) -> str:
        return format_date(value, format="long", locale=cldr_locale(locale))

    def language_name(self, locale: str) -> str:
        """The language in its own name and script, e.g. 'Español'."""
        return language_name(locale)


@functools.cache
def cldr_locale(code: str) -> Locale:
    """``code``'s locale for Babel's date and time functions: over the few tables they
    read (bot/cldr_slim), not all of Babel's data, for a shipped locale."""
    return cldr_slim.locale(code, tuple(shipped_locales()))


@functools.cache  # Babel builds the name from locale data: menus ask for it on every show
def language_name(locale: str) -> str:
    """The language in its own name and script: 'Español', 'Kreyòl ayisyen', 'العربية'."""
    if locale in LANGUAGE_NAMES or locale in BABEL_NAMES:
        return LANGUAGE_NAMES.get(locale) or BABEL_NAMES[locale]
    return babel_name(locale)


def babel_name(locale: str) -> str:
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


_PLURAL_TAGS = ("zero", "one", "two", "few", "many", "other")
_ZERO_OPERANDS = frozenset("vwftec")  # whole numbers: no fraction digits, no exponent
Node = tuple[str, Any]


def _constant(expr: Node) -> bool:
    op, args = expr
    return op in _ZERO_OPERANDS or op == "value" or (op == "mod" and all(map(_constant, args)))


def _evaluate(expr: Node) -> int:
    op, args = expr
    if op == "value":
        return int(args[0])
    if op == "mod":
        return _evaluate(args[0]) % _evaluate(args[1])
    return 0


def _simplify(node: Node) -> Node:
    """Fold the CLDR conditions that are constant for whole numbers (``v = 0``, ``e = 0``)."""
    op, args = node
    if op == "relation":
        _method, expr, (_, ranges) = args
        if not _constant(expr):
            return node
        value = _evaluate(expr)
        return ("const", any(_evaluate(lo) <= value <= _evaluate(hi) for lo, hi in ranges))
    if op == "not":
        inner = _simplify(args[0])
        return ("const", not inner[1]) if inner[0] == "const" else ("not", (inner,))
    if op in ("and", "or"):
        a, b = (_simplify(x) for x in args)
        for const, other in ((a, b), (b, a)):
            if const[0] == "const":
                keep_other = const[1] if op == "and" else not const[1]
                return other if keep_other else const
        return (op, (a, b))
    raise ValueError(f"unexpected plural rule node {op!r}")


def _gettext_expr(node: Node) -> str:
    op, args = node
    if op == "const":
        return "1" if args else "0"
    if op in ("n", "i"):
        return "n"
    if op == "value":
        return str(args[0])
    if op == "mod":
        return f"n % {_gettext_expr(args[1])}" if args[0][0] in ("n", "i") else \
            f"({_gettext_expr(args[0])}) % {_gettext_expr(args[1])}"
    if op == "not":
        return f"!{_gettext_expr(args[0])}"
    if op in ("and", "or"):
        joiner = " && " if op == "and" else " || "
        return f"({_gettext_expr(args[0])}{joiner}{_gettext_expr(args[1])})"
    if op == "relation":
        _method, expr, (_, ranges) = args
        left = _gettext_expr(expr)
        tests = [f"{left} == {_gettext_expr(lo)}" if lo == hi else
                 f"{left} >= {_gettext_expr(lo)} && {left} <= {_gettext_expr(hi)}"
                 for lo, hi in ranges]
        return f"({' || '.join(tests)})"
    raise ValueError(f"unexpected plural rule node {op!r}")


def plural_forms(locale: str) -> str:
    """The ``Plural-Forms`` header a catalog for ``locale`` must carry.

    A shipped locale's header is fixed in ``locales/plural_forms.toml``, since
    CLDR's rules change between Babel releases and the catalog's plural entries
    were written for one of them; any other locale gets the installed CLDR's.
    """
    return _fixed_plural_forms().get(locale) or cldr_plural_forms(locale)


@functools.cache
def _fixed_plural_forms() -> dict[str, str]:
    path = locales_dir() / "plural_forms.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return dict(tomllib.load(fh).get("forms", {}))


def cldr_plural_forms(locale: str) -> str:
    """The ``Plural-Forms`` header for ``locale`` from the installed CLDR.

    ``pybabel init`` takes nplurals from an old table (2 for kea and ht); CLDR
    has 1 for kea. ``babel.plural.to_gettext`` leaves CLDR operands (``e``, the
    exponent) that gettext cannot evaluate, so the rule is folded for whole
    numbers here: es "many" becomes a million.
    """
    rule = PluralRule.parse(Locale.parse(locale).plural_form)
    tags = [tag for tag in _PLURAL_TAGS if tag in rule.tags | {"other"}]
    parts = []
    for tag, ast in rule.abstract:
        node = _simplify(ast)
        if node != ("const", False):
            parts.append(f"{_gettext_expr(node)} ? {tags.index(tag)} : ")
    return f"nplurals={len(tags)}; plural=({''.join(parts)}{tags.index('other')});"


def offered_locales(config: Config) -> list[str]:
    """The locales this deployment offers: ``[dialogue] locales`` that are shipped, or all."""
    shipped = shipped_locales()
    wanted = config.dialogue.locales or shipped
    return [loc for loc in wanted if loc in shipped] or [DEFAULT_LOCALE]
