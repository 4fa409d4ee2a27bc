"""Import the case registry from a CSV file.

The whole file is checked before anything changes. A generator parses and
checks the rows and feeds them to a temporary stage database; it runs in the
database's worker thread, so the event loop keeps running. The stage is then
checked as a whole (one docket number and court with different data, one
notice code for two cases). If any row is invalid nothing is imported, unless
``skip_invalid`` is set; then the valid rows are upserted into ``cases`` in one
transaction. Reports name lines and columns, never values (personal data).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import functools
import hashlib
import io
import json
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..storage import Database, audit
from ..storage import cases as store
from .normalize import hash_notice_code, name_key, normalize_docket, normalize_phone, parse_date

REQUIRED = ("docket_number", "last_name", "date_of_birth", "status")
OPTIONAL = ("court", "first_name", "lab", "status_date", "phone", "language", "notice_code")
_PICKED = ("docket_number", "court", "last_name", "first_name", "date_of_birth", "lab",
           "status", "status_date", "phone", "language", "notice_code")
STATUSES = ("dismissed", "pending", "not_dismissed", "under_review")
MAX_FIELD = 200
IMPORT_CACHE_KIB = 128_000  # page cache while importing; the default is 2,000
REBUILD_INDEXES_FROM = 100_000  # rows: a bulk load builds secondary indexes afterwards
_LANGUAGE = re.compile(r"[a-z]{2,3}(_[a-z0-9]{2,8})*", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


class FileProblem(Exception):
    """The file as a whole cannot be read (encoding, header, CSV syntax)."""


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    file_error: str | None = None
    imported: bool = False

    @property
    def invalid_lines(self) -> int:
        return len({p.line for p in self.problems})


@functools.lru_cache(maxsize=200_000)
def _key(raw: str) -> str:
    return name_key(raw)


@functools.lru_cache(maxsize=100_000)
def _iso(raw: str) -> str:
    return parse_date(raw).isoformat()


def _header_name(raw: str) -> str:
    return _SPACES.sub("_", raw.strip().lstrip("\ufeff").strip().lower()).replace("-", "_")


class CsvRows:
    """Reads a registry CSV in chunks of checked, normalised rows (blocking: run in a thread)."""

    def __init__(self, path: str | Path, today: dt.date) -> None:
        self.path = Path(path)
        self.today = today.isoformat()
        self._fh: BinaryIO | None = None
        self._reader: Any = None
        self._pick: Callable[[list[str]], tuple[str, ...]] = operator.itemgetter(0)
        self._pad = False
        self._width = 0
        self._last_line = 0
        self.rows = 0
        self.problems: list[Problem] = []
        self.staged = 0
        # Hashes of every (docket, court) and notice code seen: a repeat makes a suspect,
        # checked exactly in SQL. Ints keep this small for a million rows.
        self._seen_keys: set[int] = set()
        self._seen_codes: set[int] = set()
        self.suspect_keys: set[tuple[Any, Any]] = set()
        self.suspect_codes: set[Any] = set()

    def open(self) -> None:
        """Open the file and read the header; FileProblem if it cannot be used."""
        if not self.path.is_file():
            raise FileProblem(f"no such file: {self.path}")
        self._fh = self.path.open("rb")
        text = io.TextIOWrapper(self._fh, encoding="utf-8-sig", newline="")
        self._reader = csv.reader(text, strict=True)
        header = self._next_record()
        while header is not None and not any(cell.strip() for cell in header):
            header = self._next_record()
        if header is None:
            raise FileProblem("the file is empty")
        names = [_header_name(cell) for cell in header]
        known = set(REQUIRED + OPTIONAL)
        if not known & set(names):
            raise FileProblem(
                f"line {self._reader.line_num}: no header row; the first line must name the"
                f" columns (required: {', '.join(REQUIRED)})")
        for name in known & set(names):
            if names.count(name) > 1:
                raise FileProblem(f"the header names the column {name} twice")
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            raise FileProblem(f"missing required column(s): {', '.join(missing)}")
        self._width = len(names)
        # A missing optional column reads the empty cell appended after the last one.
        index = [names.index(name) if name in names else self._width for name in _PICKED]
        self._pick = operator.itemgetter(*index)
        self._pad = self._width in index
        self._last_line = self._reader.line_num

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def _next_record(self) -> list[str] | None:
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except UnicodeDecodeError:
            raise FileProblem(_encoding_message(self.path)) from None
        except csv.Error as exc:
            raise FileProblem(f"line {self._last_line + 1}: not valid CSV ({exc}); check the"
                              " quotes on this line") from None

    def checked(self) -> Iterator[tuple[int, tuple[str | None, ...]]]:
        """``(line, row)`` for each valid row (the values of the case columns).

        Problems collect in ``self.problems``; keys and notice codes seen twice
        collect in ``suspect_keys`` / ``suspect_codes``.
        """
        seen_keys, seen_codes = self._seen_keys, self._seen_codes
        while (record := self._next_record()) is not None:
            line, self._last_line = self._last_line + 1, self._reader.line_num
            if not any(record):
                continue
            self.rows += 1
            try:
                row = self._row(record)
            except ValueError as exc:
                self.problems.append(Problem(line, str(exc)))
                continue
            key = hash((row[0], row[2]))
            if key in seen_keys:
                self.suspect_keys.add((row[0], row[2]))
            else:
                seen_keys.add(key)
            if row[13] is not None:
                code = hash(row[13])
                if code in seen_codes:
                    self.suspect_codes.add(row[13])
                else:
                    seen_codes.add(code)
            yield line, row

    def to_stage(self, skip_invalid: bool) -> Iterator[tuple[Any, ...]]:
        """``(line, *row)`` to stage; after a problem, only with ``skip_invalid``."""
        for line, row in self.checked():
            if skip_invalid or not self.problems:
                self.staged += 1
                yield (line, *row)

    def _row(self, record: list[str]) -> tuple[str | None, ...]:
        """One checked, normalised row; ValueError lists every problem (column names only)."""
        if len(record) != self._width:
            raise ValueError(f"has {len(record)} fields but the header has {self._width}")
        if self._pad:
            record.append("")
        values = [v.strip() for v in self._pick(record)]
        errors: list[str] = []
        if max(map(len, values)) > MAX_FIELD or _CONTROL.search("".join(values)):
            errors += _cell_problems(values)
        (display, court, last_name, first_name, dob_raw, lab, status, status_raw, phone_raw,
         language_raw, code) = values
        docket = normalize_docket(display)
        if not docket:
            errors.append("docket_number: missing" if not display else
                          "docket_number: has no letters or digits")
        last_key = _key(last_name)
        if not last_key:
            errors.append("last_name: missing")
        dob = _date(dob_raw, "date_of_birth", errors, required=True)
        if dob and dob > self.today:
            errors.append("date_of_birth: is in the future")
        status = status.lower()
        if status not in _STATUS_SET:
            errors.append("status: missing" if not status else
                          f"status: must be one of {', '.join(STATUSES)}")
        status_date = _date(status_raw, "status_date", errors, required=False)
        phone = _phone(phone_raw, errors) if phone_raw else ""
        language = _language(language_raw) if language_raw else ""
        if language is None:
            errors.append("language: must be a language code such as en or es")
            language = ""
        notice = ""
        if code:
            if normalize_docket(code):
                notice = hash_notice_code(code)
            else:
                errors.append("notice_code: has no letters or digits")
        if errors:
            raise ValueError("; ".join(errors))
        normal = [docket, display, _clean(court), last_name, last_key, first_name,
                  _key(first_name), dob, _clean(lab), status, status_date, phone, language,
                  notice]
        digest = hashlib.blake2b("\x1f".join(normal).encode(), digest_size=16).hexdigest()
        return (*normal[:10], status_date or None, phone or None, language or None,
                notice or None, digest)


_STATUS_SET = frozenset(STATUSES)


def _cell_problems(values: Sequence[str]) -> list[str]:
    problems = []
    for name, value in zip(_PICKED, values, strict=True):
        if len(value) > MAX_FIELD:
            problems.append(f"{name}: longer than {MAX_FIELD} characters")
        elif _CONTROL.search(value):
            problems.append(f"{name}: contains control characters")
    return problems


@functools.lru_cache(maxsize=10_000)
def _clean(raw: str) -> str:
    """Court and lab names: single spaces."""
    return _SPACES.sub(" ", raw)


@functools.lru_cache(maxsize=1_000)
def _language(raw: str) -> str | None:
    tag = raw.lower().replace("-", "_")
    return tag if _LANGUAGE.fullmatch(tag) else None


def _date(raw: str, name: str, errors: list[str], *, required: bool) -> str:
    if not raw:
        if required:
            errors.append(f"{name}: missing")
        return ""
    try:
        return _iso(raw)
    except ValueError as exc:
        errors.append(f"{name}: {exc}")
        return ""


def _phone(raw: str, errors: list[str]) -> str:
    try:
        return normalize_phone(raw)
    except ValueError as exc:
        errors.append(f"phone: {exc}")
        return ""


def _encoding_message(path: Path) -> str:
    """Name the first line that is not UTF-8 (reads the file again; error path only)."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return (f"line {number}: the file is not UTF-8 text (byte 0x{raw[exc.start]:02X}"
                        " cannot be read); save it as CSV UTF-8 and import it again")
    return "the file is not UTF-8 text; save it as CSV UTF-8 and import it again"


