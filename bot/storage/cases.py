"""The case registry: lookups for the dialogue, and the bulk upsert of the importer.

Keys given to these functions are already normalised (``bot.registry.normalize``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import Database, Row, Tx
from .records import Case


async def get(db: Database, case_id: int) -> Case | None:
    return Case.maybe(await db.fetchone("SELECT * FROM cases WHERE id=?", (case_id,)))


async def by_docket(db: Database, docket: str) -> list[Case]:
    """Cases with this normalised docket number (one per court)."""
    return Case.all(await db.fetchall(
        "SELECT * FROM cases WHERE docket_number=? ORDER BY id", (docket,)))


async def by_notice_hash(db: Database, code_hash: str) -> Case | None:
    return Case.maybe(await db.fetchone(
        "SELECT * FROM cases WHERE notice_code_hash=? ORDER BY id LIMIT 1", (code_hash,)))


async def by_dob(db: Database, dob_iso: str) -> list[Case]:
    """Cases with this date of birth, for tolerant name matching by the caller."""
    return Case.all(await db.fetchall(
        "SELECT * FROM cases WHERE date_of_birth=? ORDER BY id", (dob_iso,)))


async def same_person(db: Database, case: Row) -> list[Case]:
    """The other cases of the person who proved ``case``: those the registry files under
    the same person record, or that share its notice code; never a namesake (the same
    name and date of birth alone), oldest first."""
    if not case["person_ref"] and not case["notice_code_hash"]:
        return []
    return Case.all(await db.fetchall(
        "SELECT * FROM cases WHERE id <> ? AND (person_ref=? OR notice_code_hash=?)"
        " ORDER BY id", (case["id"], case["person_ref"], case["notice_code_hash"])))


async def mark_phone_wrong(tx: Tx, phone_e164: str) -> None:
    """Flag every case reachable at this number as a wrong number (caller's transaction)."""
    await tx.execute("UPDATE cases SET phone_wrong=1 WHERE phone=?", (phone_e164,))


# --- bulk import -----------------------------------------------------------
# The importer stages every checked row (with its CSV line) in a private temporary
# database attached as ``stage``, checks the whole file there, then upserts into
# ``cases`` in one transaction. Detaching drops the stage at once, whatever its size.
# On PostgreSQL the stage is a schema of unlogged tables, dropped at the end (one
# import at a time per database).

STAGED_COLUMNS = (
    "line", "docket_number", "docket_display", "court", "last_name", "last_name_key",
    "first_name", "first_name_key", "date_of_birth", "lab", "status", "status_date",
    "phone", "language", "notice_code_hash", "person_ref")
_CASE_COLUMNS = STAGED_COLUMNS[1:]
# What an importer's row gives for an empty value of a NULLABLE column, per engine:
# sqlite3 looks for an adapter of every None it binds (about 0.25 us each, a quarter of
# a load's inserting), so SQLite gets "" and turns it into NULL by NULLIF; asyncpg's COPY
# takes None as it is.
NULLABLE = frozenset(("status_date", "phone", "language", "notice_code_hash", "person_ref"))
EMPTY: dict[str, str | None] = {"sqlite": "", "postgresql": None}
_UPDATED = [c for c in _CASE_COLUMNS if c not in ("docket_number", "court")]
_DATA = ", ".join(_UPDATED)  # what two rows of one key must agree on
INDEX_BUILD_CACHE_KIB = 8_000
INDEX_BUILD_MEMORY_MB = 256
# The indexes of ``cases`` that a bulk load may drop and build again: all but the unique
# key (docket number, court) that the upsert's ON CONFLICT needs, and the primary key.
_SECONDARY_INDEXES = {
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type='index'"
              " AND tbl_name='cases' AND sql IS NOT NULL",
    "postgresql": "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                  " JOIN pg_class c ON c.oid = i.indexrelid"
                  " WHERE i.indrelid = 'cases'::regclass AND NOT i.indisunique"
                  " ORDER BY c.relname",
}


async def stage_begin(db: Database) -> None:
    await stage_end(db)
    if db.dialect == "postgresql":
        text = ", ".join(f"{c} TEXT" for c in STAGED_COLUMNS[1:])
        async with db.transaction() as tx:
            await tx.execute("CREATE SCHEMA stage")
            await tx.execute(f"CREATE UNLOGGED TABLE stage.rows (line BIGINT PRIMARY KEY, {text})")
            await tx.execute("CREATE UNLOGGED TABLE stage.suspect_keys"
                             " (docket_number TEXT, court TEXT)")
            await tx.execute("CREATE UNLOGGED TABLE stage.suspect_codes (notice_code_hash TEXT)")
        return
    # The stage is attached to the writing connection only: it is read in transactions.
    await db.configure("ATTACH DATABASE '' AS stage")  # a private temporary file
    await db.configure("PRAGMA stage.journal_mode=OFF")
    async with db.transaction() as tx:
        # The line is the rowid: rows are appended in file order, and read back in it.
        await tx.execute(f"CREATE TABLE stage.rows (line INTEGER PRIMARY KEY,"
                           f" {', '.join(STAGED_COLUMNS[1:])})")
        await tx.execute("CREATE TABLE stage.suspect_keys (docket_number, court)")
        await tx.execute("CREATE TABLE stage.suspect_codes (notice_code_hash)")


async def stage_end(db: Database) -> None:
    if db.dialect == "postgresql":
        await db.execute("DROP SCHEMA IF EXISTS stage CASCADE")
        return
    attached = await db.configure("PRAGMA database_list")
    if any(row["name"] == "stage" for row in attached):
        await db.configure("DETACH DATABASE stage")


async def stage_rows(tx: Tx, rows: Iterable[Sequence[Any]]) -> None:
    """Stage ``STAGED_COLUMNS`` rows (``EMPTY`` for an empty value); ``rows`` may be a
    generator (consumed off the loop)."""
    await _append(tx, "stage.rows", STAGED_COLUMNS, rows)


async def _append(tx: Tx, table: str, columns: Sequence[str],
                  rows: Iterable[Sequence[Any]]) -> None:
    """``tx.append_rows`` of importer rows (``EMPTY`` for an empty value)."""
    if tx.dialect == "postgresql":
        await tx.append_rows(table, columns, rows)
        return
    await tx.executemany(f"INSERT INTO {table} ({', '.join(columns)})"
                         f" VALUES ({_marks(columns)})", rows)


def _marks(columns: Sequence[str]) -> str:
    """SQLite's placeholders for importer values: the '' of a ``NULLABLE`` column is NULL."""
    return ", ".join("NULLIF(?, '')" if c in NULLABLE else "?" for c in columns)


async def staged_conflicts(db: Database, suspect_keys: Iterable[tuple[str, str]],
                           suspect_codes: Iterable[str],
                           check_stored: bool) -> tuple[list[tuple[list[int], str]], int]:
    """Staged lines that contradict each other, and the count of harmless repeats.

    Conflicts are ``(lines, what)``: the same docket number and court with
    different data ("docket"), one notice code for different cases in the file
    ("notice") or against a stored case ("notice_stored"). The parser names the
    suspects (keys and codes seen twice), so a clean file costs no scan for them.
    """
    async with db.transaction() as tx:
        return await _suspects(tx, "stage.rows", suspect_keys, suspect_codes, check_stored)


async def _suspects(tx: Tx, rows: str, suspect_keys: Iterable[tuple[str, str]],
                    suspect_codes: Iterable[str],
                    check_stored: bool) -> tuple[list[tuple[list[int], str]], int]:
    keys, codes = list(suspect_keys), [(code,) for code in suspect_codes]
    await tx.executemany("INSERT INTO stage.suspect_keys VALUES (?, ?)", keys)
    await tx.executemany("INSERT INTO stage.suspect_codes VALUES (?)", codes)
    return await _conflicts(tx, rows, bool(keys), bool(codes), check_stored)


async def _conflicts(tx: Tx, rows: str, keys: bool, codes: bool,
                     check_stored: bool) -> tuple[list[tuple[list[int], str]], int]:
    """``rows``: the relation of the file's rows, with their ``line``."""
    found: list[tuple[list[int], str]] = []
    repeats = 0
    if keys:
        for lines, data in _grouped(await tx.fetchall(
                f"""SELECT docket_number, court, line, {_DATA} FROM {rows} r
                    WHERE (docket_number, court) IN (SELECT docket_number, court
                                                     FROM stage.suspect_keys)"""), 2):
            if len(data) > 1:
                found.append((lines, "docket"))
            elif len(lines) > 1:
                repeats += len(lines) - 1
    if codes:
        found += [(lines, "notice") for lines, cases in _grouped(await tx.fetchall(
            f"""SELECT notice_code_hash, line, docket_number, court FROM {rows} r
                WHERE notice_code_hash IN (SELECT notice_code_hash FROM stage.suspect_codes)"""),
            1) if len(cases) > 1]
    if check_stored:
        stored = await tx.fetchall(
            f"""SELECT s.notice_code_hash, s.line FROM {rows} s
                JOIN cases c ON c.notice_code_hash = s.notice_code_hash
                WHERE s.notice_code_hash IS NOT NULL
                  AND (c.docket_number <> s.docket_number OR c.court <> s.court)
                  AND NOT EXISTS (SELECT 1 FROM {rows} t
                                  WHERE t.docket_number = c.docket_number AND t.court = c.court
                                    AND (t.notice_code_hash IS NULL
                                         OR t.notice_code_hash <> c.notice_code_hash))""")
        found += [(lines, "notice_stored") for lines, _ in _grouped(stored, 1)]
    return found, repeats


def _grouped(rows: list[Row], width: int) -> list[tuple[list[int], set[tuple[Any, ...]]]]:
    """Rows grouped by their first ``width`` columns, in order of first appearance: the
    sorted distinct lines (the next column) and the distinct rest of each group."""
    groups: dict[tuple[Any, ...], tuple[set[int], set[tuple[Any, ...]]]] = {}
    for row in rows:
        values = tuple(row)
        lines, rest = groups.setdefault(values[:width], (set(), set()))
        lines.add(int(values[width]))
        rest.add(values[width + 1:])
    return [(sorted(lines), rest) for lines, rest in groups.values()]


async def unstage_lines(tx: Tx, lines: Iterable[int]) -> None:
    await tx.executemany("DELETE FROM stage.rows WHERE line=?", [(line,) for line in lines])


async def count(db: Database | Tx) -> int:
    row = await db.fetchone("SELECT COUNT(*) FROM cases")
    return int(row[0]) if row else 0


async def _drop_secondary_indexes(tx: Tx) -> list[str]:
    """Drop them for a bulk load: the statements that build them again (``_build``)."""
    rebuild = []
    for name, sql in await tx.fetchall(_SECONDARY_INDEXES[tx.dialect]):
        await tx.execute(f'DROP INDEX "{name}"')
        rebuild.append(sql)
    return rebuild


async def _build(tx: Tx, statements: list[str]) -> None:
    """Build indexes (or keys) after a bulk load, with the memory that suits a build."""
    if not statements:
        return
    if tx.dialect == "sqlite":
        # A small page cache also bounds the sorter's in-memory runs: runs that fit the
        # CPU caches, merged, build these indexes faster than one big in-memory sort.
        await tx.execute(f"PRAGMA cache_size=-{INDEX_BUILD_CACHE_KIB}")
        # The sorter may merge on other cores (the parsing processes are done by now).
        await tx.execute(f"PRAGMA threads={min(os.cpu_count() or 1, 4)}")
    else:  # for this transaction only; the server's default is 64 MB
        await tx.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY_MB}MB'")
    for sql in statements:
        await tx.execute(sql)


