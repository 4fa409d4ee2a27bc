"""The staff console's SQL: accounts, sessions, sign-in limits, the escalation queue
and its live handoff, notes and history, registry search for staff, the audit listing.

Every staff action is written with its history event and its audit row in one
transaction. Times are ISO 8601 UTC strings, as everywhere in the database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..model import Reply
from ..registry.normalize import within_typos
from . import Database, Row, Tx, audit, outbox, people
from .records import Escalation

Row = Row

ROLES = ("admin", "staff", "advocate")
STATUSES = ("open", "claimed", "waiting", "resolved")
LIVE_STATUSES = ("claimed", "waiting")


# -- accounts ---------------------------------------------------------------

async def create_user(db: Database, email: str, role: str, password_hash: str, now: str,
                      actor: str) -> int | None:
    """The new user's id, or None if the email is taken."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "INSERT INTO users(email, role, password_hash, created_at) VALUES (?,?,?,?)"
            " ON CONFLICT DO NOTHING RETURNING id", (email, role, password_hash, now))
        if row is None:
            return None
        user_id = int(row[0])
        await audit.record(tx, now, actor, "user_created", detail=f"user={user_id} role={role}")
    return user_id


async def user_by_email(db: Database, email: str) -> Row | None:
    return await db.fetchone("SELECT * FROM users WHERE email=?", (email,))


