"""Registry search for staff: tolerant name matching, the escalations that name each
case, and the audit of what was searched (the fields, never the values).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..registry.normalize import within_typos
from . import Database, Row, audit


async def search_cases(db: Database, *, docket: str = "", last_name_key: str = "",
                       first_name_key: str = "", dob: str = "", limit: int = 50) -> list[Row]:
    """Registry rows matching every given key (at least one of docket, last name, dob).

    Names are tolerated as the bot tolerates them (keys fold case and accents; one
    typo in each name): exact matches come first.
    """
    if not (docket or last_name_key or dob):
        return []
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("docket_number", docket), ("date_of_birth", dob)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if not clauses:  # a name alone: the registry's last names within one typo
        keys = [r[0] for r in await db.fetchall(
            "SELECT DISTINCT last_name_key FROM cases WHERE length(last_name_key) BETWEEN ? AND ?",
            (len(last_name_key) - 1, len(last_name_key) + 1))
            if within_typos(last_name_key, r[0])]
        if not keys:
            return []
        clauses.append(f"last_name_key IN ({','.join('?' * len(keys))})")
        params += keys
    rows = await db.fetchall(
        f"SELECT * FROM cases WHERE {' AND '.join(clauses)}"
        " ORDER BY last_name_key, first_name_key, date_of_birth, id LIMIT ?",
        [*params, 20 * limit])
    found = [r for r in rows
             if (not last_name_key or within_typos(last_name_key, r["last_name_key"]))
             and (not first_name_key or within_typos(first_name_key, r["first_name_key"]))]
    found.sort(key=lambda r: (r["last_name_key"] != last_name_key if last_name_key else False,
                              r["first_name_key"] != first_name_key if first_name_key else False))
    return found[:limit]


# Escalations with each case of their candidate list (a JSON array of case ids), per
# engine: SQLite's json_each, PostgreSQL's jsonb_array_elements_text.
_CANDIDATES = {
    "sqlite": """SELECT e.id, e.ref, e.status, j.value AS case_id FROM escalations e, json_each(
                CASE WHEN json_valid(e.candidates) THEN e.candidates ELSE '[]' END) j
            WHERE e.candidates != '[]' AND j.value""",
    "postgresql": """SELECT e.id, e.ref, e.status, CAST(j.value AS BIGINT) AS case_id
            FROM escalations e, jsonb_array_elements_text(CASE WHEN e.candidates LIKE '[%'
                THEN CAST(e.candidates AS JSONB) ELSE CAST('[]' AS JSONB) END) AS j(value)
            WHERE e.candidates <> '[]' AND CAST(j.value AS BIGINT)""",
}


async def escalations_of_cases(db: Database, case_ids: Sequence[int]) -> dict[int, list[Row]]:
    """Escalations that name each case (verified, or as a possible match), newest first."""
    if not case_ids:
        return {}
    marks = ",".join("?" * len(case_ids))
    rows = await db.fetchall(
        f"""SELECT e.id, e.ref, e.status, e.case_id AS case_id FROM escalations e
            WHERE e.case_id IN ({marks})
            UNION
            {_CANDIDATES[db.dialect]} IN ({marks})
            ORDER BY id DESC""", [*case_ids, *case_ids])
    out: dict[int, list[Row]] = {}
    for row in rows:
        out.setdefault(int(row["case_id"]), []).append(row)
    return out


async def record_search(db: Database, actor: str, fields: Sequence[str], case_ids: Sequence[int],
                        now: str) -> None:
    """One audit row per search, naming the fields used (not their values) and each case shown."""
    async with db.transaction() as tx:
        await audit.record(tx, now, actor, "registry_search", outcome=str(len(case_ids)),
                           detail="by=" + ",".join(fields))
        for case_id in case_ids:
            await audit.record(tx, now, actor, "case_view", case_id=case_id,
                               detail="registry_search")
