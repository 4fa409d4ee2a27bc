"""Retention and erasure: every copy of what a person told us goes; the audit stays.

``purge`` runs at start and hourly (and ``casecheck retention purge``): past the
retention cutoff it deletes transcripts, blanks inbox and outbox bodies and
addresses, resets idle conversations, drops the phone-to-person links (contacts)
of people with nothing open, blanks resolved escalations and deletes their staff
notes, and erases the recipient numbers of finished campaigns. Attempt rows (keys
stored hashed) go once their rate-limit window is over.

``forget_person`` does all of that at once for one person who asks the bot to
forget them; it closes their open lawyer request (staff see why in its history).
What stays: the person row with no contact (so escalations keep their history),
the audit of each disclosure with its case but without the person, the opt-out
(we must never text a number that said STOP), and hashed attempt counts until
their window ends.

``RULES`` names every column that can hold personal data and the rule that
removes it; ``NOT_PERSONAL`` names the rest. A test fails when a table or column
appears in the schema that is in neither.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import Database, Tx, attempts

REGISTRY = "registry data: replaced or removed by the operator's registry import"
PURGE = "purge: past the retention cutoff; forget me: at once"
ATTEMPTS = "stored as a hash; deleted once the rate-limit window is over"

RULES: dict[str, str] = {
    **{f"cases.{c}": REGISTRY for c in (
        "docket_number", "docket_display", "court", "last_name", "last_name_key",
        "first_name", "first_name_key", "date_of_birth", "phone", "language",
        "notice_code_hash", "person_ref")},
    "contacts.address": "purge: of people with no activity since the cutoff and nothing "
                        "open; forget me: at once",
    "conversations.slots": PURGE,
    "messages.body": PURGE,
    "people.verified_case_id": PURGE,
    "inbox.address": PURGE,
    "inbox.body": PURGE,
    "inbox.notice_code": "only a hash is ever stored; " + PURGE,
    "outbox.address": PURGE + " (once sent)",
    "outbox.body": PURGE + " (once sent)",
    "outbox.options": PURGE + " (once sent)",
    "outbox.more": PURGE + " (once sent)",
    "escalations.address": "purge: once resolved and past the cutoff; forget me: at once",
    "escalations.summary": "purge: once resolved and past the cutoff; forget me: at once",
    "escalations.candidates": "purge: once resolved and past the cutoff; forget me: at once",
    "escalation_notes.body": "purge: of resolved escalations, past the cutoff; "
                             "forget me: at once",
    "outreach_recipients.address": "purge: once the campaign has finished and the cutoff "
                                   "passed; forget me: at once for finished campaigns",
    "lookup_attempts.key": ATTEMPTS,
    "login_attempts.key": ATTEMPTS,
    "audit.person_id": "kept (who saw what); forget me removes the link to the person",
    "optouts.address": "kept: an opt-out must outlive everything else (never text again)",
    "users.email": "staff accounts, kept while the account exists",
}

NOT_PERSONAL: frozenset[str] = frozenset({
    "schema_version.*", "telegram_meta.*", "telegram_alerts.*", "sessions.*",
    "provider_status_early.*", "outreach_status_early.*", "escalation_events.*",
    "campaigns.*",  # the advocates' texts and filters, no recipient
    "leaders.*", "send_rates.*",  # which instance leads ('host:pid'), pacer schedules
    "audit.id", "audit.at", "audit.actor", "audit.action", "audit.outcome", "audit.case_id",
    "audit.detail",  # never personal data, by rule (bot.storage.audit)
    "cases.id", "cases.lab", "cases.status", "cases.status_date", "cases.phone_wrong",
    "cases.imported_at",
    "contacts.id", "contacts.person_id", "contacts.channel", "contacts.unreachable",
    "contacts.created_at",
    "conversations.person_id", "conversations.step", "conversations.awaiting",
    "conversations.last_channel", "conversations.updated_at",
    "messages.id", "messages.person_id", "messages.direction", "messages.channel",
    "messages.author", "messages.created_at",
    "people.id", "people.locale", "people.locale_chosen", "people.created_at",
    "people.updated_at",
    "inbox.id", "inbox.channel", "inbox.provider_id", "inbox.language_hint",
    "inbox.media_count", "inbox.status", "inbox.received_at", "inbox.processed_at",
    "inbox.attempts", "inbox.claimed_by", "inbox.claimed_until",  # a worker id, a lease
    "outbox.id", "outbox.channel", "outbox.status", "outbox.provider_id", "outbox.attempts",
    "outbox.next_attempt_at", "outbox.error_code", "outbox.person_id", "outbox.inbox_id",
    "outbox.campaign_id", "outbox.author", "outbox.kind", "outbox.created_at",
    "outbox.updated_at", "outbox.claimed_by", "outbox.claimed_until",  # a worker id, a lease
    "escalations.id", "escalations.ref", "escalations.person_id", "escalations.channel",
    "escalations.locale", "escalations.reason", "escalations.case_id", "escalations.status",
    "escalations.claimed_by", "escalations.created_at", "escalations.updated_at",
    "escalations.person_wrote_at", "escalations.after_hours_told",
    "escalation_notes.id", "escalation_notes.escalation_id", "escalation_notes.author",
    "escalation_notes.at",
    "outreach_recipients.id", "outreach_recipients.campaign_id", "outreach_recipients.channel",
    "outreach_recipients.case_id", "outreach_recipients.locale", "outreach_recipients.state",
    "outreach_recipients.reason", "outreach_recipients.provider_id",
    "outreach_recipients.attempts", "outreach_recipients.next_attempt_at",
    "outreach_recipients.attempted_at", "outreach_recipients.sent_at",
    "outreach_recipients.done_at", "outreach_recipients.replied_at",
    "outreach_recipients.created_at",
    "lookup_attempts.id", "lookup_attempts.success", "lookup_attempts.at",
    "login_attempts.id", "login_attempts.success", "login_attempts.at",
    "optouts.channel", "optouts.reason", "optouts.at",
    "users.id", "users.role", "users.password_hash", "users.disabled", "users.created_at",
})

# Attempt rows are kept at least this long whatever the retention period: they are
# hashed, and dropping them early would lift a lockout.
ATTEMPTS_KEPT = dt.timedelta(hours=48)
FINISHED = ("done", "cancelled")


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Purged:
    messages: int
    inbox: int
    outbox: int
    sms_more: int  # MORE pages (outbox.more)
    other: int = 0  # conversations, contacts, escalations, notes, recipients, attempts

    def total(self) -> int:
        return self.messages + self.inbox + self.outbox + self.sms_more + self.other


async def purge(db: Database, cutoff: str) -> Purged:
    """Erase what is older than ``cutoff`` (an ISO timestamp; see the module docstring).
    Attempt rows are kept ``ATTEMPTS_KEPT`` longer, whatever the cutoff."""
    attempts_before = _iso(dt.datetime.fromisoformat(cutoff) - ATTEMPTS_KEPT)
    async with db.transaction() as tx:
        messages = await tx.execute("DELETE FROM messages WHERE created_at < ?", (cutoff,))
        inbox = await tx.execute(
            "UPDATE inbox SET body='', address='', notice_code=NULL"
            " WHERE status <> 'pending' AND received_at < ? AND address <> ''", (cutoff,))
        more = await tx.execute(
            "UPDATE outbox SET more=NULL WHERE more IS NOT NULL AND updated_at < ?", (cutoff,))
        outbox = await tx.execute(
            "UPDATE outbox SET body='', options='[]', address=''"
            " WHERE status NOT IN ('pending','sending') AND created_at < ? AND address <> ''",
            (cutoff,))
        other = 0
        for sql in _PURGE_OTHER:
            other += await tx.execute(sql, (cutoff,))
        for table in ("lookup_attempts", "login_attempts"):
            other += await tx.execute(f"DELETE FROM {table} WHERE at < ?", (attempts_before,))
    return Purged(messages, inbox, outbox, more, other)


# Statements past the cutoff (?1), in order: people and contacts are found through the
# conversations still to reset, which the last statement resets.
_IDLE = ("SELECT person_id FROM conversations"
         " WHERE (slots <> '{}' OR step IS NOT NULL) AND updated_at < ?1")
_PURGE_OTHER = (
    f"UPDATE people SET verified_case_id=NULL WHERE id IN ({_IDLE})",
    f"""DELETE FROM contacts WHERE person_id IN ({_IDLE})
        AND person_id NOT IN (SELECT person_id FROM escalations WHERE status <> 'resolved')""",
    f"UPDATE conversations SET slots='{{}}', step=NULL, awaiting=NULL"
    f" WHERE person_id IN ({_IDLE})",
    """DELETE FROM escalation_notes WHERE at < ?1 AND escalation_id IN
         (SELECT id FROM escalations WHERE status = 'resolved')""",
    """UPDATE escalations SET address='', summary='', candidates='[]'
        WHERE status = 'resolved' AND address <> '' AND updated_at < ?1""",
    """UPDATE outreach_recipients SET address = 'erased:' || id
        WHERE address NOT LIKE 'erased:%' AND campaign_id IN
          (SELECT id FROM campaigns WHERE state IN ('done','cancelled') AND finished_at < ?1)""",
)


@dataclass(frozen=True)
class Forgotten:
    """What ``forget_person`` closed: the references of the open lawyer requests."""
    closed_requests: tuple[str, ...]


@dataclass(frozen=True)
class Sender:
    """Who asks to be forgotten: the message being answered (its inbox row is still
    pending, and is blanked too) and their lookup-attempt key with its limit."""
    channel: str
    provider_id: str | None
    attempt_key: str
    max_attempts: int
    attempts_since: str


async def forget_person(tx: Tx, person_id: int, now: str,
                        sender: Sender | None = None) -> Forgotten:
    """Erase one person's data inside the caller's transaction (see the module
    docstring). The sender's attempt rows go too, unless the sender is locked out
    (forgetting must not lift a lockout): those stay, hashed, until the window ends."""
    contacts = "SELECT channel, address FROM contacts WHERE person_id=?"
    escalations = "SELECT id FROM escalations WHERE person_id=?"
    open_rows = await tx.fetchall(
        "SELECT id, ref FROM escalations WHERE person_id=? AND status <> 'resolved'"
        " ORDER BY id", (person_id,))
    for esc in open_rows:
        await tx.execute(
            "INSERT INTO escalation_events(escalation_id, actor, action, at)"
            " VALUES (?, 'person', 'forgotten', ?)", (esc["id"], now))
    await tx.execute("DELETE FROM messages WHERE person_id=?", (person_id,))
    await tx.execute(
        "UPDATE conversations SET slots='{}', step=NULL, awaiting=NULL, updated_at=?"
        " WHERE person_id=?", (now, person_id))
    await tx.execute("UPDATE people SET verified_case_id=NULL, updated_at=? WHERE id=?",
                       (now, person_id))
    blank_inbox = "UPDATE inbox SET body='', address='', notice_code=NULL"
    await tx.execute(
        f"{blank_inbox} WHERE status <> 'pending' AND (channel, address) IN ({contacts})",
        (person_id,))
    if sender is not None:
        if sender.provider_id is not None:
            await tx.execute(f"{blank_inbox} WHERE channel=? AND provider_id=?",
                               (sender.channel, sender.provider_id))
        await _forget_attempts(tx, sender)
    await tx.execute(
        "UPDATE outbox SET body='', options='[]', address='', more=NULL"
        f" WHERE status NOT IN ('pending','sending') AND (channel, address) IN ({contacts})",
        (person_id,))
    await tx.execute(
        "UPDATE outreach_recipients SET address = 'erased:' || id"
        f" WHERE (channel, address) IN ({contacts}) AND campaign_id IN"
        " (SELECT id FROM campaigns WHERE state IN ('done','cancelled'))", (person_id,))
    await tx.execute(f"DELETE FROM escalation_notes WHERE escalation_id IN ({escalations})",
                       (person_id,))
    await tx.execute(
        "UPDATE escalations SET summary='', candidates='[]', address='', status='resolved',"
        " updated_at=? WHERE person_id=?", (now, person_id))
    await tx.execute("UPDATE audit SET person_id=NULL WHERE person_id=?", (person_id,))
    await tx.execute("DELETE FROM contacts WHERE person_id=?", (person_id,))
    closed = tuple(str(esc["ref"]) for esc in open_rows)
    await tx.execute(
        "INSERT INTO audit(at, actor, action, outcome, detail) VALUES (?,?,?,?,?)",
        (now, "bot", "forget", "erased", f"closed requests={len(closed)}"))
    return Forgotten(closed)


async def _forget_attempts(tx: Tx, sender: Sender) -> None:
    key = attempts.stored_key(sender.attempt_key)
    row = await tx.fetchone("SELECT COUNT(*) FROM lookup_attempts"
                      " WHERE key=? AND success=0 AND at>=?", (key, sender.attempts_since))
    if row is None or int(row[0]) < sender.max_attempts:
        await tx.execute("DELETE FROM lookup_attempts WHERE key=?", (key,))
