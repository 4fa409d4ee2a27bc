"""The numbered schema migrations, ``migrations/NNNN_name.sql`` (written for SQLite; the
PostgreSQL engine translates them: ``postgres_migrations``)."""

from __future__ import annotations

from importlib import resources


def migration_scripts() -> list[tuple[int, str, str]]:
    """(version, name, sql) for each ``migrations/NNNN_name.sql``, in order."""
    found = []
    for entry in resources.files("bot.storage.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)
