"""One frozen dataclass per config section: a field per ``Setting``, in the same order.

Defaults, environment names and coercion come from ``bot.config.SETTINGS``; the
fields give mypy the types. A section whose values need parsing parses them in
``__post_init__`` into fields of its own (``init=False``): a bad time zone or
office hours stops start-up, and nothing parses them again per message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from .config_error import ConfigError
from .hours import OfficeHours, QuietHours, zone

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _derive(section: object, **values: object) -> None:
    """Set a frozen section's parsed fields (``field(init=False)``)."""
    for name, value in values.items():
        object.__setattr__(section, name, value)


def _parsed() -> Any:
    return field(init=False, repr=False, compare=False)


@dataclass(frozen=True)
class Storage:
    path: str
    url: str
    retention_days: int


@dataclass(frozen=True)
class Organization:
    name: str
    phone: str
    website: str
    office_hours: str
    timezone: str
    phone_region: str
    zone: ZoneInfo = _parsed()
    hours: OfficeHours = _parsed()

    def __post_init__(self) -> None:
        tz = zone(self.timezone, "[organization] timezone")
        _derive(self, zone=tz, hours=OfficeHours.parse(self.office_hours, tz))


@dataclass(frozen=True)
class Privacy:
    max_attempts: int
    attempt_window_hours: int
    allow_notice_code: bool
    require_last_name: bool
    name_typos: int


@dataclass(frozen=True)
class Dialogue:
    default_locale: str
    locales: tuple[str, ...]
    escalation_target_hours: int
    idle_timeout_hours: int


@dataclass(frozen=True)
class Content:
    pack: str


MAX_WORKERS = 16


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    workers: int

    def __post_init__(self) -> None:
        if not 0 <= self.workers <= MAX_WORKERS:
            raise ConfigError(f"[server] workers must be 0 to {MAX_WORKERS}")


@dataclass(frozen=True)
class Sms:
    enabled: bool
    account_sid: str
    auth_token: str
    from_number: str
    messaging_service_sid: str
    public_url: str
    api_base_url: str
    inbound_path: str
    status_path: str
    max_segments: int
    rate_per_second: float


@dataclass(frozen=True)
class WhatsApp:
    enabled: bool
    from_number: str
    inbound_path: str
    status_path: str
    rate_per_second: float
    window_hours: int
    reply_templates: Mapping[str, str]
    outreach_templates: Mapping[str, str]


@dataclass(frozen=True)
class Telegram:
    enabled: bool
    token: str
    mode: str
    base_url: str
    webhook_url: str
    secret_token: str
    staff_chat_id: int
    rate_per_second: float


@dataclass(frozen=True)
class Console:
    enabled: bool
    overdue_hours: int
    idle_minutes: int
    session_hours: int
    secure_cookies: bool
    trust_forwarded_for: bool
    login_max_failures: int
    login_max_failures_per_address: int
    login_window_minutes: int


@dataclass(frozen=True)
class Outreach:
    sms_rate_per_second: float
    telegram_rate_per_second: float
    cost_per_segment: float
    whatsapp_rate_per_second: float
    whatsapp_cost_per_message: float
    timezone: str
    quiet_start: str
    quiet_end: str
    max_attempts: int
    retry_seconds: float
    reply_window_days: int
    zone: ZoneInfo = _parsed()
    quiet: QuietHours = _parsed()

    def __post_init__(self) -> None:
        quiet = QuietHours(self.timezone, self.quiet_start, self.quiet_end)
        _derive(self, zone=quiet.tz, quiet=quiet)


@dataclass(frozen=True)
class Logging:
    level: str
    unsafe_debug: bool

    def __post_init__(self) -> None:
        if self.level.upper() not in LOG_LEVELS:
            raise ConfigError(f"[logging] level must be one of {', '.join(LOG_LEVELS)}")
