"""A language reviewed in a spreadsheet: ``casecheck i18n review-export / review-import``.

A volunteer translator gets one CSV file per language: every text with its
English source, the current translation, what it costs by SMS, the glossary
terms it must use and every rule it breaks (bot/text_rules.py). They edit the
``translation`` column in any spreadsheet program and send the file back;
``review-import`` checks every changed row against the same rules and writes
the catalogs only if all of them pass, so a reviewed file never ships a text
that names a drug, breaks a budget or loses a placeholder.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from . import i18n_tools
from .i18n import DEFAULT_LOCALE
from .text_rules import Rules, Text

COLUMNS = ("domain", "key", "form", "english", "translation", "segments", "budget",
           "glossary", "problems")
MAX_FILE = 5_000_000  # bytes: a whole language is well under 1 MB


class ReviewError(ValueError):
    """The reviewed file cannot be imported; nothing was written."""


@dataclass
class Entry:
    """One translatable form: where it lives in its catalog."""

    text: Text
    form: int  # 0, or the plural form's index
    english: str
    translation: str
    path: Path
    catalog: Catalog
    message: Message


def _po(path: Path, locale: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def entries(rules: Rules, locale: str, root: Path | None = None) -> list[Entry]:
    """Every text a person can read in ``locale``, one entry per plural form.

    ``root``: where the UI catalogs live (default: the shipped ``locales/``); the
    pack's own catalogs are under ``rules.pack.path``."""
    catalogs: dict[Path, Catalog] = {}
    out: list[Entry] = []
    for text in rules.texts():
        if text.domain == "content":
            path = i18n_tools.po_path(locale, "content", pack=rules.pack)
        else:
            path = i18n_tools.po_path(locale, text.domain, root=root)
        if not path.is_file():
            continue
        catalog = catalogs.setdefault(path, _po(path, locale))
        message = _find(catalog, text)
        if message is None:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        forms = ([message.string] if isinstance(message.string, str)
                 else list(message.string or ()))
        for i, form in enumerate(forms):
            english = ids[min(i, len(ids) - 1)]
            out.append(Entry(text, i, english, form or "", path, catalog, message))
    return out


def _find(catalog: Catalog, text: Text) -> Message | None:
    if text.domain != "content":
        return catalog.get(text.source) or next(
            (m for m in catalog if isinstance(m.id, tuple) and m.id[0] == text.source), None)
    return next((m for m in catalog if text.key in m.auto_comments), None)


def _row(rules: Rules, locale: str, entry: Entry) -> dict[str, str]:
    text = entry.text
    translation = entry.translation
    # English catalogs leave msgstr empty: the English text is what is sent.
    checked = translation or (entry.english if locale == DEFAULT_LOCALE else "")
    sent = rules.as_sent(locale, text, checked or entry.english)
    problems = rules.problems(locale, text, checked)
    if entry.message.fuzzy:
        problems = ["fuzzy: the English text changed, check the translation", *problems]
    return {"domain": text.domain, "key": text.key, "form": str(entry.form),
            "english": entry.english, "translation": translation,
            "segments": str(rules.segments(locale, text, translation or entry.english)),
            "budget": str(rules.budget(text, sent)),
            "glossary": "; ".join(rules.terms(locale, text)),
            "problems": "; ".join(problems)}


def export_csv(rules: Rules, locale: str, path: Path,
               root: Path | None = None) -> tuple[int, int]:
    """Write the review file; returns (rows, rows breaking a rule)."""
    rows = [_row(rules, locale, e) for e in entries(rules, locale, root)]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel reads UTF-8
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows), sum(1 for r in rows if r["problems"])


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a reviewed file; ReviewError if it is not one."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReviewError(f"cannot read {path}: {exc.strerror}") from exc
    if len(raw) > MAX_FILE:
        raise ReviewError(f"{path} is too large ({len(raw)} bytes) for a review file")
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReviewError(f"{path} is not UTF-8 text (save it as 'CSV UTF-8')") from exc
    reader = csv.DictReader(io.StringIO(content))
    missing = {"domain", "key", "form", "translation"} - set(reader.fieldnames or ())
    if missing:
        raise ReviewError(f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                          "export a fresh file with 'casecheck i18n review-export'")
    try:
        return list(reader)
    except csv.Error as exc:
        raise ReviewError(f"{path}: {exc}") from exc


def import_csv(rules: Rules, locale: str, path: Path, root: Path | None = None) -> list[Path]:
    """Write every changed translation of a reviewed file; return the catalogs written.

    Every changed row is checked first; one unknown row or broken rule raises
    ReviewError listing them all, and nothing is written.
    """
    rows = read_rows(path)
    known = {(e.text.domain, e.text.key, str(e.form)): e for e in entries(rules, locale, root)}
    problems: list[str] = []
    changes: list[tuple[Entry, str]] = []
    for line, row in enumerate(rows, start=2):
        entry = known.get((row.get("domain") or "", row.get("key") or "", row.get("form") or ""))
        if entry is None:
            problems.append(f"line {line}: no such text in {locale} "
                            f"({row.get('domain')!r}, {(row.get('key') or '')[:40]!r})")
            continue
        new = (row.get("translation") or "").strip()
        if new == entry.translation.strip() and not entry.message.fuzzy:
            continue
        broken = rules.problems(locale, entry.text, new)
        if broken:
            problems += [f"line {line} ({entry.text.key[:40]}): {p}" for p in broken]
            continue
        changes.append((entry, new))
    if problems:
        raise ReviewError(f"{len(problems)} problem(s), nothing imported:\n  "
                          + "\n  ".join(problems))
    written: dict[Path, Catalog] = {}
    for entry, new in changes:
        message = entry.message
        if isinstance(message.string, str):
            message.string = new
        else:
            forms = list(message.string or ())
            forms[entry.form] = new
            message.string = tuple(forms)
        message.flags.discard("fuzzy")
        message.previous_id = []
        written[entry.path] = entry.catalog
    return [p for p, catalog in written.items() if i18n_tools.write_if_changed(p, catalog)]