async def upsert_staged(tx: Tx, now: str, *,
                        rebuild_indexes: bool) -> tuple[int, int]:
    """Insert new cases and update changed ones from the stage: ``(inserted, updated)``.

    A row whose columns are unchanged is left alone, so re-importing the same
    file writes nothing. Rows go in file order (ids follow the file). For a bulk
    load, ``rebuild_indexes`` drops the secondary indexes and builds them again
    afterwards, which is faster than updating them row by row (on both engines).
    """
    before = await count(tx)
    indexes = await _drop_secondary_indexes(tx) if rebuild_indexes else []
    cols = ", ".join(_CASE_COLUMNS)
    sets = ", ".join(f"{c}=excluded.{c}" for c in _UPDATED)
    differ = "IS NOT" if tx.dialect == "sqlite" else "IS DISTINCT FROM"  # NULL = NULL here
    changed = await tx.execute(
        f"""INSERT INTO cases ({cols}, imported_at)
            SELECT {cols}, ? FROM stage.rows WHERE true ORDER BY line
            ON CONFLICT(docket_number, court) DO UPDATE SET {sets},
              imported_at=excluded.imported_at
            WHERE ({', '.join(f'cases.{c}' for c in _UPDATED)})
              {differ} ({', '.join(f'excluded.{c}' for c in _UPDATED)})""", (now,))
    await _build(tx, indexes)
    inserted = await count(tx) - before
    return inserted, changed - inserted


