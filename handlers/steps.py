"""The conversation's steps (``state.step``), PTB ConversationHandler style.

A leaf: every handler names the step it asks for with ``Step``; what each step
awaits, handles and asks, and which steps may follow it, are declared in
``handlers/flow.py`` (``STEPS``, ``TRANSITIONS``). The database stores the
value (a ``StrEnum`` is its string), so the names are the rows' names.
"""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    LANGUAGE = "language"
    MENU = "menu"
    LOOKUP_ID = "lookup_id"
    NOTICE_CODE = "notice_code"
    DOCKET_LAST_NAME = "docket_last_name"
    DOCKET_DOB = "docket_dob"
    NOTICE_DOB = "notice_dob"
    NAME_LAST = "name_last"
    NAME_FIRST = "name_first"
    NAME_DOB = "name_dob"
    NAME_OFFER = "name_offer"
    LOOKUP_FAILED = "lookup_failed"
    LOCKED = "locked"
    VERIFIED = "verified"
    TOPICS = "topics"
    TOPIC = "topic"
    OPTED_OUT = "opted_out"
    FORGET_CONFIRM = "forget_confirm"
    CLARIFY = "clarify"
    STOP_CONFIRM = "stop_confirm"