async def user_by_id(db: Database, user_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM users WHERE id=?", (user_id,))


async def list_users(db: Database) -> list[Row]:
    return await db.fetchall(
        "SELECT id, email, role, disabled, created_at FROM users ORDER BY email")


async def user_emails(db: Database) -> dict[str, str]:
    """'staff:<id>' -> email, to show who did what."""
    rows = await db.fetchall("SELECT id, email FROM users")
    return {f"staff:{r['id']}": r["email"] for r in rows}


async def set_disabled(db: Database, user_id: int, disabled: bool, actor: str, now: str) -> bool:
    """Disable (and sign out everywhere) or re-enable an account."""
    async with db.transaction() as tx:
        changed = await tx.execute("UPDATE users SET disabled=? WHERE id=?",
                                 (int(disabled), user_id))
        if changed == 0:
            return False
        if disabled:
            await tx.execute("DELETE FROM sessions WHERE user_id=?", (user_id,))
        await audit.record(tx, now, actor, "user_disabled" if disabled else "user_enabled",
                           detail=f"user={user_id}")
    return True


async def set_password(db: Database, user_id: int, password_hash: str, keep_token_hash: str,
                       actor: str, now: str) -> None:
    """New password; every other session of the account ends."""
    async with db.transaction() as tx:
        await tx.execute("UPDATE users SET password_hash=? WHERE id=?",
                           (password_hash, user_id))
        await tx.execute("DELETE FROM sessions WHERE user_id=? AND token_hash!=?",
                           (user_id, keep_token_hash))
        await audit.record(tx, now, actor, "password_changed", detail=f"user={user_id}")


# -- sessions and sign-in limits -----------------------------------------------

async def create_session(db: Database, token_hash: str, user_id: int, csrf: str, now: str,
                         expires_at: str) -> None:
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM sessions WHERE expires_at<?", (now,))
        await tx.execute(
            "INSERT INTO sessions(token_hash, user_id, csrf, created_at, last_seen, expires_at)"
            " VALUES (?,?,?,?,?,?)", (token_hash, user_id, csrf, now, now, expires_at))
        await audit.record(tx, now, f"staff:{user_id}", "signed_in")


async def session_user(db: Database, token_hash: str) -> Row | None:
    return await db.fetchone(
        """SELECT s.token_hash, s.csrf, s.last_seen, s.expires_at,
                  u.id AS user_id, u.email, u.role, u.disabled
           FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash=?""",
        (token_hash,))


async def touch_session(db: Database, token_hash: str, now: str) -> None:
    await db.execute("UPDATE sessions SET last_seen=? WHERE token_hash=?", (now, token_hash))


async def end_session(db: Database, token_hash: str) -> None:
    await db.execute("DELETE FROM sessions WHERE token_hash=?", (token_hash,))


@dataclass(frozen=True)
class LoginLimits:
    """How many sign-ins per hashed key may be counted in the window (``since`` on)."""
    account_key: str
    address_key: str
    max_account: int
    max_address: int
    since: str


async def reserve_login(db: Database, limits: LoginLimits, now: str) -> list[int] | None:
    """Count and reserve one sign-in attempt for both keys in one transaction.

    Reading the count and writing the attempt together means N concurrent POSTs count
    as N: none can pass the check before the others are written. An attempt counts
    until ``finish_login`` marks it a success. A success resets only its own account
    (the owner proved the password); an address keeps counting, so signing in to
    one's own account buys no more guesses at others. Returns the reserved row ids,
    or None when a limit is reached (nothing is written then).
    """
    account = """SELECT COUNT(*) FROM login_attempts
                 WHERE key=? AND success=0 AND at>=?
                   AND id > COALESCE((SELECT MAX(id) FROM login_attempts
                                      WHERE key=?1 AND success=1), 0)"""
    address = "SELECT COUNT(*) FROM login_attempts WHERE key=? AND success=0 AND at>=?"
    async with db.transaction() as tx:
        for sql, key, limit in ((account, limits.account_key, limits.max_account),
                                (address, limits.address_key, limits.max_address)):
            row = await tx.fetchone(sql, (key, limits.since))
            if row is not None and int(row[0]) >= limit:
                return None
        ids = []
        for key in (limits.account_key, limits.address_key):
            row = await tx.fetchone(
                "INSERT INTO login_attempts(key, success, at) VALUES (?,0,?) RETURNING id",
                (key, now))
            ids.append(int(row[0]) if row else 0)
        return ids


async def finish_login(db: Database, attempt_ids: Sequence[int]) -> None:
    """A reserved attempt that signed in no longer counts against its keys."""
    marks = ",".join("?" * len(attempt_ids))
    await db.execute(f"UPDATE login_attempts SET success=1 WHERE id IN ({marks})",
                     tuple(attempt_ids))


# -- the escalation queue -----------------------------------------------------

@dataclass(frozen=True)
class QueueFilter:
    status: str = "active"  # active (not resolved), all, or one of STATUSES
    locale: str = ""
    channel: str = ""
    age: str = ""  # "", "overdue" (older than the target), "recent" (within it), "week"


def _queue_where(f: QueueFilter, overdue_before: str, week_before: str) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if f.status == "active":
        clauses.append("status != 'resolved'")  # matches the partial index escalations_active
    elif f.status in STATUSES:
        clauses.append("status = ?")
        params.append(f.status)
    if f.locale:
        clauses.append("locale = ?")
        params.append(f.locale)
    if f.channel:
        clauses.append("channel = ?")
        params.append(f.channel)
    if f.age == "overdue":
        clauses.append("created_at < ? AND status != 'resolved'")
        params.append(overdue_before)
    elif f.age == "recent":
        clauses.append("created_at >= ?")
        params.append(overdue_before)
    elif f.age == "week":
        clauses.append("created_at < ?")
        params.append(week_before)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


async def queue(db: Database, f: QueueFilter, *, overdue_before: str, week_before: str,
                limit: int, offset: int, count_cap: int = 5000) -> tuple[list[Row], int]:
    """One page of escalations (oldest first while unresolved) and how many match.

    The count stops at ``count_cap`` + 1 so that a huge backlog costs no more
    than a page (the page shows "more than N").
    """
    where, params = _queue_where(f, overdue_before, week_before)
    order = "DESC" if f.status in ("resolved", "all") else "ASC"
    rows = await db.fetchall(
        "SELECT id, ref, status, locale, channel, reason, claimed_by, created_at, updated_at,"
        " person_wrote_at, EXISTS(SELECT 1 FROM optouts o WHERE o.channel = escalations.channel"
        " AND o.address = escalations.address) AS opted_out"
        f" FROM escalations{where} ORDER BY created_at {order}, id {order}"
        " LIMIT ? OFFSET ?", [*params, limit, offset])
    total = await db.fetchone(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM escalations{where} LIMIT ?)",
        [*params, count_cap + 1])
    return rows, int(total[0]) if total else 0


async def overdue_count(db: Database, overdue_before: str) -> int:
    row = await db.fetchone(
        "SELECT COUNT(*) FROM escalations WHERE status != 'resolved' AND created_at < ?",
        (overdue_before,))
    return int(row[0]) if row else 0


async def escalation(db: Database, escalation_id: int) -> Escalation | None:
    return Escalation.maybe(await db.fetchone(
        """SELECT e.*, p.locale AS person_locale, p.verified_case_id
           FROM escalations e JOIN people p ON p.id = e.person_id WHERE e.id=?""",
        (escalation_id,)))


async def cases_by_ids(db: Database, ids: Sequence[int]) -> list[Row]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return await db.fetchall(f"SELECT * FROM cases WHERE id IN ({marks}) ORDER BY id", list(ids))


async def disclosed_cases(db: Database, person_id: int) -> list[Row]:
    """Every case the bot disclosed to this person (from the audit trail), in order."""
    return await db.fetchall(
        "SELECT * FROM cases WHERE id IN (SELECT case_id FROM audit WHERE person_id=?"
        " AND action='disclosure' AND case_id IS NOT NULL) ORDER BY id", (person_id,))


