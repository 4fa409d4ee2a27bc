"""Import the case registry from a CSV file.

The whole file is checked before anything changes. A generator parses and
checks the rows in chunks and feeds them to the database; it runs in the
database's worker thread, so the event loop keeps running. A large file is parsed
by processes of their own (``parse_in_process``), each checking its share of the
chunks while the database thread loads the ones before: parsing and loading run on
all cores. Into a registry that has cases the rows go to a temporary stage, checked
as a whole (one docket number and court with different data, one notice code for
two cases); if any row is invalid nothing is imported, unless ``skip_invalid`` is
set; then the valid rows are upserted into ``cases`` in one transaction. Into an
empty registry the rows skip the stage: they go straight into ``cases`` in one
transaction, are checked there and the whole load rolls back on a problem
(``_load_into_empty``). Problems name the line, the column and the bad value (shown
to the operator importing their own file; the audit trail keeps counts only).

The delimiter (comma, semicolon or tab) is read from the header line; the day/month
order of the file's dates is declared or detected from the whole file (see
``bot.registry.dates``). Cases of the database that the file does not list are
counted, and deleted only with ``replace``.
"""

from __future__ import annotations

import asyncio
import collections
import csv
import datetime as dt
import functools
import io
import itertools
import json
import marshal
import multiprocessing
import operator
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from ..storage import Database, audit
from ..storage import cases as store
from . import dates
from .normalize import (
    hash_normal_notice,
    name_key,
    normalize_docket,
    normalize_phone,
)

REQUIRED = ("docket_number", "last_name", "date_of_birth", "status")
OPTIONAL = ("court", "first_name", "lab", "status_date", "phone", "language", "notice_code",
            "person_id")
_PICKED = ("docket_number", "court", "last_name", "first_name", "date_of_birth", "lab",
           "status", "status_date", "phone", "language", "notice_code", "person_id")
