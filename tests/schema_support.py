"""Both engines' schemas in one comparable shape, read from each database's own catalog.

Per table: columns (type by SQLite's affinity classes, NOT NULL, default, whether the
engine assigns it), the primary key, foreign keys, unique constraints, the number of
CHECK constraints; and every named index (table, unique, columns with collation and
order, partial predicate). Normalised only where the two spell one thing differently:
casts and parentheses PostgreSQL adds to defaults and predicates, ``!=``/``<>``,
``LIKE``/``~~``, SQLite's ``BINARY`` and PostgreSQL's ``"C"``, and primary-key columns
being NOT NULL (PostgreSQL always; SQLite lets a non-integer key hold NULL).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

Schema = dict[str, Any]

_FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL",
               "d": "SET DEFAULT"}


def affinity(declared: str) -> str:
    """SQLite's type affinity rules (https://sqlite.org/datatype3.html, 3.1)."""
    name = declared.upper()
    if "INT" in name:
        return "integer"
    if any(s in name for s in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in name or not name:
        return "blob"
    if any(s in name for s in ("REAL", "FLOA", "DOUB")):
        return "real"
    return "numeric"


_PG_TYPES = {"bigint": "integer", "integer": "integer", "smallint": "integer", "text": "text",
             "character varying": "text", "bytea": "blob", "double precision": "real",
             "real": "real", "numeric": "numeric"}


def normal_sql(text: str | None) -> str | None:
    """A default or predicate with PostgreSQL's decorations taken off."""
    if text is None:
        return None
    text = re.sub(r"::[a-z ]+(\[\])?", "", text.lower())
    text = text.replace("!~~", " not like ").replace("~~", " like ").replace("!=", "<>")
    text = re.sub(r"[()\s]+", "", text)
    text = _SAME_VALUE.get(text, text)
    return re.sub(r"^'(-?\d+(\.\d+)?)'$", r"\1", text)


# Defaults the translator spells differently, as normal_sql leaves them.
_SAME_VALUE = {
    "true": "1", "false": "0",
    "datetime'now'": "current_timestamp", "date'now'": "current_date",
    "time'now'": "current_time",
    "to_charnowattimezone'utc','yyyy-mm-ddhh24:mi:ss'": "current_timestamp",
    "to_charnowattimezone'utc','yyyy-mm-dd'": "current_date",
    "to_charnowattimezone'utc','hh24:mi:ss'": "current_time",
}


def _collation(name: str | None) -> str:
    name = (name or "").lower()
    return "binary" if name in ("", "binary", "c") else name


def sqlite_schema(path: str) -> Schema:
    con = sqlite3.connect(path)
    try:
        return _sqlite(con)
    finally:
        con.close()


def _sqlite(con: sqlite3.Connection) -> Schema:
    tables, indexes = {}, {}
    masters = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                          "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    for table, sql in masters:
        info = con.execute(f'PRAGMA table_info("{table}")').fetchall()
        pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
        rowid = "WITHOUT ROWID" not in sql.upper()
        alias = pk[0] if rowid and len(pk) == 1 and next(
            r[2] for r in info if r[1] == pk[0]).upper() == "INTEGER" else None
        columns = {r[1]: (affinity(r[2]), bool(r[3]) or r[1] in pk, normal_sql(r[4]),
                          r[1] == alias, _column_collation(sql, r[1])) for r in info}
        fks: dict[int, list[Any]] = {}
        for r in con.execute(f'PRAGMA foreign_key_list("{table}")'):
            fks.setdefault(r[0], [r[2], [], [], r[6]])
            fks[r[0]][1].append(r[3])
            fks[r[0]][2].append(r[4])
        uniques = set()
        for _seq, name, unique, origin, _partial in con.execute(
                f'PRAGMA index_list("{table}")'):
            keys = _sqlite_index_columns(con, name)
            if origin == "u":
                uniques.add(keys)
            elif origin == "c":
                index_sql = con.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                                        (name,)).fetchone()[0]
                where = re.search(r"\bWHERE\b(.*)$", index_sql, re.IGNORECASE | re.DOTALL)
                indexes[name] = (table, bool(unique), keys,
                                 normal_sql(where.group(1)) if where else None)
        tables[table] = {
            "columns": columns, "primary_key": pk,
            "foreign_keys": sorted((t, tuple(f), tuple(c), d) for t, f, c, d in fks.values()),
            "unique": sorted(uniques), "checks": len(re.findall(r"\bCHECK\s*\(", sql, re.I)),
        }
    return {"tables": tables, "indexes": indexes}


def _column_collation(table_sql: str, column: str) -> str | None:
    """A column's declared collation (SQLite keeps it only in the CREATE TABLE text)."""
    match = re.search(rf"(?:^|[(,])\s*[\"`\[]?{re.escape(column)}[\"`\]]?\s[^,]*?\bCOLLATE\s+(\w+)",
                      table_sql, re.IGNORECASE)
    return _collation(match.group(1) if match else None)