def candidate_ids(esc: Row) -> list[int]:
    try:
        ids = json.loads(esc["candidates"] or "[]")
    except ValueError:
        return []
    return [i for i in ids if isinstance(i, int)][:20]


async def notes(db: Database, escalation_id: int) -> list[Row]:
    return await db.fetchall(
        "SELECT author, body, at FROM escalation_notes WHERE escalation_id=? ORDER BY id",
        (escalation_id,))


async def events(db: Database, escalation_id: int) -> list[Row]:
    return await db.fetchall(
        "SELECT actor, action, at FROM escalation_events WHERE escalation_id=? ORDER BY id",
        (escalation_id,))


async def record_view(db: Database, esc: Row, actor: str, now: str) -> None:
    """Opening an escalation shows a transcript and case data: audit it."""
    async with db.transaction() as tx:
        await audit.record(tx, now, actor, "escalation_view", person_id=esc["person_id"],
                           case_id=esc["case_id"], detail=f"escalation={esc['id']}")


async def record_export(db: Database, esc: Row, actor: str, now: str) -> None:
    """Downloading a conversation takes a transcript out of the console: audit it."""
    async with db.transaction() as tx:
        await audit.record(tx, now, actor, "escalation_export", person_id=esc["person_id"],
                           case_id=esc["case_id"], detail=f"escalation={esc['id']}")


async def _event(tx: Tx, esc: Row, actor: str, action: str, now: str) -> None:
    await tx.execute(
        "INSERT INTO escalation_events(escalation_id, actor, action, at) VALUES (?,?,?,?)",
        (esc["id"], actor, action, now))
    await audit.record(tx, now, actor, f"escalation_{action}", person_id=esc["person_id"],
                       case_id=esc["case_id"], detail=f"escalation={esc['id']}")


async def claim(db: Database, esc: Row, actor: str, now: str) -> bool:
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE escalations SET status='claimed', claimed_by=?, updated_at=?"
            " WHERE id=? AND status != 'resolved'", (actor, now, esc["id"]))
        if changed == 0:
            return False
        await _event(tx, esc, actor, "claimed", now)
    return True


async def assign(db: Database, esc: Row, actor: str, assignee: str, now: str) -> bool:
    """Give a live escalation to a colleague; the event names them ("assigned:staff:3")."""
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE escalations SET status=CASE status WHEN 'open' THEN 'claimed' ELSE status"
            " END, claimed_by=?, updated_at=? WHERE id=? AND status != 'resolved'",
            (assignee, now, esc["id"]))
        if changed == 0:
            return False
        await tx.execute(
            "INSERT INTO escalation_events(escalation_id, actor, action, at) VALUES (?,?,?,?)",
            (esc["id"], actor, f"assigned:{assignee}", now))
        await audit.record(tx, now, actor, "escalation_assigned", person_id=esc["person_id"],
                           case_id=esc["case_id"], detail=f"escalation={esc['id']} to={assignee}")
    return True


async def mark_waiting(db: Database, esc: Row, actor: str, now: str) -> bool:
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE escalations SET status='waiting', updated_at=?"
            " WHERE id=? AND status='claimed' AND claimed_by=?", (now, esc["id"], actor))
        if changed == 0:
            return False
        await _event(tx, esc, actor, "waiting", now)
    return True


async def _send(tx: Tx, esc: Row, actor: str, text: str, now: str) -> None:
    """Queue a message to the person on their channel and put it in the transcript."""
    await outbox.enqueue(tx, esc["channel"], esc["address"], Reply(text), now,
                         person_id=esc["person_id"], author=actor, kind="staff")
    await people.add_message(tx, esc["person_id"], "out", esc["channel"], text, now,
                             author=actor)


async def reply(db: Database, esc: Row, actor: str, text: str, now: str, *,
                then_wait: bool) -> bool:
    """Send a staff reply; only the claimant of a live escalation may."""
    status = "waiting" if then_wait else "claimed"
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE escalations SET status=?, person_wrote_at=NULL, updated_at=?"
            " WHERE id=? AND status IN ('claimed','waiting') AND claimed_by=?",
            (status, now, esc["id"], actor))
        if changed == 0:
            return False
        await _send(tx, esc, actor, text, now)
        await _event(tx, esc, actor, "replied", now)
        if then_wait:
            await _event(tx, esc, actor, "waiting", now)
    return True


