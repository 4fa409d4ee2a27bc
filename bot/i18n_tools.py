"""Catalog upkeep for translators: extract, update, init, check.

The English source text is the msgid. ``extract`` reads it from the code
(Babel's extractors: Python, and Jinja2 for the web templates) and from the
content packs' ``pack.toml``, and writes one template per domain:
``locales/<domain>.pot`` and ``locales/packs/<pack>/content.pot``. Which
domain a file's messages belong to is decided by ``DOMAINS`` below, so each
part of the bot keeps its own catalog file (fewer edit conflicts). ``update``
merges the templates into every locale's ``.po`` (keeping translations, adding
new messages empty, marking near matches fuzzy); ``init`` starts a new locale
with CLDR plural forms; ``check`` lists what a locale lacks.
"""

from __future__ import annotations

import gettext
import io
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, unescape, write_po

from .config import Config
from .content import ContentPack, extract_catalog, packs_dir
from .i18n import DEFAULT_LOCALE, Translator, locales_dir, plural_forms, shipped_locales

SOURCE_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("bot", "handlers")
CONTENT_DOMAIN = "content"

# Which catalog a source file's messages go to: the first matching pattern wins.
# A file with translatable strings and no row here stops `extract` (add a row).
DOMAINS: tuple[tuple[str, str], ...] = (
    ("handlers/topics.py", "topics"),
    ("handlers/sms_answers.py", "sms"),  # the dialogue's answers to what SMS cannot carry
    ("handlers/whatsapp_answers.py", "whatsapp"),
    ("handlers/*.py", "messages"),  # the dialogue
    ("bot/channels/sms*.py", "sms"),
    ("bot/channels/whatsapp*.py", "whatsapp"),
    ("bot/workers/apology.py", "sms"),  # the apology after a failed turn (sent like SMS)
    ("bot/channels/telegram*.py", "telegram"),
    ("bot/outreach/*.py", "outreach"),
    ("bot/web/outreach.py", "outreach"),
    ("bot/web/templates/outreach_*.html", "outreach"),
    ("bot/web/*", "web"),  # staff console: Python and templates
    ("bot/handoff.py", "web"),
    ("bot/local_time.py", "messages"),  # day names the dialogue and the handoff share
)

# Functions whose string arguments are msgids: name -> argument positions
# (None: the first). ``translator.gettext(locale, msgid)`` has the msgid second;
# ``N_`` marks a msgid translated later.
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None, "N_": None, "n_": (1, 2), "gettext": (2,), "ngettext": (2, 3),
}
COMMENT_TAGS = ("TRANSLATORS:",)
PO_WIDTH = 100
HEADER = ("# casecheck: {what}.\n# This file is distributed under the same license as the "
          "casecheck project.\n# {how}")
# Header lines that change on every run or Babel release, not with the catalog.
_DATE_LINE = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date|Generated-By): .*"$', re.M)


def domain_of(path: str) -> str | None:
    """The catalog domain of a source file (a path relative to the project root)."""
    for pattern, domain in DOMAINS:
        if fnmatch(path, pattern):
            return domain
    return None


def _method(rel: str) -> str | None:
    if rel.endswith(".py"):
        return "python"
    if rel.endswith(".html") and "/templates/" in rel:
        return "jinja2"
    return None


def new_catalog(domain: str, locale: str | None = None) -> Catalog:
    what = f"texts of the {domain!r} catalog" + (f" in {locale}" if locale else " (template)")
    how = ("Regenerate with: casecheck i18n extract" if locale is None
           else "Update with: casecheck i18n update; translate every empty or fuzzy entry.")
    catalog = Catalog(locale=locale, domain=domain, project="casecheck", version="0.1",
                      header_comment=HEADER.format(what=what, how=how),
                      msgid_bugs_address="maintainers@example.org",
                      copyright_holder="casecheck contributors",
                      last_translator="casecheck contributors",
                      language_team=f"{locale} <maintainers@example.org>" if locale else None,
                      charset="UTF-8", fuzzy=False)
    if locale:
        catalog.mime_headers = [("Plural-Forms", plural_forms(locale))]
    return catalog