# A file goes into an empty registry straight into ``cases``, in one transaction, without
# the stage: the secondary indexes (and on PostgreSQL the unique key) are dropped for the
# load and built after it. A row whose key the file gave before is held aside in the
# stage instead (``load_aside``): the checks read both.
_SEQUENCE = "pg_get_serial_sequence('cases', 'id')"


@dataclass
class Load:
    """A load into an empty ``cases``: a row's id is ``offset + line`` (after the
    ids used before, in file order), and ``rebuild`` makes the dropped keys again."""
    offset: int
    rebuild: list[str]

    @property
    def rows(self) -> str:
        """The file's rows, loaded and held aside, as a relation with their ``line``."""
        return (f"(SELECT id - {self.offset} AS line, docket_number, court, {_DATA}"
                f" FROM cases UNION ALL SELECT line, docket_number, court, {_DATA}"
                f" FROM stage.rows)")


async def load_begin(tx: Tx, header_line: int) -> Load:
    """Ready an empty ``cases`` for ``load_rows``: the secondary indexes are dropped, and
    on PostgreSQL the unique key too (SQLite cannot drop a table's UNIQUE constraint; it
    costs little there with a large page cache); ``load_end`` builds them again."""
    rebuild: list[str] = []
    if tx.dialect == "sqlite":
        used = await tx.fetchone("SELECT COALESCE(MAX(id), 0) FROM cases")
    else:
        sequence = await tx.fetchone(f"SELECT {_SEQUENCE}")
        assert sequence is not None
        used = await tx.fetchone(f"SELECT CASE WHEN is_called THEN last_value"
                                 f" ELSE last_value - 1 END FROM {sequence[0]}")
        for name, definition in await tx.fetchall(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = 'cases'::regclass AND contype = 'u' ORDER BY conname"):
            await tx.execute(f'ALTER TABLE cases DROP CONSTRAINT "{name}"')
            rebuild.append(f'ALTER TABLE cases ADD CONSTRAINT "{name}" {definition}')
    assert used is not None
    rebuild += await _drop_secondary_indexes(tx)
    return Load(offset=int(used[0]) - header_line, rebuild=rebuild)


async def load_rows(tx: Tx, load: Load, rows: Iterable[Sequence[Any]], now: str) -> None:
    """Append ``STAGED_COLUMNS`` rows (a generator is consumed off the loop) to ``cases``;
    no two may have the same key, and each status must be one the table allows.

    SQLite would build its ``status IN (...)`` CHECK's list again for every row (a
    third of the load's time): the importer has checked each status, so the check is
    off for this load only."""
    offset = load.offset
    if tx.dialect == "postgresql":  # by COPY: whole rows
        await tx.append_rows("cases", ("id", *_CASE_COLUMNS, "imported_at"),
                             ((row[0] + offset, *row[1:], now) for row in rows))
        return
    # The id and the time are computed by SQLite: the rows go as they come.
    marks = _marks(_CASE_COLUMNS)
    await tx.execute("PRAGMA ignore_check_constraints=ON")
    try:
        await tx.executemany(f"INSERT INTO cases (id, {', '.join(_CASE_COLUMNS)}, imported_at)"
                             f" VALUES (? + {offset:d}, {marks}, {_literal(now)})", rows)
    finally:
        await tx.execute("PRAGMA ignore_check_constraints=OFF")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


async def load_aside(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """Hold ``STAGED_COLUMNS`` rows whose key the file gave before in the stage."""
    if rows:
        await _append(tx, "stage.rows", STAGED_COLUMNS, rows)


async def loaded_conflicts(tx: Tx, load: Load, suspect_keys: Iterable[tuple[str, str]],
                           suspect_codes: Iterable[str]) -> tuple[list[tuple[list[int], str]], int]:
    """``staged_conflicts`` of the loaded rows (nothing was stored before them)."""
    return await _suspects(tx, load.rows, suspect_keys, suspect_codes, False)


async def load_end(tx: Tx, load: Load, dropped_lines: Iterable[int], now: str) -> int:
    """Remove ``dropped_lines``, build the keys and indexes again, load the first line of
    each key held aside that is not in ``cases`` (a key whose hash only matched another's)
    and move the id sequence past the rows: the count of cases."""
    dropped = [(line,) for line in dropped_lines]
    await tx.executemany(f"DELETE FROM cases WHERE id = ? + {load.offset}", dropped)
    await tx.executemany("DELETE FROM stage.rows WHERE line = ?", dropped)
    await _build(tx, load.rebuild)
    cols = ", ".join(_CASE_COLUMNS)
    await tx.execute(
        f"""INSERT INTO cases (id, {cols}, imported_at)
            SELECT line + {load.offset}, {cols}, ? FROM stage.rows s
            WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.docket_number = s.docket_number
                                                      AND c.court = s.court)
              AND s.line = (SELECT MIN(t.line) FROM stage.rows t
                            WHERE t.docket_number = s.docket_number AND t.court = s.court)""",
        (now,))
    if tx.dialect == "postgresql":
        await tx.execute(f"SELECT setval({_SEQUENCE}, MAX(id)) FROM cases")  # none: unchanged
    return await count(tx)


# Cases the staged file lists, found through the cases' own (docket_number, court) key.
_LISTED = ("SELECT c.id FROM stage.rows s JOIN cases c"
           " ON c.docket_number = s.docket_number AND c.court = s.court")


async def delete_not_staged(tx: Tx) -> int:
    """Delete them (escalations and people keep their rows, without the case link)."""
    changed = await tx.execute(f"DELETE FROM cases WHERE id NOT IN ({_LISTED})")
    return changed


async def set_cache_kib(db: Database, kib: int | None = None) -> None:
    """Page cache of the writer connection: large during a bulk import, else (None) the
    engine's resting size. PostgreSQL keeps the server's own setting."""
    if db.dialect != "sqlite":
        return
    from .sqlite_engine import CACHE_KIB

    await db.configure(f"PRAGMA cache_size=-{CACHE_KIB if kib is None else int(kib)}")


async def stats(db: Database) -> dict[str, Any]:
    """Total and counts per lab and per status."""
    total = await count(db)
    labs = await db.fetchall(
        "SELECT lab, COUNT(*) AS n FROM cases GROUP BY lab ORDER BY n DESC, lab")
    statuses = await db.fetchall(
        "SELECT status, COUNT(*) AS n FROM cases GROUP BY status ORDER BY n DESC, status")
    return {"total": total,
            "labs": [(r["lab"], r["n"]) for r in labs],
            "statuses": [(r["status"], r["n"]) for r in statuses]}
