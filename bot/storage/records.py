"""What the query modules return: one frozen dataclass per subject, never a driver row.

Attribute access is the API (``case.docket_number``). A record also reads like
the row it came from (``case["docket_number"]``, ``keys()``), so callers and
templates written against rows keep working while they move to attributes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from .engine import Row


class Record:
    """Base of the records: built from a row by column name."""

    _names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._names = ()  # filled on first use: the dataclass decorator runs after this

    @classmethod
    def _fields(cls) -> tuple[str, ...]:
        if not cls._names:
            cls._names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        return cls._names

    @classmethod
    def from_row(cls, row: Row) -> Self:
        present = set(row.keys())
        return cls(**{name: row[name] for name in cls._fields() if name in present})

    @classmethod
    def maybe(cls, row: Row | None) -> Self | None:
        return None if row is None else cls.from_row(row)

    @classmethod
    def all(cls, rows: list[Row]) -> list[Self]:
        """Records of rows with one set of columns (the columns are looked up once)."""
        if not rows:
            return []
        present = set(rows[0].keys())
        names = [name for name in cls._fields() if name in present]
        return [cls(**{name: row[name] for name in names}) for row in rows]

    def __getitem__(self, key: str | int) -> Any:
        return getattr(self, key if isinstance(key, str) else self._fields()[key])

    def keys(self) -> tuple[str, ...]:
        return self._fields()

    def __iter__(self) -> Iterator[Any]:
        return (getattr(self, name) for name in self._fields())


@dataclass(frozen=True)
class Case(Record):
    """A registry row: one case of one person."""
    id: int
    docket_number: str
    docket_display: str
    court: str
    last_name: str
    last_name_key: str
    first_name: str
    first_name_key: str
    date_of_birth: str
    lab: str
    status: str
    status_date: str | None
    phone: str | None
    phone_wrong: int
    language: str | None
    notice_code_hash: str | None
    imported_at: str
    person_ref: str | None


@dataclass(frozen=True)
class Escalation(Record):
    """A person handed to counsel. ``person_locale`` and ``verified_case_id`` come with
    the console's view of one escalation (``staff.escalation``)."""
    id: int
    ref: str
    person_id: int
    channel: str
    address: str
    locale: str
    reason: str
    case_id: int | None
    candidates: str  # JSON array of case ids
    summary: str
    status: str
    claimed_by: str | None
    created_at: str
    updated_at: str
    person_wrote_at: str | None
    after_hours_told: int
    person_locale: str | None = None
    verified_case_id: int | None = None


@dataclass(frozen=True)
class InboxMessage(Record):
    """A stored inbound message; ``person_id``: its sender's person, if known."""
    id: int
    channel: str
    provider_id: str
    address: str
    body: str
    language_hint: str | None
    media_count: int
    status: str
    received_at: str
    processed_at: str | None
    attempts: int
    notice_code: str | None
    claimed_by: str | None
    claimed_until: str | None
    person_id: int | None = None


@dataclass(frozen=True)
class OutboxRow(Record):
    """A queued reply or message; ``locale``: the recipient's language, when read for
    sending."""
    id: int
    channel: str
    address: str
    body: str
    options: str  # JSON
    status: str
    provider_id: str | None
    attempts: int
    next_attempt_at: str | None
    error_code: str | None
    person_id: int | None
    inbox_id: int | None
    campaign_id: int | None
    author: str | None
    kind: str
    created_at: str
    updated_at: str
    locale: str | None = None
