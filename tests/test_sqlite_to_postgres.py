"""The DDL translator on SQLite DDL beyond today's migrations: the same script gives the
same schema and the same behaviour on SQLite and on PostgreSQL, or is refused by name."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import asyncpg
import pytest

from bot.storage.postgres_engine import numbered
from bot.storage.postgres_migrations import apply
from bot.storage.sqlite_to_postgres import NotPortable, statements, translate_script
from tests.schema_support import differences, postgres_schema, sqlite_schema

SCRIPT = """
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS teams (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    [name] VARCHAR(40) NOT NULL COLLATE NOCASE UNIQUE,   -- a comment; with a ; in it
    score REAL DEFAULT 0.5,
    picture BLOB,
    amount NUMERIC DEFAULT -1,
    active INTEGER NOT NULL DEFAULT TRUE,
    created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    stamped TEXT DEFAULT (datetime('now')),
    CHECK (score >= 0)
);
CREATE TABLE members (
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    `login` TEXT NOT NULL,
    rank INTEGER,
    PRIMARY KEY (team_id, login)
) WITHOUT ROWID;
CREATE TABLE notes (n INTEGER, body TEXT, PRIMARY KEY (n));
CREATE UNIQUE INDEX IF NOT EXISTS members_rank ON members (team_id, rank DESC)
    WHERE rank IS NOT NULL;
CREATE INDEX teams_name ON teams (name COLLATE NOCASE);
ALTER TABLE members ADD COLUMN joined TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD note_id INTEGER REFERENCES notes(n) ON DELETE SET NULL;
CREATE TABLE log (id INTEGER PRIMARY KEY, what TEXT NOT NULL);
CREATE TRIGGER teams_logged AFTER INSERT ON teams FOR EACH ROW WHEN NEW.score > 1
BEGIN
    INSERT INTO log (what) VALUES ('big ' || NEW.name
                                   || CASE WHEN NEW.active == 1 THEN '!' ELSE '' END);
END;
CREATE TRIGGER no_negative_rank BEFORE UPDATE OF rank ON members
BEGIN
    SELECT RAISE(ABORT, 'rank must be positive') WHERE NEW.rank < 0;
