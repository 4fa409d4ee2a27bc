"""The case registry: lookups for the dialogue, and the bulk upsert of the importer.

Keys given to these functions are already normalised (``bot.registry.normalize``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

from . import Database

Row = aiosqlite.Row


async def get(db: Database, case_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM cases WHERE id=?", (case_id,))


async def by_docket(db: Database, docket: str) -> list[Row]:
    """Cases with this normalised docket number (one per court)."""
    return await db.fetchall("SELECT * FROM cases WHERE docket_number=? ORDER BY id", (docket,))


async def by_notice_hash(db: Database, code_hash: str) -> Row | None:
    return await db.fetchone(
        "SELECT * FROM cases WHERE notice_code_hash=? ORDER BY id LIMIT 1", (code_hash,))


async def by_dob(db: Database, dob_iso: str) -> list[Row]:
    """Cases with this date of birth, for tolerant name matching by the caller."""
    return await db.fetchall("SELECT * FROM cases WHERE date_of_birth=? ORDER BY id", (dob_iso,))


async def same_person(db: Database, last_name_key: str, first_name_key: str,
                      dob_iso: str) -> list[Row]:
    """Cases of one person: same name keys and date of birth, oldest first."""
    return await db.fetchall(
        "SELECT * FROM cases WHERE last_name_key=? AND date_of_birth=? AND first_name_key=?"
        " ORDER BY id", (last_name_key, dob_iso, first_name_key))


async def mark_phone_wrong(conn: aiosqlite.Connection, phone_e164: str) -> None:
    """Flag every case reachable at this number as a wrong number (caller's transaction)."""
    await conn.execute("UPDATE cases SET phone_wrong=1 WHERE phone=?", (phone_e164,))


# --- bulk import -----------------------------------------------------------
# The importer feeds checked rows straight from the CSV parser into one upsert,
# inside one transaction that it rolls back if the file turns out to be invalid.

CASE_COLUMNS = (
    "docket_number", "docket_display", "court", "last_name", "last_name_key",
    "first_name", "first_name_key", "date_of_birth", "lab", "status", "status_date",
    "phone", "language", "notice_code_hash", "row_hash")
_UPDATED = [c for c in CASE_COLUMNS if c not in ("docket_number", "court")]
_UPSERT = (
    f"INSERT INTO cases ({', '.join(CASE_COLUMNS)}, imported_at)"
    f" VALUES ({', '.join('?' * (len(CASE_COLUMNS) + 1))})"
    f" ON CONFLICT(docket_number, court) DO UPDATE SET"
    f" {', '.join(f'{c}=excluded.{c}' for c in _UPDATED)}, imported_at=excluded.imported_at"
    f" WHERE cases.row_hash <> excluded.row_hash")


async def upsert_rows(conn: aiosqlite.Connection, rows: Iterable[Sequence[Any]], now: str, *,
                      rebuild_indexes: bool) -> int:
    """Insert new cases, update changed ones; return how many rows were written.

    ``rows`` hold ``CASE_COLUMNS`` values and may be a generator (it runs in the
    database thread). A row whose ``row_hash`` is unchanged is left alone, so
    re-importing a file writes nothing. For a bulk load, ``rebuild_indexes``
    drops the secondary indexes and builds them again afterwards, which is much
    faster than updating them row by row.
    """
    indexes: list[str] = []
    if rebuild_indexes:
        async with conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type='index'"
                " AND tbl_name='cases' AND sql IS NOT NULL") as cur:
            found = list(await cur.fetchall())
        for name, sql in found:
            await conn.execute(f'DROP INDEX "{name}"')
            indexes.append(sql)
    cur = await conn.executemany(_UPSERT, ((*row, now) for row in rows))
    for sql in indexes:
        await conn.execute(sql)
    return cur.rowcount


async def shared_notice_codes(conn: aiosqlite.Connection) -> set[str]:
    """Notice code hashes held by more than one case (each must name one case)."""
    async with conn.execute(
            "SELECT notice_code_hash FROM cases WHERE notice_code_hash IS NOT NULL"
            " GROUP BY notice_code_hash HAVING COUNT(*) > 1") as cur:
        return {row[0] for row in await cur.fetchall()}


async def count(db: Database | aiosqlite.Connection) -> int:
    async with (db.conn if isinstance(db, Database) else db).execute(
            "SELECT COUNT(*) FROM cases") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def set_cache_kib(db: Database, kib: int) -> None:
    """Page cache of this connection (large during a bulk import, small at rest)."""
    await db.conn.execute(f"PRAGMA cache_size=-{int(kib)}")


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