_CONFLICTS = {
    "docket": "docket_number: same docket number and court as line {others}, with different data",
    "notice": "notice_code: the same notice code is given to another case on line {others}",
    "notice_stored": "notice_code: the same notice code already belongs to another case",
}


def _conflict_problems(groups: Sequence[tuple[list[int], str]]) -> list[Problem]:
    problems = []
    for lines, kind in groups:
        for line in lines:
            others = ", ".join(str(n) for n in lines if n != line)
            problems.append(Problem(line, _CONFLICTS[kind].format(others=others)))
    return problems


async def import_csv(db: Database, path: str | Path, *, now: dt.datetime,
                     skip_invalid: bool = False) -> ImportReport:
    """Check the whole file, then import it (all or, with ``skip_invalid``, the valid rows)."""
    report = ImportReport()
    parser = CsvRows(path, now.date())
    stamp = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    try:
        await asyncio.to_thread(parser.open)
        existing = await store.count(db)
        await store.set_cache_kib(db, IMPORT_CACHE_KIB)
        await store.stage_begin(db)
        async with db.transaction() as conn:
            await store.stage_rows(conn, parser.to_stage(skip_invalid))
        report.rows = parser.rows
        if not report.rows:
            raise FileProblem("the file has a header but no data rows")
        conflicts, repeats = await store.staged_conflicts(
            db, parser.suspect_keys, parser.suspect_codes, check_stored=existing > 0)
        report.problems = sorted(parser.problems + _conflict_problems(conflicts),
                                 key=lambda p: p.line)
        if report.problems and not skip_invalid:
            await _audit(db, stamp, "rejected", report)
            return report
        conflicting = {line for lines, _kind in conflicts for line in lines}
        if conflicting:
            async with db.transaction() as conn:
                await store.unstage_lines(conn, conflicting)
        keys = parser.staged - len(conflicting) - repeats
        async with db.transaction() as conn:
            report.inserted, report.updated = await store.upsert_staged(
                conn, stamp, rebuild_indexes=keys > max(REBUILD_INDEXES_FROM, existing))
            report.unchanged = keys - report.inserted - report.updated
            report.imported = True
            await audit.record(conn, stamp, "cli", "import", "imported", detail=_detail(report))
        return report
    except FileProblem as exc:
        report.file_error = str(exc)
        report.rows = parser.rows
        await _audit(db, stamp, "rejected", report)
        return report
    finally:
        await asyncio.to_thread(parser.close)
        await store.stage_end(db)
        await store.set_cache_kib(db, 2_000)


async def _audit(db: Database, stamp: str, outcome: str, report: ImportReport) -> None:
    async with db.transaction() as conn:
        await audit.record(conn, stamp, "cli", "import", outcome, detail=_detail(report))


def _detail(report: ImportReport) -> str:
    return json.dumps({"rows": report.rows, "inserted": report.inserted,
                       "updated": report.updated, "unchanged": report.unchanged,
                       "invalid": report.invalid_lines})
