"""One person, several contacts: linking a Telegram chat to the SMS number of a case.

When someone on Telegram proves who they are with a notice code (printed on a
letter or sent to the phone on file), the SMS contact at the case's phone
number is the same person: the two contacts are joined under the Telegram
person, so language, conversation state and opt-out are shared from then on.
A number marked wrong is never linked (phones change hands).

Opt-outs stay recorded per (channel, address), but a "stop" on one linked
contact holds for all of the person's contacts (``opted_out_clause``); a
"wrong number" only concerns that number.
"""

from __future__ import annotations

from ..channels.registry import BUILTIN, SMS
from . import Tx, audit
from .people import State

LINKING_CHANNELS = BUILTIN.linking()
PHONE_CHANNELS = BUILTIN.phone_channels()  # contacts addressed by phone number


def opted_out_clause(channel: str, address: str) -> str:
    """SQL, true when the contact (channel, address) may not get messages: it opted
    out, or another contact of the same person did (except 'wrong_number').

    ``channel`` and ``address`` are SQL expressions (``?`` or column names);
    with ``?`` the caller passes (channel, address) twice.
    """
    return f"""(EXISTS (SELECT 1 FROM optouts oo
                        WHERE oo.channel = {channel} AND oo.address = {address})
       OR EXISTS (SELECT 1 FROM contacts me
                  JOIN contacts other ON other.person_id = me.person_id AND other.id != me.id
                  JOIN optouts oo ON oo.channel = other.channel AND oo.address = other.address
                  WHERE me.channel = {channel} AND me.address = {address}
                    AND oo.reason != 'wrong_number'))"""


async def opt_in_person(tx: Tx, channel: str, address: str) -> None:
    """Opting back in on one contact lifts the other contacts' 'stop' as well."""
    await tx.execute(
        """DELETE FROM optouts WHERE reason != 'wrong_number' AND (channel, address) IN (
             SELECT other.channel, other.address FROM contacts me
             JOIN contacts other ON other.person_id = me.person_id
             WHERE me.channel = ? AND me.address = ?)""", (channel, address))


async def link_case_phone(tx: Tx, state: State, channel: str,
                          case_id: int, now: str) -> int | None:
    """Join the SMS contact at the case's phone to the person in ``state``.

    Runs in the turn's transaction, before the state is saved: the SMS
    person's contacts, transcript and escalations move to this person; their
    explicit language choice is kept if this person has made none. Returns
    the id of the person merged in (left without contacts), or None.
    """
    if channel not in LINKING_CHANNELS:
        return None
    case = await tx.fetchone(
        "SELECT phone FROM cases WHERE id=? AND phone_wrong=0", (case_id,))
    if case is None or not case["phone"]:
        return None
    other = await tx.fetchone(
        """SELECT p.id, p.locale, p.locale_chosen FROM contacts c
           JOIN people p ON p.id = c.person_id
           WHERE c.channel = ? AND c.address = ?""", (SMS.name, case["phone"]))
    if other is None or other["id"] == state.person_id:
        return None
    merged = int(other["id"])
    for table in ("contacts", "messages", "escalations", "outbox", "audit"):
        await tx.execute(f"UPDATE {table} SET person_id=? WHERE person_id=?",
                           (state.person_id, merged))
    await tx.execute("DELETE FROM conversations WHERE person_id=?", (merged,))
    if not state.locale_chosen and other["locale_chosen"] and other["locale"]:
        state.locale, state.locale_chosen = other["locale"], True
    await audit.record(tx, now, "bot", "link", "linked", person_id=state.person_id,
                       case_id=case_id, detail=f"merged person {merged}")
    return merged