END;
INSERT OR IGNORE INTO notes (n, body) VALUES (1, 'first');
INSERT OR IGNORE INTO notes (n, body) VALUES (1, 'again');
CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);
INSERT INTO tags (id, label) VALUES (7, 'seven');
-- SQLite's table rebuild, to change a constraint
CREATE TABLE tags_new (id INTEGER PRIMARY KEY, label TEXT NOT NULL DEFAULT '');
INSERT INTO tags_new (id, label) SELECT id, IFNULL(label, '') FROM tags;
DROP TABLE tags;
ALTER TABLE tags_new RENAME TO tags;
VACUUM;
"""

# (statement, parameters); each engine's outcome must be the same.
STEPS: list[tuple[str, tuple[Any, ...]]] = [
    ("INSERT INTO teams (name, score) VALUES (?, ?) RETURNING id", ("Alpha", 2)),
    ("INSERT INTO teams (name) VALUES (?) RETURNING id, score, amount, active", ("beta",)),
    # (PostgreSQL's identity spends an id on a failed insert: ids have gaps, never repeats)
    ("INSERT INTO teams (name, score) VALUES (?, ?) RETURNING id", ("ALPHA", 0)),
    ("SELECT name FROM teams WHERE name = ? ORDER BY id", ("BETA",)),
    ("INSERT INTO teams (name, score) VALUES (?, ?)", ("gamma", -1)),
    ("INSERT INTO members (team_id, login, rank) VALUES (?, ?, ?)", (1, "sam", 1)),
    ("UPDATE members SET rank = ? WHERE login = ?", (-5, "sam")),
    ("SELECT what FROM log ORDER BY id", ()),
    ("SELECT body FROM notes", ()),
    ("INSERT INTO tags (label) VALUES (?) RETURNING id", ("next",)),
    ("INSERT INTO tags (label) VALUES (NULL)", ()),
    ("DELETE FROM teams WHERE id = ?", (1,)),
    ("SELECT count(*) FROM members", ()),
]
TAIL = "DROP TRIGGER teams_logged;"
AFTER_TAIL: list[tuple[str, tuple[Any, ...]]] = [
    ("INSERT INTO teams (name, score) VALUES (?, ?)", ("delta", 9)),
    ("SELECT count(*) FROM log", ()),
]


def _outcome(exc: Exception) -> str:
    text = str(exc)
    if "UNIQUE" in text or "unique" in text:
        return "unique violation"
    if "CHECK" in text or "check constraint" in text:
        return "check violation"
    if "NOT NULL" in text or "not-null" in text:
        return "not null violation"
    return text


def on_sqlite(path: str, steps: list[tuple[str, tuple[Any, ...]]],
              tail: str = "") -> list[Any]:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA foreign_keys = ON")
    try:
        if tail:
            con.executescript(tail)
        results: list[Any] = []
        for sql, params in steps:
            try:
                results.append([tuple(r) for r in con.execute(sql, params).fetchall()])
            except sqlite3.Error as exc:
                results.append(_outcome(exc))
        return results
    finally:
        con.close()


async def on_postgres(conn: Any, steps: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
    results: list[Any] = []
    for sql, params in steps:
        try:
            rows = await conn.fetch(numbered(sql), *params)
            results.append([tuple(float(v) if hasattr(v, "as_integer_ratio")
                                  and not isinstance(v, int) else v for v in r) for r in rows])
        except asyncpg.PostgresError as exc:
            results.append(_outcome(exc))
    return results


async def test_a_general_sqlite_script_gives_the_same_schema_and_behaviour(tmp_path, pg_url):
    path = str(tmp_path / "g.db")
    con = sqlite3.connect(path)
    con.executescript(SCRIPT)
    con.close()
    conn = await asyncpg.connect(pg_url)
    try:
        async with conn.transaction():
            await apply(conn, translate_script(SCRIPT))
        assert differences(sqlite_schema(path), await postgres_schema(conn)) == []
        lite = on_sqlite(path, STEPS)
        pg = await on_postgres(conn, STEPS)
        assert pg == lite
        await apply(conn, translate_script(TAIL))
        assert await on_postgres(conn, AFTER_TAIL) == on_sqlite(path, AFTER_TAIL, TAIL)
        created = await conn.fetchval("SELECT created FROM teams WHERE name = 'beta'")
    finally:
        await conn.close()
    assert lite[0] == [(1,)] and lite[2] == "unique violation"  # NOCASE, on both
    assert lite[6] == "rank must be positive" and lite[7] == [("big Alpha!",)]
    assert lite[8] == [("first",)] and lite[9] == [(8,)]  # past the rebuilt table's ids
    assert lite[12] == [(0,)] and on_sqlite(path, AFTER_TAIL)[1] == [(1,)]  # trigger gone
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", created)  # SQLite's own format


def test_statements_split_on_semicolons_outside_literals_comments_and_trigger_bodies():
    found = statements(SCRIPT)
    assert [s[0].word for s in found][:4] == ["PRAGMA", "CREATE", "CREATE", "CREATE"]
    triggers = [s for s in found if len(s) > 1 and s[1].word == "TRIGGER"]
    assert len(triggers) == 2 and triggers[0][-1].word == "END"
    assert statements("INSERT INTO t VALUES ('a;b'); -- c;d\nSELECT 1")[0][-2].text == "'a;b'"


@pytest.mark.parametrize("sql, named", [
    ("INSERT OR REPLACE INTO t VALUES (1)", "ON CONFLICT"),
    ("REPLACE INTO t VALUES (1)", "REPLACE INTO"),
    ("CREATE TABLE t (a INTEGER UNIQUE ON CONFLICT REPLACE)", "ON CONFLICT REPLACE"),
    ("CREATE TABLE t (at DATETIME)", "DATETIME"),
    ("CREATE TABLE t (flag BOOLEAN)", "BOOLEAN"),
    ("CREATE TABLE t (anything)", "(none)"),
    ("CREATE VIRTUAL TABLE t USING fts5(body)", "virtual tables"),
    ("DELETE FROM t WHERE at < julianday('now') - 30", "julianday"),
    ("SELECT * FROM t WHERE a GLOB 'x*'", "GLOB"),
    ("CREATE INDEX i ON t (a COLLATE RTRIM)", "RTRIM"),
])
def test_what_has_no_faithful_translation_is_refused_by_name(sql, named):
    with pytest.raises(NotPortable, match=re.escape(named)):
        translate_script(sql)
