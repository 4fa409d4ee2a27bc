"""A turn whose handler raised: the person is told, staff get an escalation."""

from __future__ import annotations

import logging
import secrets
import traceback

from ..app import App
from ..clock import iso
from ..model import Inbound, Reply, Turn
from ..storage import Database, audit, escalations, inbox, outbox, people

log = logging.getLogger(__name__)


def where(exc: BaseException) -> str:
    """Exception type and the innermost frame: enough to debug, no message text
    (which might quote a person's words)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    place = "/".join(frames[-1].filename.replace("\\", "/").split("/")[-2:])
    return f"{type(exc).__name__} at {place}:{frames[-1].lineno}"


# No 0/O, 1/I/L: a reference people can read out on the phone (as handlers/lawyer.py).
_REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TURN_ERROR_REASON = "bot_error"


async def apologise(app: App, inbound: Inbound, error: BaseException, *,
                    inbox_id: int | None = None) -> Turn:
    """A turn whose handler raised (or kept raising): the person is told, in their
    language, that a person will look at it, and staff get an escalation (one open
    escalation per person). The transcript keeps the message and the apology, so
    staff can see what went wrong; the log names only the error's type and place.
    Returns the turn (the console prints it; other channels get it queued)."""
    db = app.db
    now = iso(app.clock())
    state = await people.get_or_create(db, inbound.channel, inbound.address, now)
    locale = state.locale or app.config.dialogue.default_locale
    reply = apology(app, locale)
    ref = None
    if await escalations.open_for_person(db, state.person_id) is None:
        ref = await _new_ref(db)
    async with db.transaction() as conn:
        writes = [people.message_write(state.person_id, "in", inbound.channel, inbound.text,
                                       now),
                  *people.reply_writes(state.person_id, inbound.channel, [reply.text], now)]
        if app.channels.queued(inbound.channel):
            writes += outbox.enqueue_writes(inbound.channel, inbound.address, [reply], now,
                                            person_id=state.person_id, inbox_id=inbox_id,
                                            kind="reply")
        await conn.run(writes)
        if inbox_id is not None:
            await inbox.mark_failed(conn, inbox_id, now)
        if ref is not None:
            await escalations.create(
                conn, ref=ref, person_id=state.person_id, channel=inbound.channel,
                address=inbound.address, locale=locale, reason=TURN_ERROR_REASON,
                case_id=None, candidates=(), now=now,
                summary=f"reason: {TURN_ERROR_REASON}; language: {locale}; "
                        f"last step: {state.step or 'start'}; error: {where(error)}")
        await audit.record(conn, now, "bot", "turn_failed", where(error),
                           person_id=state.person_id, detail=ref)
    log.error("turn failed (%s, %s): %s; apologised%s", inbound.channel,
              state.step or "start", where(error), ", escalated" if ref else "")
    return Turn([reply], state.awaiting, locale)


def apology(app: App, locale: str) -> Reply:
    return Reply(app.translator.gettext(
        locale, "Sorry, something went wrong. A person will look at it and reply."))


async def _new_ref(db: Database) -> str:
    while True:
        ref = "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))
        if not await escalations.ref_exists(db, ref):
            return ref