def _sqlite_index_columns(con: sqlite3.Connection, index: str) -> tuple[Any, ...]:
    rows = con.execute(f'PRAGMA index_xinfo("{index}")').fetchall()
    return tuple((r[2], bool(r[3]), _collation(r[4])) for r in rows if r[5])


async def postgres_schema(conn: Any) -> Schema:
    """The same shape from an asyncpg connection (schema ``public``)."""
    tables: dict[str, Any] = {}
    for r in await conn.fetch(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, "
            "is_identity, collation_name FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"):
        table = tables.setdefault(r["table_name"], {"columns": {}, "primary_key": [],
                                                     "foreign_keys": [], "unique": [],
                                                     "checks": 0})
        text = r["data_type"] == "text"
        # A text column left on the database's default collation orders by its locale,
        # not bytewise as SQLite's BINARY does: reported as a difference.
        collation = _collation(r["collation_name"] or "database default") if text else "binary"
        table["columns"][r["column_name"]] = (
            _PG_TYPES.get(r["data_type"], r["data_type"]), r["is_nullable"] == "NO",
            normal_sql(r["column_default"]), r["is_identity"] == "YES", collation)
    for r in await conn.fetch(
            """SELECT c.conrelid::regclass::text AS tbl, c.contype::text AS contype,
                      c.confrelid::regclass::text AS ref, c.confdeltype::text AS confdeltype,
                      ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                            ORDER BY k.i)::text[] AS cols,
                      ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                            JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n
                            ORDER BY k.i)::text[] AS refcols, c.conindid
               FROM pg_constraint c WHERE c.connamespace = 'public'::regnamespace"""):
        table = tables[r["tbl"]]
        if r["contype"] == "p":
            table["primary_key"] = list(r["cols"])
        elif r["contype"] == "f":
            table["foreign_keys"].append((r["ref"], tuple(r["cols"]), tuple(r["refcols"]),
                                          _FK_ACTIONS[r["confdeltype"]]))
        elif r["contype"] == "u":
            table["unique"].append(await _pg_index_columns(conn, r["conindid"]))
        elif r["contype"] == "c":
            table["checks"] += 1
    for table in tables.values():
        table["foreign_keys"].sort()
        table["unique"].sort()
    indexes = {}
    for r in await conn.fetch(
            """SELECT c.relname, i.indrelid::regclass::text AS tbl, i.indisunique,
                      pg_get_expr(i.indpred, i.indrelid) AS pred, i.indexrelid
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               WHERE c.relnamespace = 'public'::regnamespace AND NOT EXISTS
                     (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"""):
        indexes[r["relname"]] = (r["tbl"], r["indisunique"],
                                 await _pg_index_columns(conn, r["indexrelid"]),
                                 normal_sql(r["pred"]))
    return {"tables": tables, "indexes": indexes}


async def _pg_index_columns(conn: Any, index: int) -> tuple[Any, ...]:
    rows = await conn.fetch(
        """SELECT pg_get_indexdef(i.indexrelid, k.n, true) AS col,
                  (i.indoption[k.n - 1] & 1) = 1 AS descending, co.collname
           FROM pg_index i CROSS JOIN LATERAL generate_series(1, i.indnkeyatts::int) k(n)
           LEFT JOIN pg_collation co ON co.oid = i.indcollation[k.n - 1]
           WHERE i.indexrelid = $1 ORDER BY k.n""", index)
    return tuple((r["col"].strip('"'), r["descending"], _collation(r["collname"]))
                 for r in rows)


def differences(expected: Schema, actual: Schema) -> list[str]:
    """Where ``actual`` (PostgreSQL) differs from ``expected`` (SQLite), one line each."""
    found = []
    for kind in ("tables", "indexes"):
        for name in sorted(expected[kind].keys() | actual[kind].keys()):
            want, got = expected[kind].get(name), actual[kind].get(name)
            if want is None or got is None:
                found.append(f"{kind[:-1]} {name}: only in "
                             f"{'PostgreSQL' if want is None else 'SQLite'}")
            elif kind == "indexes" and want != got:
                found.append(f"index {name}: SQLite {want} != PostgreSQL {got}")
            elif kind == "tables":
                for key in want:
                    if key == "columns":
                        for column in sorted(want[key].keys() | got[key].keys()):
                            a, b = want[key].get(column), got[key].get(column)
                            if a != b:
                                found.append(f"column {name}.{column}: SQLite {a} != "
                                             f"PostgreSQL {b}")
                    elif want[key] != got[key]:
                        found.append(f"{name} {key}: SQLite {want[key]} != PostgreSQL {got[key]}")
    return found