@dataclass
class Extraction:
    templates: dict[str, Catalog] = field(default_factory=dict)  # domain -> template
    unmapped: list[str] = field(default_factory=list)  # files with msgids but no domain


def extract_source(root: Path = SOURCE_ROOT) -> Extraction:
    """Every msgid in the code and templates, sorted into domains by ``DOMAINS``."""
    out = Extraction()
    for sub in SOURCE_DIRS:
        for path in sorted((root / sub).rglob("*")):
            rel = path.relative_to(root).as_posix()
            method = _method(rel)
            if method is None or "__pycache__" in rel:
                continue
            found = extract_from_file(method, path, keywords=KEYWORDS, comment_tags=COMMENT_TAGS,
                                      strip_comment_tags=True)
            if not found:
                continue
            domain = domain_of(rel)
            if domain is None:
                out.unmapped.append(rel)
                continue
            template = out.templates.setdefault(domain, new_catalog(domain))
            for lineno, message, comments, context in found:
                ids = message if isinstance(message, tuple) else (message,)
                flags = ["python-brace-format"] if any(placeholders(m) for m in ids) else []
                template.add(message, None, [(rel, lineno)], auto_comments=comments,
                             flags=flags, context=context)
    return out


def packs(root: Path | None = None) -> list[ContentPack]:
    """Every content pack under ``<locales>/packs``."""
    base = root / "packs" if root is not None else packs_dir()
    return [ContentPack.load(str(p.parent)) for p in sorted(base.glob("*/pack.toml"))]


def po_path(locale: str, domain: str, pack: ContentPack | None = None,
            root: Path | None = None) -> Path:
    base = pack.path if pack is not None else root or locales_dir()
    return base / locale / "LC_MESSAGES" / f"{domain}.po"


def locales_in(root: Path) -> list[str]:
    """Locales with UI catalogs under ``root`` (``en`` first)."""
    found = {p.parent.parent.name for p in root.glob("*/LC_MESSAGES/*.po")}
    return sorted(found, key=lambda loc: (loc != DEFAULT_LOCALE, loc))


def render(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=PO_WIDTH, include_lineno=False)
    return buf.getvalue()


