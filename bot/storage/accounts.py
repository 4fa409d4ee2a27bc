"""Staff accounts of the console: users and roles, sessions, sign-in limits.

Every change to an account is audited in its transaction. Times are ISO 8601 UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import Database, Row, audit
from .locks import one_at_a_time

ROLES = ("admin", "staff", "advocate")


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
        await one_at_a_time(tx, (limits.account_key, limits.address_key))
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