STATUSES = ("dismissed", "pending", "not_dismissed", "under_review")
MAX_FIELD = 200
IMPORT_CACHE_KIB = 128_000  # page cache while importing (sqlite_engine.CACHE_KIB at rest)
REBUILD_INDEXES_FROM = 100_000  # rows: a bulk load builds secondary indexes afterwards
_LANGUAGE = re.compile(r"[a-z]{2,3}(_[a-z0-9]{2,8})*", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_STATUS_SEPARATORS = re.compile(r"[\s_-]+")
DELIMITERS = (",", ";", "\t")
SHOWN = 40  # characters of a bad value shown in a problem
# From this size (about 75,000 rows) a file is parsed in processes of their own: starting
# one costs about 0.2 s of CPU; parsing then overlaps loading (about 5 us a row each).
PARSE_IN_PROCESS_FROM = 8_000_000  # bytes
# Parsing processes: each reads the whole file (1 us a row) and checks its share of the
# chunks (7 us a row); the importing process loads them (7 us a row), so on two cores
# one process beside it is fastest.
PARSE_PROCESSES = max(1, min(4, (os.cpu_count() or 1) - 1))
CHUNK_ROWS = 5_000  # records per chunk, the unit of a parsing process's share


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
    date_order: str = dates.DEFAULT_ORDER
    missing: int = 0  # cases in the database the file does not list
    removed: int = 0  # of those, deleted (``replace``)

    @property
    def invalid_lines(self) -> int:
        return len({p.line for p in self.problems})


@functools.lru_cache(maxsize=200_000)
def _key(raw: str) -> str:
    return name_key(raw)


@functools.lru_cache(maxsize=100_000)
def _iso_mdy(raw: str) -> str:
    return dates.parse(raw, "mdy").isoformat()


@functools.lru_cache(maxsize=100_000)
def _iso_dmy(raw: str) -> str:
    return dates.parse(raw, "dmy").isoformat()


_ISO_OF = {"mdy": _iso_mdy, "dmy": _iso_dmy}  # one cached parser per day/month order


def _iso(raw: str, order: str = dates.DEFAULT_ORDER) -> str:
    return _ISO_OF[order](raw)


@functools.lru_cache(maxsize=100_000)
def _hint(raw: str) -> str | None:
    return dates.order_hint(raw) if raw else None


@functools.lru_cache(maxsize=1_000)
def _status(raw: str) -> str:
    """'Under review', 'not-dismissed', 'NOT_DISMISSED' -> the stored status."""
    return _STATUS_SEPARATORS.sub("_", raw.strip().lower())


def _shown(value: str) -> str:
    """A bad value as the operator typed it, quoted and cut short."""
    text = value if len(value) <= SHOWN else value[:SHOWN] + "…"
    return '"' + text.replace('"', "'") + '"'


def _header_name(raw: str) -> str:
    return _SPACES.sub("_", raw.strip().lstrip("\ufeff").strip().lower()).replace("-", "_")


class Chunk(NamedTuple):
    """What a reader found in one run of ``CHUNK_ROWS`` records of the file."""
    rows: list[tuple[Any, ...]]  # the valid rows: (line, *case columns)
    problems: list[Problem]
    records: int  # records that are not blank
    hints: dict[str, int]  # "dmy"/"mdy" -> first line of the chunk showing that order


class CsvRows:
    """Reads a registry CSV in chunks of checked, normalised rows (blocking: run in a
    thread, or in processes that each read their share of the chunks)."""

    def __init__(self, path: str | Path, today: dt.date,
                 order: str = dates.DEFAULT_ORDER, phone_region: str = "US",
                 empty: str | None = "") -> None:
        self.path = Path(path)
        self.today = today.isoformat()
        self.order = order
        self.phone_region = phone_region  # country of numbers without a country code
        self.empty = empty  # an empty optional value in a row: "" or None (``store.EMPTY``)
        self._fh: BinaryIO | None = None
        self._text: io.TextIOWrapper | None = None
        self._reader: Any = None
        self._pick: Callable[[list[str]], tuple[str, ...]] = operator.itemgetter(0)
        self._pad = False
        self._width = 0
        self._last_line = 0
        self.header_line = 0  # the line the header ends on

    def open(self) -> None:
        """Open the file and read the header; FileProblem if it cannot be used."""
        if not self.path.is_file():
            raise FileProblem(f"no such file: {self.path}")
        self._fh = self.path.open("rb")
        text = self._text = io.TextIOWrapper(self._fh, encoding="utf-8-sig", newline="")
        try:
            first = text.readline()
        except UnicodeDecodeError:
            raise FileProblem(_encoding_message(self.path)) from None
        self._reader = csv.reader(itertools.chain([first], text), strict=True,
                                  delimiter=_delimiter(first))
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
        self._last_line = self.header_line = self._reader.line_num

    def close(self) -> None:
        if self._text is not None:
            self._text.close()  # and the binary file under it
            self._text = None
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

    def chunks(self, share: int = 0, of: int = 1) -> Iterator[Chunk]:
        """The chunks ``share``, ``share + of``, ``share + 2 * of``... of the file (call
        after ``open``); the others are read past. A FileProblem in a chunk of
        another share ends the reading quietly: its reader reports it."""
        reader, pick, pad, width = self._reader, self._pick, self._pad, self._width
        normal, today, order, hint = _normal, self.today, self.order, _hint
        region, iso, empty = self.phone_region, _ISO_OF[self.order], self.empty
        last = self._last_line
        for index in itertools.count():
            if index % of != share:
                try:
                    collections.deque(itertools.islice(reader, CHUNK_ROWS), maxlen=0)
                except (UnicodeDecodeError, csv.Error):
                    return
                if reader.line_num == last:
                    return  # the end of the file
                last = reader.line_num
                continue
            rows: list[tuple[Any, ...]] = []
            problems: list[Problem] = []
            hints: dict[str, int] = {}
            read = records = 0
            try:
                for record in itertools.islice(reader, CHUNK_ROWS):
                    line, last = last + 1, reader.line_num
                    read += 1
                    if not any(record):
                        continue
                    records += 1
                    if len(record) != width:
                        problems.append(Problem(
                            line, f"has {len(record)} fields but the header has {width}"))
                        continue
                    if pad:
                        record.append("")
                    values = tuple(map(str.strip, pick(record)))
                    for raw in (values[4], values[7]):  # the dates show the file's order
                        if raw[4:5] != "-" and (shown := hint(raw)) and shown not in hints:
                            hints[shown] = line  # (an ISO date never tells: skip it fast)
                    row = normal(line, values, today, iso, region, empty)
                    if row is None:
                        problems.append(Problem(
                            line, "; ".join(_problems(values, today, order, region))))
                        continue
                    rows.append(row)
            except UnicodeDecodeError:
                raise FileProblem(_encoding_message(self.path)) from None
            except csv.Error as exc:
                raise FileProblem(f"line {last + 1}: not valid CSV ({exc}); check the"
                                  " quotes on this line") from None
            if not read:
                return
            yield Chunk(rows, problems, records, hints)


def parse_in_process(sender: Connection, path: str, today: str, order: str, region: str,
                     empty: str | None, share: int, of: int) -> None:
    """Body of a parsing process: its share of the chunks, then ``(kind, detail)``: kind
    "done", "file" (a FileProblem) or "error".

    A chunk goes as ``marshal`` bytes of plain tuples, lists and strings: half the CPU
    of pickling them, on both sides of the pipe."""
    parser = CsvRows(path, dt.date.fromisoformat(today), order, region, empty)
    end = ("done", "")
    try:
        parser.open()
        for chunk in parser.chunks(share, of):
            sender.send_bytes(marshal.dumps(
                (chunk.rows, [(p.line, p.reason) for p in chunk.problems], chunk.records,
                 chunk.hints)))
    except FileProblem as exc:
        end = ("file", str(exc))
    except Exception as exc:  # reported by the importing process
        end = ("error", type(exc).__name__)  # no value of the file
    finally:
        parser.close()
    sender.send_bytes(marshal.dumps(end))
    sender.close()


class FileRows:
    """The whole file as the import sees it: the rows of every chunk in file order, from
    this thread or from parsing processes, with what they show together (counts,
    problems, the date order, keys and notice codes given twice)."""

    def __init__(self, path: str | Path, today: dt.date,
                 order: str = dates.DEFAULT_ORDER, phone_region: str = "US",
                 empty: str | None = "") -> None:
        self.path = Path(path)
        self.today = today
        self.order = order
        self.phone_region = phone_region
        self.empty = empty
        self._reader = CsvRows(path, today, order, phone_region, empty)
        self.header_line = 0
        self.rows = 0  # records that are not blank
        self.staged = 0  # rows given to the database
        self.problems: list[Problem] = []
        self.hints: dict[str, int] = {}  # "dmy"/"mdy" -> first line showing that order
        # Hashes of every (docket, court) and notice code seen: a repeat makes a suspect,
        # checked exactly in SQL. Ints keep this small for a million rows.
        self._seen_keys: set[int] = set()
        self._seen_codes: set[int] = set()
        self.suspect_keys: set[tuple[Any, Any]] = set()
        self.suspect_codes: set[Any] = set()
        self.aside: list[tuple[Any, ...]] = []  # rows of a key seen before (``rows``)

    def open(self) -> None:
        """Read the header; FileProblem if the file cannot be used (blocking)."""
        self._reader.open()
        self.header_line = self._reader.header_line

    def close(self) -> None:
        self._reader.close()

    def rows_of(self, skip_invalid: bool, *, aside: bool = False) -> Iterator[tuple[Any, ...]]:
        """The valid rows, in file order (blocking: consumed in the database's thread).

        After the first problem only with ``skip_invalid`` (the rest is still read, for
        the report). With ``aside``, a row whose key an earlier row had goes to
        ``self.aside`` instead, so that no two rows given have the same key.
        """
        for chunk in self._chunks():
            self.rows += chunk.records
            self.problems += chunk.problems
            for shown, line in chunk.hints.items():
                self.hints[shown] = min(line, self.hints.get(shown, line))
            if self.problems and not skip_invalid:
                continue
            self._codes(chunk.rows)
            keys = [hash((row[1], row[3])) for row in chunk.rows]
            seen = self._seen_keys
            fresh = set(keys)
            if len(fresh) == len(keys) and seen.isdisjoint(fresh):
                seen |= fresh  # the usual chunk: every key new
                self.staged += len(keys)
                yield from chunk.rows
                continue
            for row, key in zip(chunk.rows, keys, strict=True):
                if key in seen:
                    self.suspect_keys.add((row[1], row[3]))
                    if aside:
                        self.aside.append(row)
                        continue
                else:
                    seen.add(key)
                self.staged += 1
                yield row

    def _codes(self, rows: list[tuple[Any, ...]]) -> None:
        seen = self._seen_codes
        for code in (row[14] for row in rows if row[14]):
            key = hash(code)
            if key in seen:
                self.suspect_codes.add(code)
            else:
                seen.add(key)

    def _chunks(self) -> Iterator[Chunk]:
        if self.path.stat().st_size < PARSE_IN_PROCESS_FROM:
            return self._reader.chunks()
        return self._from_processes(PARSE_PROCESSES)

    def _from_processes(self, count: int) -> Iterator[Chunk]:
        """The chunks from ``count`` parsing processes, each reading every ``count``th."""
        context = multiprocessing.get_context("spawn")  # no fork of a threaded process
        receivers, processes = [], []
        try:
            for share in range(count):
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(
                    target=parse_in_process, name=f"casecheck-import-parse-{share}",
                    daemon=True, args=(sender, str(self.path), self.today.isoformat(),
                                       self.order, self.phone_region, self.empty, share,
                                       count))
                process.start()
                sender.close()
                receivers.append(receiver)
                processes.append(process)
            for index in itertools.count():
                try:
                    message = marshal.loads(receivers[index % count].recv_bytes())
                except EOFError:
                    raise RuntimeError("a parsing process of the import stopped") from None
                if len(message) == 4:
                    rows, problems, records, hints = message
                    yield Chunk(rows, [Problem(*problem) for problem in problems], records,
                                hints)
                    continue
                kind, detail = message
                if kind == "file":
                    raise FileProblem(detail)
                if kind == "error":
                    raise RuntimeError(f"a parsing process of the import failed: {detail}")
                return  # the end of the file
        finally:
            for receiver in receivers:
                receiver.close()
            for process in processes:
                if process.is_alive():
                    process.kill()  # the import stopped early, or the others read past the end
                process.join()


_STATUS_SET = frozenset(STATUSES)


def _normal(line: int, values: tuple[str, ...], today: str,
            iso: Callable[[str], str] = _iso_mdy, region: str = "US",
            empty: str | None = "") -> tuple[Any, ...] | None:
    """``(line, *case columns)`` of a valid row, or None if ``_problems`` finds any.

    The hot path of an import: one call per row, no list of problems.
    """
    joined = "".join(values)
    if len(joined) > MAX_FIELD and max(map(len, values)) > MAX_FIELD:
        return None
    if not joined.isprintable() and _CONTROL.search(joined):  # printable: no control chars
        return None
    (display, court, last_name, first_name, dob_raw, lab, status, status_raw, phone_raw,
     language_raw, code, person) = values
    docket = normalize_docket(display)
    last_key = _key(last_name)
    status = _status(status)
    language = _language(language_raw) if language_raw else ""
    if not (docket and last_key and dob_raw) or status not in _STATUS_SET or language is None:
        return None
    try:
        dob = iso(dob_raw)
        status_date = iso(status_raw) if status_raw else ""
        phone = normalize_phone(phone_raw, region) if phone_raw else ""
    except ValueError:
        return None
    notice = ""
    if code:
        code = normalize_docket(code)
        if not code:
            return None
        notice = hash_normal_notice(code)
    if dob > today:
        return None
    court, lab, first_key = _clean(court), _clean(lab), _key(first_name)
    return (line, docket, display, court, last_name, last_key, first_name, first_key, dob, lab,
            status, status_date or empty, phone or empty, language or empty, notice or empty,
            person or empty)


def _problems(values: tuple[str, ...], today: str,
              order: str = dates.DEFAULT_ORDER, region: str = "US") -> list[str]:
    """Every problem of a row that ``_normal`` refused: the column, why, the bad value."""
    errors = _cell_problems(values)
    (display, _court, last_name, _first, dob_raw, _lab, status, status_raw, phone_raw,
     language_raw, code, _person) = values
    if not normalize_docket(display):
        errors.append("docket_number: missing" if not display else
                      f"docket_number: has no letters or digits: {_shown(display)}")
    if not _key(last_name):
        errors.append("last_name: missing")
    dob = _date(dob_raw, "date_of_birth", errors, order, required=True)
    if dob and dob > today:
        errors.append(f"date_of_birth: is in the future: {_shown(dob_raw)}")
    if _status(status) not in _STATUS_SET:
        errors.append("status: missing" if not status else
                      f"status: must be one of {', '.join(STATUSES)}: {_shown(status)}")
    _date(status_raw, "status_date", errors, order, required=False)
    if phone_raw:
        try:
            normalize_phone(phone_raw, region)
        except ValueError as exc:
            errors.append(f"phone: {exc}: {_shown(phone_raw)}")
    if language_raw and _language(language_raw) is None:
        errors.append("language: must be a language code such as en or es: "
                      f"{_shown(language_raw)}")
    if code and not normalize_docket(code):
        errors.append(f"notice_code: has no letters or digits: {_shown(code)}")
    return errors


def _cell_problems(values: Sequence[str]) -> list[str]:
    problems: list[str] = []
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


def _date(raw: str, name: str, errors: list[str], order: str, *, required: bool) -> str:
    if not raw:
        if required:
            errors.append(f"{name}: missing")
        return ""
    try:
        return _iso(raw, order)
    except ValueError as exc:
        errors.append(f"{name}: {exc}: {_shown(raw)}")
        return ""


def _delimiter(header_line: str) -> str:
    """The header's delimiter: the one of , ; tab it uses most (a comma by default)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


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
                     skip_invalid: bool = False, date_order: str | None = None,
                     replace: bool = False, phone_region: str = "US") -> ImportReport:
    """Check the whole file, then import it (all or, with ``skip_invalid``, the valid rows).

    ``date_order`` ("mdy" or "dmy") declares the file's day/month order; without it
    the order is detected from the file. ``replace`` deletes the cases the file does
    not list (only when every row of the file is valid). Phone numbers without a
    country code are of ``phone_region``.
    """
    order = date_order or dates.DEFAULT_ORDER
    while True:
        report = await _import_pass(db, path, now=now, skip_invalid=skip_invalid, order=order,
                                    declared=date_order is not None, replace=replace,
                                    phone_region=phone_region)
        if report is not None:
            return report
        order = "dmy"  # the file showed day-first dates and nothing month-first: read again


async def _import_pass(db: Database, path: str | Path, *, now: dt.datetime,
                       skip_invalid: bool, order: str, declared: bool,
                       replace: bool, phone_region: str) -> ImportReport | None:
    """One reading of the file in ``order``; None when the file shows the other order."""
    report = ImportReport(date_order=order)
    parser = FileRows(path, now.date(), order, phone_region, store.EMPTY[db.dialect])
    stamp = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    try:
        await asyncio.to_thread(parser.open)
        existing = await store.count(db)
        await store.set_cache_kib(db, IMPORT_CACHE_KIB)
        await store.stage_begin(db)
        if existing == 0:
            return await _load_into_empty(db, parser, report, stamp, skip_invalid, declared)
        async with db.transaction() as conn:
            await store.stage_rows(conn, parser.rows_of(skip_invalid))
        if not _read_whole(parser, report, declared):
            return None
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
            # every key of the file is in cases now: the rest are cases it does not list
            report.missing = existing + report.inserted - keys
            if replace and report.missing and not report.problems:
                report.removed = await store.delete_not_staged(conn)
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
        await store.set_cache_kib(db)


def _read_whole(parser: FileRows, report: ImportReport, declared: bool) -> bool:
    """After the file is read: FileProblem if it cannot be imported at all, False if it
    must be read again with day-first dates (it showed those and nothing month-first)."""
    report.rows = parser.rows
    if not report.rows:
        raise FileProblem("the file has a header but no data rows")
    if len(parser.hints) == 2:
        raise FileProblem(
            f"the dates mix orders: line {parser.hints['mdy']} is month/day/year, line"
            f" {parser.hints['dmy']} is day/month/year; fix the file or declare"
            " --date-order")
    return declared or parser.order != "mdy" or "dmy" not in parser.hints


class _Undo(Exception):
    """Rolls a load into an empty registry back (``again``: to read it in the other order)."""

    def __init__(self, again: bool = False) -> None:
        super().__init__()
        self.again = again


async def _load_into_empty(db: Database, parser: FileRows, report: ImportReport, stamp: str,
                           skip_invalid: bool, declared: bool) -> ImportReport | None:
    """No cases yet: the rows go straight into ``cases`` in one transaction (a repeated
    key's rows held aside in the stage) and are checked there; a problem rolls it all
    back."""
    try:
        async with db.transaction() as conn:
            load = await store.load_begin(conn, parser.header_line)
            await store.load_rows(conn, load, parser.rows_of(skip_invalid, aside=True), stamp)
            await store.load_aside(conn, parser.aside)
            if not _read_whole(parser, report, declared):
                raise _Undo(again=True)
            conflicts, repeats = await store.loaded_conflicts(
                conn, load, parser.suspect_keys, parser.suspect_codes)
            report.problems = sorted(parser.problems + _conflict_problems(conflicts),
                                     key=lambda p: p.line)
            if report.problems and not skip_invalid:
                raise _Undo
            conflicting = {line for lines, _kind in conflicts for line in lines}
            report.inserted = await store.load_end(conn, load, conflicting, stamp)
            report.imported = True
            await audit.record(conn, stamp, "cli", "import", "imported", detail=_detail(report))
        return report
    except _Undo as undo:
        if undo.again:
            return None
        await _audit(db, stamp, "rejected", report)
        return report


async def _audit(db: Database, stamp: str, outcome: str, report: ImportReport) -> None:
    async with db.transaction() as conn:
        await audit.record(conn, stamp, "cli", "import", outcome, detail=_detail(report))


def _detail(report: ImportReport) -> str:
    return json.dumps({"rows": report.rows, "inserted": report.inserted,
                       "updated": report.updated, "unchanged": report.unchanged,
                       "invalid": report.invalid_lines, "missing": report.missing,
                       "removed": report.removed})