async def resolve(db: Database, esc: Row, actor: str, closing: str, now: str) -> bool:
    """Close the escalation and hand the person back to the bot with ``closing``."""
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE escalations SET status='resolved', person_wrote_at=NULL, updated_at=?"
            " WHERE id=? AND status != 'resolved'", (now, esc["id"]))
        if changed == 0:
            return False
        await _send(tx, esc, actor, closing, now)
        await _event(tx, esc, actor, "resolved", now)
    return True


async def add_note(db: Database, esc: Row, actor: str, body: str, now: str) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO escalation_notes(escalation_id, author, body, at) VALUES (?,?,?,?)",
            (esc["id"], actor, body, now))
        await _event(tx, esc, actor, "noted", now)


# -- the person's side of a live handoff -------------------------------------------

async def live_escalation(db: Database, person_id: int) -> Escalation | None:
    """The person's claimed or waiting escalation, if any: staff are talking with them."""
    return Escalation.maybe(await db.fetchone(
        "SELECT * FROM escalations"
        " WHERE person_id=? AND status IN ('claimed','waiting') ORDER BY id DESC LIMIT 1",
        (person_id,)))


async def staff_wrote_last(db: Database, person_id: int) -> bool:
    """Was the last message to the person a staff member's (not the bot's)?"""
    row = await db.fetchone(
        "SELECT author FROM messages WHERE person_id=? AND direction='out'"
        " ORDER BY id DESC LIMIT 1", (person_id,))
    return row is not None and str(row["author"] or "").startswith("staff:")


async def person_wrote(tx: Tx, escalation_id: int, now: str,
                       *, told_after_hours: bool) -> None:
    """The person answered in the thread: it is staff's turn again."""
    await tx.execute(
        """UPDATE escalations SET person_wrote_at=?, updated_at=?,
               status=CASE status WHEN 'waiting' THEN 'claimed' ELSE status END,
               after_hours_told=MAX(after_hours_told, ?)
           WHERE id=?""", (now, now, int(told_after_hours), escalation_id))
    await tx.execute(
        "INSERT INTO escalation_events(escalation_id, actor, action, at) VALUES (?,?,?,?)",
        (escalation_id, "person", "person_wrote", now))


async def take_console_outbox(db: Database, address: str, now: str) -> list[Row]:
    """Pending console-channel messages for ``address``, marked sent as they are handed over.

    An opt-out cancels them (except compliance messages), as the other channels do.
    """
    waiting = await db.fetchone(
        "SELECT 1 FROM outbox WHERE channel='console' AND address=? AND status='pending' LIMIT 1",
        (address,))
    if waiting is None:
        return []
    async with db.transaction() as tx:
        opted = await tx.fetchone(
            "SELECT 1 FROM optouts WHERE channel='console' AND address=?", (address,))
        if opted is not None:
            await tx.execute(
                "UPDATE outbox SET status='cancelled', updated_at=? WHERE channel='console'"
                " AND address=? AND status='pending' AND kind!='compliance'", (now, address))
        rows = await tx.fetchall(
            "UPDATE outbox SET status='sent', attempts=attempts+1, updated_at=?"
            " WHERE channel='console' AND address=? AND status='pending'"
            " RETURNING id, body, author, kind", (now, address))
    return sorted(rows, key=lambda r: r["id"])


# -- registry search and audit listing --------------------------------------------

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


async def escalations_of_cases(db: Database, case_ids: Sequence[int]) -> dict[int, list[Row]]:
    """Escalations that name each case (verified, or as a possible match), newest first."""
    if not case_ids:
        return {}
    marks = ",".join("?" * len(case_ids))
    rows = await db.fetchall(
        f"""SELECT e.id, e.ref, e.status, e.case_id AS case_id FROM escalations e
            WHERE e.case_id IN ({marks})
            UNION
            SELECT e.id, e.ref, e.status, j.value AS case_id FROM escalations e, json_each(
                CASE WHEN json_valid(e.candidates) THEN e.candidates ELSE '[]' END) j
            WHERE e.candidates != '[]' AND j.value IN ({marks})
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


async def audit_page(db: Database, *, actor: str = "", action: str = "", limit: int = 100,
                     offset: int = 0) -> tuple[list[Row], int]:
    clauses: list[str] = []
    params: list[Any] = []
    if actor:
        clauses.append("a.actor = ?")
        params.append(actor)
    if action:
        clauses.append("a.action = ?")
        params.append(action)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = await db.fetchall(
        "SELECT a.*, c.docket_display AS docket FROM audit a"
        f" LEFT JOIN cases c ON c.id = a.case_id{where} ORDER BY a.id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset])
    total = await db.fetchone(f"SELECT COUNT(*) FROM audit a{where}", params)
    return rows, int(total[0]) if total else 0