def write_if_changed(path: Path, catalog: Catalog) -> bool:
    """Write unless only the header dates or Babel's version would change."""
    data = render(catalog)
    if path.is_file() and _DATE_LINE.sub(b"", path.read_bytes()) == _DATE_LINE.sub(b"", data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


# -- the commands --------------------------------------------------------------


def extract(root: Path | None = None) -> dict[Path, int]:
    """Write every template under ``root`` (the locales directory); returns {path: count}.

    Raises ValueError naming any source file with msgids but no domain.
    """
    root = root or locales_dir()
    found = extract_source()
    if found.unmapped:
        raise ValueError("no catalog domain for " + ", ".join(found.unmapped)
                         + ": add a row to DOMAINS in bot/i18n_tools.py")
    written: dict[Path, int] = {}
    for domain, template in sorted(found.templates.items()):
        path = root / f"{domain}.pot"
        write_if_changed(path, template)
        written[path] = len(template)
    for pack in packs(root):
        template = extract_catalog(pack)
        path = pack.path / "content.pot"
        write_if_changed(path, template)
        written[path] = len(template)
    return written


def templates(root: Path) -> list[tuple[str, ContentPack | None, Catalog]]:
    """(domain, pack, template) for every written ``.pot``."""
    out: list[tuple[str, ContentPack | None, Catalog]] = []
    for path in sorted(root.glob("*.pot")):
        out.append((path.stem, None, read_catalog(path)))
    for pack in packs(root):
        path = pack.path / "content.pot"
        if path.is_file():
            out.append((CONTENT_DOMAIN, pack, read_catalog(path)))
    return out




def update(locales: Iterable[str] | None = None, root: Path | None = None) -> list[Path]:
    """Merge the templates into each locale's catalogs (created when missing)."""
    root = root or locales_dir()
    changed: list[Path] = []
    for loc in locales or locales_in(root):
        for domain, pack, template in templates(root):
            path = po_path(loc, domain, pack, root)
            if path.is_file():
                catalog = read_catalog(path, loc)
                catalog.charset = "UTF-8"
                if plural_problem(path, loc):  # before update: plural entries get re-checked
                    catalog.mime_headers = [("Plural-Forms", plural_forms(loc))]
                catalog.update(template)
            else:
                catalog = new_catalog(domain, loc)
                catalog.update(template)
            if write_if_changed(path, catalog):
                changed.append(path)
    return changed


def init(locale: str, root: Path | None = None) -> list[Path]:
    """Start a new locale: every domain's catalog, empty, with CLDR plural forms."""
    root = root or locales_dir()
    try:
        loc = str(Locale.parse(locale))
    except (ValueError, UnknownLocaleError) as exc:
        raise ValueError(f"{locale!r} is not a locale Babel knows: {exc}") from exc
    if loc != locale:
        raise ValueError(f"write the locale as {loc!r}")
    paths = [po_path(locale, d, p, root) for d, p, _ in templates(root)]
    if not paths:
        raise ValueError("no templates: run 'casecheck i18n extract' first")
    existing = [path for path in paths if path.exists()]
    if existing:
        raise ValueError(f"{existing[0]} exists: use 'casecheck i18n update'")
    return update([locale], root)


# -- checking ------------------------------------------------------------------

KINDS = ("no-file", "missing", "empty", "fuzzy", "placeholder", "plural-forms", "load")


@dataclass(frozen=True)
class Problem:
    locale: str
    domain: str
    kind: str  # one of KINDS
    msgid: str = ""
    detail: str = ""

    def __str__(self) -> str:
        where = f"{self.locale}/{self.domain}: {self.kind}"
        what = f" {self.msgid!r}" if self.msgid else ""
        return where + what + (f" ({self.detail})" if self.detail else "")


@dataclass
class Tally:
    """One locale's catalog for one domain."""

    locale: str
    domain: str
    expected: int = 0
    translated: int = 0
    same_as_english: int = 0  # a warning, not a problem ("OK", "CORI" stay as they are)
    unused: int = 0  # in the .po but no longer in the source
    problems: list[Problem] = field(default_factory=list)


def forms_of(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """A msgid or msgstr as a tuple of its forms (one unless plural)."""
    return (value,) if isinstance(value, str) else tuple(value or ())


def placeholders(text: str) -> set[str] | None:
    """The ``{names}`` of a str.format text; None when its braces are broken."""
    try:
        return {name.split(".")[0].split("[")[0]
                for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return None


def expected_msgids(domain: str, pack: ContentPack | None,
                    source: Extraction) -> dict[str, Message]:
    """What a domain must translate: its msgids in the source, plus those in ``en``."""
    out: dict[str, Message] = {}
    template = extract_catalog(pack) if pack is not None else source.templates.get(domain)
    if template is not None:
        out.update({forms_of(m.id)[0]: m for m in template if m.id})
    en = po_path(DEFAULT_LOCALE, domain, pack)
    if en.is_file():
        for m in read_catalog(en, DEFAULT_LOCALE):
            key = forms_of(m.id)[0] if m.id else ""
            if m.id and key not in out:
                out[key] = m
    return out


def header_fields(path: Path) -> dict[str, str]:
    """The header entry's fields as written in the file (Babel fills in missing ones)."""
    parts: list[str] = []
    started = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith('msgstr ""'):
            started = True
        elif started and line.startswith('"'):
            parts.append(unescape(line))
        elif started:
            break
    fields = {}
    for item in "".join(parts).split("\n"):
        key, sep, value = item.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip()
    return fields


def plural_problem(path: Path, locale: str) -> str | None:
    """Why the Plural-Forms header disagrees with CLDR for whole numbers, or None."""
    written = header_fields(path).get("plural-forms")
    if not written:
        return "no Plural-Forms header"
    want = plural_forms(locale)
    nplurals = re.search(r"nplurals\s*=\s*(\d+)", written)
    expr = re.search(r"plural\s*=\s*(.+?);?\s*$", written)
    want_n = want.split(";")[0].split("=")[1]
    if not nplurals or not expr or nplurals.group(1) != want_n:
        return f"nplurals must be {want_n} (CLDR): {want}"
    try:
        got, ref = gettext.c2py(expr.group(1)), gettext.c2py(want.split("plural=", 1)[1][:-1])
    except (ValueError, SyntaxError) as exc:
        return f"bad plural expression: {exc}"
    for n in [*range(0, 1001), 1_000_000, 2_000_000, 1_000_001]:
        if got(n) != ref(n):
            return f"form {got(n)} for n={n}, CLDR says {ref(n)}: {want}"
    return None


def check_entry(tally: Tally, locale: str, want: Message, got: Message | None) -> None:
    key = forms_of(want.id)[0]

    def problem(kind: str, detail: str = "") -> None:
        tally.problems.append(Problem(locale, tally.domain, kind, key, detail))

    if got is None:
        return problem("missing")
    if got.fuzzy:
        return problem("fuzzy")
    ids, forms = forms_of(got.id), forms_of(got.string)
    if locale == DEFAULT_LOCALE and not any(forms):
        tally.translated += 1  # English: the msgid is the text
        return None
    if not all(forms):
        return problem("empty")
    allowed: set[str] = set()
    for text in ids:
        allowed |= placeholders(text) or set()
    for i, text in enumerate(forms):
        used = placeholders(text)
        needed = allowed if i == len(forms) - 1 or len(ids) == 1 else allowed - {"n"}
        if used is None:
            return problem("placeholder", f"broken braces in {text!r}")
        if used - allowed or needed - used:
            wrong = sorted(used - allowed) or sorted(needed - used)
            return problem("placeholder", f"{{{wrong[0]}}} in {text!r}")
    tally.translated += 1
    if locale != DEFAULT_LOCALE and forms == ids[:len(forms)]:
        tally.same_as_english += 1
    return None


def label(domain: str, pack: ContentPack | None) -> str:
    """How reports name a catalog: the domain, or ``content:<pack>``."""
    return domain if pack is None else f"{domain}:{pack.path.name}"


def check_catalog(locale: str, domain: str, pack: ContentPack | None,
                  expected: dict[str, Message]) -> Tally:
    name = label(domain, pack)
    tally = Tally(locale, name, expected=len(expected))
    path = po_path(locale, domain, pack)
    if not path.is_file():
        tally.problems.append(Problem(locale, name, "no-file", detail=str(path)))
        return tally
    try:
        catalog = read_catalog(path, locale)
    except Exception as exc:  # a broken file: say where, keep checking the rest
        tally.problems.append(Problem(locale, name, "load", detail=f"{path}: {exc}"))
        return tally
    why = plural_problem(path, locale)
    if why:
        tally.problems.append(Problem(locale, name, "plural-forms", detail=why))
    present = {forms_of(m.id)[0]: m for m in catalog if m.id}
    for key, want in expected.items():
        check_entry(tally, locale, want, present.get(key))
    tally.unused = len(set(present) - set(expected))
    return tally


def check_loading(locale: str, domains: list[str], pack: ContentPack | None) -> list[Problem]:
    """Each translation comes back through ``Translator`` (not English by silent fallback)."""
    extra = [(pack.path, CONTENT_DOMAIN)] if pack is not None else []
    try:
        translator = Translator([locale], extra_dirs=extra)
    except Exception as exc:
        return [Problem(locale, "*", "load", detail=str(exc))]
    problems = []
    for domain in domains:
        path = po_path(locale, domain, pack)
        if not path.is_file() or locale == DEFAULT_LOCALE:
            continue
        for m in read_catalog(path, locale):
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy:
                got = translator.catalog(locale).gettext(m.id)
                if got != m.string:
                    problems.append(Problem(locale, label(domain, pack), "load", m.id,
                                            f"Translator gives {got!r}"))
    return problems


def check(locales: Iterable[str] | None = None) -> list[Tally]:
    """One tally per (locale, domain): every UI domain of ``en`` and every pack's content."""
    locales = list(locales or shipped_locales())
    source = extract_source()
    en_dir = locales_dir() / DEFAULT_LOCALE / "LC_MESSAGES"
    domains = sorted({p.stem for p in en_dir.glob("*.po")} | set(source.templates))
    groups: list[tuple[ContentPack | None, list[str]]] = [(None, domains)]
    groups += [(pack, [CONTENT_DOMAIN]) for pack in packs()]
    tallies: list[Tally] = []
    for pack, names in groups:
        expected = {d: expected_msgids(d, pack, source) for d in names}
        for loc in locales:
            mine = [check_catalog(loc, d, pack, expected[d]) for d in names]
            by_label = {t.domain: t for t in mine}
            for problem in check_loading(loc, names, pack):
                by_label.get(problem.domain, mine[0]).problems.append(problem)
            tallies += mine
    for rel in source.unmapped:
        tallies.append(Tally("*", "*", problems=[Problem("*", "*", "no-file", rel,
                                                         "no domain in DOMAINS")]))
    return tallies


# -- SMS cost ------------------------------------------------------------------

# Source files whose texts never go out by SMS (staff console, Telegram-only).
NOT_SMS = ("bot/web/*", "bot/channels/telegram*")
FILLER = "X" * 12  # stands for a placeholder the report cannot know


@dataclass(frozen=True)
class SmsRow:
    locale: str
    domain: str
    msgid: str
    chars: int
    encoding: str  # GSM-7 or UCS-2
    segments: int
    over: bool
    untranslated: bool


def _sms_facing(message: Message) -> bool:
    return any(not any(fnmatch(path, p) for p in NOT_SMS) for path, _ in message.locations)


def sms_rows(config: Config, locales: Iterable[str] | None = None) -> list[SmsRow]:
    """Every SMS-facing UI message and content-pack text, per locale, as the segments it costs.

    Placeholders are filled with the configured organisation, the pack's
    contact names and n=12; others with 12 characters.
    """
    from .channels import sms_render

    locales = list(locales or shipped_locales())
    pack = ContentPack.load(config.content.pack)
    translator = Translator(locales, extra_dirs=[(pack.path, CONTENT_DOMAIN)])
    pack.translator = translator
    org = config.organization
    texts: list[tuple[str, tuple[str, ...]]] = []  # (domain, (msgid,) or (singular, plural))
    for domain, template in sorted(extract_source().templates.items()):
        texts += [(domain, forms_of(m.id)) for m in template if m.id and _sms_facing(m)]
    texts += [(label(CONTENT_DOMAIN, pack), (source,)) for source in pack.sources()]
    rows = []
    for loc in locales:
        values = {"org": org.name, "phone": org.phone, "website": org.website, "n": "12"}
        values |= {key: pack.text(loc, "contacts", key, "name") for key in pack.contacts()}
        for domain, msgid in texts:
            if len(msgid) == 2:
                text = translator.catalog(loc).ngettext(msgid[0], msgid[1], 12)
            else:
                text = translator.catalog(loc).gettext(msgid[0])
            english = msgid[-1]
            filled = sms_render.plain(_fill(text, values))
            count = sms_render.segments(filled)
            rows.append(SmsRow(
                loc, domain, english, len(filled),
                "GSM-7" if sms_render.is_gsm7(filled) else "UCS-2", count,
                count > config.sms.max_segments, loc != DEFAULT_LOCALE and text == english))
    return rows


def _fill(text: str, values: dict[str, str]) -> str:
    names = placeholders(text)
    if not names:
        return text
    return text.format_map({name: values.get(name, FILLER) for name in names})
