"""Import the case registry from a CSV file.

Rows are parsed and checked by a generator that feeds one upsert inside one
transaction; the generator runs in the database's worker thread, so the event
loop keeps running. When the whole file has been read, rows that contradict
each other (one docket number and court with different data, one notice code
for two cases) are looked for; if any row is invalid the transaction is rolled
back and nothing is imported, unless ``skip_invalid`` is set, in which case the
valid rows are imported. Reports name lines and columns, never the values
(they are personal data).
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
from collections.abc import Callable, Iterator, Sequence, Set
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
BYTES_PER_ROW = 100  # to estimate the rows of a file from its size
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
        self._last_line = 1
        self.rows = 0
        self.problems: list[Problem] = []
        self.written = 0
        # Hashes of every (docket, court) and notice code seen: a repeat makes a suspect,
        # checked exactly in SQL. Ints keep this small for a million rows.
        self._seen_keys: set[int] = set()
        self._seen_codes: set[int] = set()
        self.suspect_keys: set[tuple[str, str]] = set()
        self.suspect_codes: set[str] = set()

    def open(self) -> None:
        """Open the file and read the header; FileProblem if it cannot be used."""
        if not self.path.is_file():
            raise FileProblem(f"no such file: {self.path}")
        self._fh = self.path.open("rb")
        text = io.TextIOWrapper(self._fh, encoding="utf-8-sig", newline="")
        self._reader = csv.reader(text)
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
            raise FileProblem(f"line {self._reader.line_num}: not valid CSV ({exc})") from None

    def checked(self, exclude: Set[int] = frozenset()) -> Iterator[tuple[int, tuple[str, ...]]]:
        """``(line, row)`` for each valid row (``CASE_COLUMNS`` values) not excluded.

        Problems collect in ``self.problems``; keys and notice codes seen twice
        collect in ``suspect_keys`` / ``suspect_codes``.
        """
        seen_keys, seen_codes = self._seen_keys, self._seen_codes
        while (record := self._next_record()) is not None:
            line, self._last_line = self._last_line + 1, self._reader.line_num
            if not any(record):
                continue
            self.rows += 1
            if line in exclude:
                continue
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

    def to_import(self, skip_invalid: bool, exclude: Set[int]) -> Iterator[tuple[str, ...]]:
        """Rows to write; after a problem, only with ``skip_invalid`` (else all is undone)."""
        for _line, row in self.checked(exclude):
            if skip_invalid or not self.problems:
                self.written += 1
                yield row

    def _row(self, record: list[str]) -> tuple[str, ...]:
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


class _Rejected(Exception):
    """Raised inside the import transaction to roll it back."""


@dataclass
class _Retry(Exception):
    """Contradicting rows found with skip_invalid: undo, and import again without them."""
    lines: set[int]
    problems: list[Problem]


def find_conflicts(path: Path, today: dt.date, exclude: Set[int],
                   keys: Set[tuple[str, str]], codes: Set[str]) -> tuple[list[Problem], int]:
    """Second reading of the file (only when the first found suspects): the problems of
    contradicting rows, and how many rows merely repeat an earlier identical one."""
    parser = CsvRows(path, today)
    parser.open()
    by_key: dict[tuple[str, str], list[tuple[int, str]]] = {}
    by_code: dict[str, dict[tuple[str, str], int]] = {}
    try:
        for line, row in parser.checked(exclude):
            key = (row[0], row[2])
            if key in keys:
                by_key.setdefault(key, []).append((line, row[14]))
            if row[13] in codes:
                by_code.setdefault(row[13], {}).setdefault(key, line)
    finally:
        parser.close()
    problems: list[Problem] = []
    repeats = 0
    for group in by_key.values():
        if len({digest for _line, digest in group}) > 1:
            problems += _group([line for line, _digest in group], "docket")
        else:
            repeats += len(group) - 1
    for lines_by_key in by_code.values():
        lines = sorted(lines_by_key.values())
        problems += _group(lines, "notice" if len(lines) > 1 else "notice_stored")
    return problems, repeats


def _group(lines: list[int], kind: str) -> list[Problem]:
    return [Problem(line, _CONFLICTS[kind].format(
        others=", ".join(str(n) for n in lines if n != line))) for line in lines]


async def import_csv(db: Database, path: str | Path, *, now: dt.datetime,
                     skip_invalid: bool = False) -> ImportReport:
    """Check the whole file and import it: all of it, or with ``skip_invalid`` the valid rows."""
    stamp = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    exclude: set[int] = set()
    carried: list[Problem] = []
    await store.set_cache_kib(db, IMPORT_CACHE_KIB)
    try:
        existing = await store.count(db)
        size = await asyncio.to_thread(lambda: Path(path).stat().st_size if Path(path).is_file()
                                       else 0)
        bulk = size // BYTES_PER_ROW > max(REBUILD_INDEXES_FROM, existing)
        while True:
            report = ImportReport()
            parser = CsvRows(path, now.date())
            try:
                await asyncio.to_thread(parser.open)
                await _attempt(db, parser, report, stamp, skip_invalid, exclude, bulk)
            except _Retry as retry:
                exclude |= retry.lines
                carried += retry.problems
                continue
            except FileProblem as exc:
                report.file_error = str(exc)
            finally:
                await asyncio.to_thread(parser.close)
                report.rows = parser.rows
            report.problems = sorted(report.problems + carried, key=lambda p: p.line)
            if not report.imported:
                await _audit(db, stamp, "rejected", report)
            return report
    finally:
        await store.set_cache_kib(db, 2_000)


async def _attempt(db: Database, parser: CsvRows, report: ImportReport, stamp: str,
                   skip_invalid: bool, exclude: set[int], bulk: bool) -> None:
    """One pass: write in a transaction, keep it only if the file is fit to import."""
    try:
        async with db.transaction() as conn:
            before = await store.count(conn)
            changed = await store.upsert_rows(conn, parser.to_import(skip_invalid, exclude),
                                              stamp, rebuild_indexes=bulk)
            report.problems = list(parser.problems)
            if parser.rows == 0:
                raise FileProblem("the file has a header but no data rows")
            shared = await store.shared_notice_codes(conn)
            repeats = 0
            if parser.suspect_keys or shared:
                conflicts, repeats = await asyncio.to_thread(
                    find_conflicts, parser.path, dt.date.fromisoformat(parser.today), exclude,
                    parser.suspect_keys, shared)
                if conflicts and skip_invalid:
                    raise _Retry({p.line for p in conflicts}, conflicts)
                report.problems += conflicts
            if report.problems and not skip_invalid:
                raise _Rejected
            report.inserted = await store.count(conn) - before
            report.updated = changed - report.inserted
            report.unchanged = parser.written - repeats - changed
            report.imported = True
            await audit.record(conn, stamp, "cli", "import", "imported",
                               detail=_detail(report))
    except _Rejected:
        pass


async def _audit(db: Database, stamp: str, outcome: str, report: ImportReport) -> None:
    async with db.transaction() as conn:
        await audit.record(conn, stamp, "cli", "import", outcome, detail=_detail(report))


def _detail(report: ImportReport) -> str:
    return json.dumps({"rows": report.rows, "inserted": report.inserted,
                       "updated": report.updated, "unchanged": report.unchanged,
                       "invalid": report.invalid_lines})
