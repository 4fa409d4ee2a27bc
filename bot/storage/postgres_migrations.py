"""The numbered migrations (``migrations/NNNN_name.sql``, written for SQLite) applied to
PostgreSQL through ``sqlite_to_postgres``, tracked in ``schema_version`` as on SQLite.

Several instances may start at once: a session advisory lock lets one migrate while
the others wait, then find nothing left to do. Each migration is one transaction
(PostgreSQL DDL is transactional), recorded in the same transaction.
"""

from __future__ import annotations

from typing import Any

from bot.storage.migration_files import migration_scripts
from bot.storage.sqlite_to_postgres import NotPortable, translate_script

LOCK_KEY = 0x63617365_636B  # pg_advisory_lock key of the migrator ("caseck")
SCHEMA_VERSION = "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)"
# After a migration copies rows with their ids (SQLite's table rebuild: INSERT INTO
# new SELECT ... FROM old), an identity column's sequence would hand out those ids
# again; move each one past its column's largest id (never back: ids are not reused).
RESYNC_IDENTITIES = """DO $resync$ DECLARE r record; top bigint; used bigint; seq text; BEGIN
FOR r IN SELECT table_name AS t, column_name AS c FROM information_schema.columns
         WHERE table_schema = current_schema() AND is_identity = 'YES' LOOP
    EXECUTE format('SELECT MAX(%I) FROM %I', r.c, r.t) INTO top;
    CONTINUE WHEN top IS NULL;
    seq := pg_get_serial_sequence(quote_ident(r.t), r.c);
    EXECUTE format('SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END '
                   'FROM %s', seq) INTO used;
    IF top > used THEN PERFORM setval(seq, top, true); END IF;
END LOOP; END $resync$"""


def translated() -> list[tuple[int, list[str]]]:
    """Every migration as PostgreSQL statements; ``NotPortable`` names the file."""
    result = []
    for version, name, script in migration_scripts():
        try:
            result.append((version, translate_script(script)))
        except NotPortable as exc:
            raise NotPortable(f"{name}: {exc}") from exc
    return result


async def apply(conn: Any, statements: list[str]) -> None:
    """Translated statements, in order, inside the caller's transaction."""
    for statement in statements:
        await conn.execute(statement)
    if any(s.upper().startswith("INSERT") for s in statements):
        await conn.execute(RESYNC_IDENTITIES)


async def migrate(conn: Any) -> int:
    """Apply pending migrations on an asyncpg connection; the schema version."""
    await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
    try:
        await conn.execute(SCHEMA_VERSION)
        current = await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        for version, statements in translated():
            if version <= current:
                continue
            async with conn.transaction():
                await apply(conn, statements)
                await conn.execute("INSERT INTO schema_version(version) VALUES ($1)", version)
            current = version
        return int(current)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
