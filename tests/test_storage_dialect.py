"""The query modules' SQL is written once, in the dialect both engines accept (see
``bot/storage/engine.py``): this rejects the SQLite-only forms in ``bot/storage/*.py``.
The migrations' DDL is exempt (the PostgreSQL engine translates it), and so is the
SQLite engine itself."""

from __future__ import annotations

import ast
import re
from pathlib import Path

STORAGE = Path(__file__).resolve().parent.parent / "bot" / "storage"
# The engines, the migrations translator and the SQLite-to-PostgreSQL copy (it reads
# one engine's catalogue and writes the other's) speak their own dialects.
ENGINE_OWN = {"sqlite_engine.py", "engine.py", "postgres_engine.py", "postgres_migrations.py",
              "sqlite_to_postgres.py", "copy_to_postgres.py"}

SQLITE_ONLY = {
    r"\bINSERT\s+OR\s+(IGNORE|REPLACE)\b": "INSERT ... ON CONFLICT ... DO NOTHING/UPDATE",
    r"\bREPLACE\s+INTO\b": "INSERT ... ON CONFLICT ... DO UPDATE",
    r"\b(julianday|datetime|strftime|unixepoch)\s*\(": "a timestamp computed in Python",
    r"\b(date|time)\s*\(\s*'now'": "a timestamp computed in Python",
    r"\bgroup_concat\s*\(": "rows grouped in Python",
    r"\b(json_each|json_valid|json_extract)\s*\(": "JSON decoded in Python",
    r"\b(ifnull|iif|instr|printf|char)\s*\(": "COALESCE / CASE / portable functions",
    r"\bIS\s+NOT\s+(?!NULL\b|TRUE\b|FALSE\b)\S+": "(x IS NULL OR x <> y)",
    r"\bIS\s+(?!NOT\b|NULL\b|TRUE\b|FALSE\b)\S+": "(x IS NULL AND y IS NULL) OR x = y",
    r"\bGLOB\b": "LIKE",
    r"\bsqlite_(master|schema|sequence)\b": "the engine's own catalogue (an engine method)",
    r"\b(PRAGMA|ATTACH|DETACH)\b": "Database.configure (engine-specific, named as such)",
    r"\blastrowid\b": "RETURNING id",
}
# Engine-specific statements that go through ``Database.configure`` on purpose: the
# registry import stages a file in an attached SQLite database (PostgreSQL: COPY).
# And the console's registry search reads escalations' candidate lists (JSON arrays) with
# json_each: PostgreSQL needs jsonb_array_elements_text there (or a candidates table).
ALLOWED = {("cases.py", "ATTACH"), ("cases.py", "DETACH"), ("cases.py", "PRAGMA"),
           ("cases.py", "sqlite_master"), ("registry_search.py", "json_each"),
           ("registry_search.py", "json_valid")}


def sql_strings(path: Path) -> list[tuple[int, str]]:
    """Each string constant (and f-string's literal parts) that looks like SQL."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
            for part in node.values}  # read with their f-string
    skip |= {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}  # docs
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values
                           if isinstance(v, ast.Constant) and isinstance(v.value, str))
        else:
            continue
        if re.search(r"\b(SELECT|INSERT|UPDATE|DELETE|PRAGMA|ATTACH|DETACH|WHERE)\b", text):
            found.append((node.lineno, text))
    return found


def offences(path: Path) -> list[str]:
    bad = []
    for lineno, text in sql_strings(path):
        for pattern, instead in SQLITE_ONLY.items():
            for match in re.finditer(pattern, text, re.IGNORECASE):
                word = match.group(0).split("(")[0].split()[0]
                if (path.name, word) not in ALLOWED:
                    bad.append(f"{path.name}:{lineno}: {match.group(0)!r} -> {instead}")
    return bad


def test_the_query_modules_use_only_sql_both_engines_accept():
    modules = [p for p in sorted(STORAGE.glob("*.py")) if p.name not in ENGINE_OWN]
    assert len(modules) > 10
    assert [o for path in modules for o in offences(path)] == []


def test_the_check_can_fail(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('Q = "INSERT OR IGNORE INTO t SELECT group_concat(x) FROM u"\n'
                      'R = f"SELECT julianday({1}) FROM t WHERE a IS NOT ?"\n')
    assert len(offences(sample)) == 4
