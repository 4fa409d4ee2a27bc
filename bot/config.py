"""Typed settings, each declared once: section, key, type, default, help.

Settings come from a TOML file (``--config PATH`` or ``CASECHECK_CONFIG``) and
from the environment (``CASECHECK_<SECTION>_<KEY>``, e.g.
``CASECHECK_SMS_AUTH_TOKEN``), which wins over the file so secrets need not
live in it. An unknown or badly typed key stops start-up with an error that
names the key and the file.

``SETTINGS`` is the one declaration: it gives the defaults, the environment
names, the coercion and ``config.example.toml`` (``python -m bot.config``
writes it). The frozen dataclasses of ``bot/config_sections.py`` give mypy a type for every
setting; ``tests/test_config.py`` fails when a field and a ``Setting`` disagree.
Values that need parsing (time zones, office and quiet hours) are parsed there,
once, when the config is built.
"""

from __future__ import annotations

import dataclasses
import os
import textwrap
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, get_type_hints

from .config_error import ConfigError
from .config_sections import (
    Console,
    Content,
    Dialogue,
    Logging,
    Organization,
    Outreach,
    Privacy,
    Server,
    Sms,
    Storage,
    Telegram,
    WhatsApp,
)

__all__ = ["SECTIONS", "SETTINGS", "Config", "ConfigError", "Setting", "load_config"]


@dataclass(frozen=True)
class Setting:
    section: str
    key: str
    type: type
    default: Any
    help: str
    secret: bool = False

    @property
    def env_name(self) -> str:
        return f"CASECHECK_{self.section}_{self.key}".upper()

    @property
    def name(self) -> str:
        return f"[{self.section}] {self.key}"


SETTINGS: list[Setting] = [
    # storage
    Setting("storage", "path", str, "casecheck.db", "SQLite database file (created owner-only)."),
    Setting("storage", "url", str, "",
            "PostgreSQL database as postgresql://user@host:port/db (empty: SQLite at path; "
            "better: CASECHECK_STORAGE_URL when it holds a password).", secret=True),
    Setting("storage", "retention_days", int, 365,
            "Delete message bodies and transcripts older than this many days (audit stays)."),
    # organisation the bot speaks for
    Setting("organization", "name", str, "Case Help Project (demo)",
            "Name used in HELP and handoff."),
    Setting("organization", "phone", str, "555-0100", "Phone number people can call."),
    Setting("organization", "website", str, "example.org/casehelp",
            "Web address (no scheme needed)."),
    Setting("organization", "office_hours", str, "Mon-Fri 9:00-17:00",
            "Office hours as 'Mon-Fri HH:MM-HH:MM' (days Mon..Sun)."),
    Setting("organization", "timezone", str, "America/New_York", "Time zone of the office hours."),
    Setting("organization", "phone_region", str, "US",
            "Country (ISO 3166 code) of phone numbers written without a country code, in the "
            "registry, outreach lists and test sends (\"(809) 555-0100\" needs \"DO\" to be "
            "Dominican)."),
    # privacy policy
    Setting("privacy", "max_attempts", int, 5,
            "Failed lookups allowed per sender and per docket number in the window."),
    Setting("privacy", "attempt_window_hours", int, 24, "Window for counting failed lookups."),
    Setting("privacy", "allow_notice_code", bool, True,
            "Allow a notice code + date of birth to verify a person."),
    Setting("privacy", "require_last_name", bool, True,
            "Require the last name (with docket number + date of birth) to disclose."),
    Setting("privacy", "name_typos", int, 1, "Typos tolerated in a last name (edit distance)."),
    # dialogue
    Setting("dialogue", "default_locale", str, "en", "Locale used before a person chooses."),
    Setting("dialogue", "locales", list, [], "Locales offered (empty: every shipped locale)."),
    Setting("dialogue", "escalation_target_hours", int, 24,
            "How soon staff aim to answer an escalation (business hours)."),
    Setting("dialogue", "idle_timeout_hours", int, 24,
            "Idle hours, then the menu (0: never): a conversation idle longer starts again there."),
    # content
    Setting("content", "pack", str, "massachusetts",
            "Content pack: a name shipped in locales/packs/ or a directory path."),
    # server
    Setting("server", "host", str, "127.0.0.1", "Address the web server listens on."),
    Setting("server", "port", int, 8080, "Port the web server listens on."),
    Setting("server", "workers", int, 1,
            "Worker processes (inbox -> dialogue -> outbox) beside the web process: one per "
            "core the web process leaves idle; 0 runs them in the web process (one core, "
            "least memory)."),
    # sms
    Setting("sms", "enabled", bool, False, "Serve the Twilio SMS channel."),
    Setting("sms", "account_sid", str, "", "Twilio account SID.", secret=True),
    Setting("sms", "auth_token", str, "", "Twilio auth token (better: CASECHECK_SMS_AUTH_TOKEN).",
            secret=True),
    Setting("sms", "from_number", str, "",
            "Sending number in E.164 (or use messaging_service_sid)."),
    Setting("sms", "messaging_service_sid", str, "", "Twilio messaging service SID."),
    Setting("sms", "public_url", str, "",
            "Public base URL Twilio calls (https://host), used to check signatures."),
    Setting("sms", "api_base_url", str, "https://api.twilio.com",
            "Twilio REST API base URL (a local fake in tests and staging)."),
    Setting("sms", "inbound_path", str, "/sms/inbound", "Path of the inbound SMS webhook."),
    Setting("sms", "status_path", str, "/sms/status", "Path of the SMS status callback."),
    Setting("sms", "max_segments", int, 3, "Most SMS segments in one reply before 'Reply MORE'."),
    Setting("sms", "rate_per_second", float, 1.0, "Outbound SMS messages per second, all senders."),
    # whatsapp (Twilio: account, token, public_url and api_base_url come from [sms])
    Setting("whatsapp", "enabled", bool, False,
            "Serve the WhatsApp channel (through Twilio). The Twilio account, auth token, "
            "public_url and api_base_url are the [sms] ones: set them even without SMS."),
    Setting("whatsapp", "from_number", str, "",
            "WhatsApp sender registered in Twilio, in E.164 (without 'whatsapp:')."),
    Setting("whatsapp", "inbound_path", str, "/whatsapp/inbound",
            "Path of the inbound WhatsApp webhook (set it as the sender's \"when a message "
            "comes in\")."),
    Setting("whatsapp", "status_path", str, "/whatsapp/status",
            "Path of the WhatsApp status callback (delivered, read, failed, ...)."),
    Setting("whatsapp", "rate_per_second", float, 10.0,
            "Outbound WhatsApp messages per second, all senders."),
    Setting("whatsapp", "window_hours", int, 24,
            "Free-form replies only this many hours after the person's last message "
            "(WhatsApp: 24)."),
    Setting("whatsapp", "reply_templates", dict, {},
            "Content SID (HX...) per locale of the approved template sent outside the window "
            "(\"{{1}} has a reply for you. Reply to this message to read it.\"; {{1}} = "
            "organisation). A locale without one uses the default locale's; with none, the "
            "reply is held until the person writes again. "
            "Example: reply_templates = { en = \"HX...\", es = \"HX...\" }"),
    Setting("whatsapp", "outreach_templates", dict, {},
            "Content SID (HX...) per locale of the approved template campaigns send "
            "({{1}} = organisation, {{2}} = its phone). "
            "Example: { en = \"HX...\", pt_BR = \"HX...\" }"),
    # telegram
    Setting("telegram", "enabled", bool, False, "Serve the Telegram channel."),
    Setting("telegram", "token", str, "",
            "Bot token from @BotFather (better: CASECHECK_TELEGRAM_TOKEN).",
            secret=True),
    Setting("telegram", "mode", str, "polling", "'polling' or 'webhook'."),
    Setting("telegram", "base_url", str, "https://api.telegram.org/bot",
            "Bot API base URL (a self-hosted server, or a local fake in tests)."),
    Setting("telegram", "webhook_url", str, "", "Public URL of /telegram/webhook (webhook mode)."),
    Setting("telegram", "secret_token", str, "", "Secret Telegram sends with each webhook call.",
            secret=True),
    Setting("telegram", "staff_chat_id", int, 0, "Chat that gets new-escalation alerts (0: none)."),
    Setting("telegram", "rate_per_second", float, 30.0, "Outbound Telegram messages per second."),
    # staff console (web)
    Setting("console", "enabled", bool, True, "Serve the staff web console at /console/."),
    Setting("console", "overdue_hours", int, 24,
            "An unresolved escalation older than this many hours is shown as overdue."),
    Setting("console", "idle_minutes", int, 30, "Sign staff out after this many idle minutes."),
    Setting("console", "session_hours", int, 12, "Longest a console session lasts."),
    Setting("console", "secure_cookies", bool, False,
            "Mark cookies Secure (set true when served over https, e.g. behind a TLS proxy)."),
    Setting("console", "trust_forwarded_for", bool, False,
            "Take the client address from X-Forwarded-For (only behind your own proxy)."),
    Setting("console", "login_max_failures", int, 5,
            "Failed sign-ins allowed per account in the window before it is locked."),
    Setting("console", "login_max_failures_per_address", int, 20,
            "Failed sign-ins allowed per client address in the window."),
    Setting("console", "login_window_minutes", int, 15, "Window for counting failed sign-ins."),
    # outreach campaigns
    Setting("outreach", "sms_rate_per_second", float, 1.0,
            "Campaign SMS per second (a long code sends about 1, toll-free 3, a short code 100)."),
    Setting("outreach", "telegram_rate_per_second", float, 25.0,
            "Campaign Telegram messages per second (Telegram allows about 30)."),
    Setting("outreach", "cost_per_segment", float, 0.0079,
            "Price of one SMS segment, for the cost estimate in the preview (USD)."),
    Setting("outreach", "whatsapp_rate_per_second", float, 10.0,
            "Campaign WhatsApp messages per second."),
    Setting("outreach", "whatsapp_cost_per_message", float, 0.03,
            "Price of one WhatsApp template message, for the cost estimate in the preview (USD)."),
    Setting("outreach", "timezone", str, "America/New_York",
            "Recipients' time zone for quiet hours. A number from another country than "
            "[organization] phone_region follows its own country's zone when it has one."),
    Setting("outreach", "quiet_start", str, "08:00",
            "Campaign messages are sent from this local time (HH:MM)..."),
    Setting("outreach", "quiet_end", str, "21:00", "...until this local time (HH:MM)."),
    Setting("outreach", "max_attempts", int, 6,
            "Attempts per recipient on transient errors (429, 5xx, network) before failing."),
    Setting("outreach", "retry_seconds", float, 2.0,
            "First wait after a transient error; it doubles with each attempt."),
    Setting("outreach", "reply_window_days", int, 30,
            "A message within this many days of a campaign message counts as a reply to it."),
    # logging
    Setting("logging", "level", str, "WARNING",
            "Level of casecheck's own log (DEBUG, INFO, WARNING, ERROR); it never holds "
            "personal data."),
    Setting("logging", "unsafe_debug", bool, False,
            "Let libraries log below WARNING too. UNSAFE: aiosqlite then logs every SQL "
            "parameter (names, dates of birth, phones) and the Telegram library the bot token."),
]

_BY_KEY = {(s.section, s.key): s for s in SETTINGS}
# The type a section's field has for a Setting's type (lists and tables read-only).
FIELD_TYPES: dict[type, object] = {str: str, int: int, float: float, bool: bool,
                                   list: tuple[str, ...], dict: Mapping[str, str]}


def _coerce(setting: Setting, value: Any, where: str) -> Any:
    if setting.type is bool:
        if isinstance(value, bool):
            return value
        words = {"1", "true", "yes", "on", "0", "false", "no", "off"}
        if isinstance(value, str) and value.lower() in words:
            return value.lower() in {"1", "true", "yes", "on"}
    elif setting.type is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif setting.type is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
    elif setting.type is list:
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
    elif setting.type is dict:
        if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
            return MappingProxyType({str(k): v for k, v in value.items()})
        if isinstance(value, str):  # from the environment: "en=HX1, es=HX2"
            pairs = [item.partition("=") for item in value.split(",") if item.strip()]
            if all(sep and k.strip() and v.strip() for k, sep, v in pairs):
                return MappingProxyType({k.strip(): v.strip() for k, _, v in pairs})
    elif isinstance(value, setting.type):
        return value
    raise ConfigError(
        f"{setting.name} in {where}: expected {setting.type.__name__}, got {value!r}"
    )


@dataclass(frozen=True)
class Config:
    """Resolved settings, one typed section each: ``config.sms.auth_token``."""

    storage: Storage
    organization: Organization
    privacy: Privacy
    dialogue: Dialogue
    content: Content
    server: Server
    sms: Sms
    whatsapp: WhatsApp
    telegram: Telegram
    console: Console
    outreach: Outreach
    logging: Logging
    source: str = "defaults"

    def replace(self, section: str, key: str, value: Any) -> Config:
        """A copy with one setting changed (and its section parsed again)."""
        setting = _BY_KEY[(section, key)]
        changed = dataclasses.replace(getattr(self, section),
                                      **{key: _coerce(setting, value, "override")})
        return dataclasses.replace(self, **{section: changed})

    def twilio_missing(self, channel: str, *, webhooks: bool) -> list[str]:
        """The settings Twilio needs for ``channel`` ('sms' or 'whatsapp') that are empty;
        ``public_url`` only to receive webhooks (its signatures are checked against it)."""
        keys = ("account_sid", "auth_token", "public_url") if webhooks else (
            "account_sid", "auth_token")
        missing = [f"[sms] {key}" for key in keys if not getattr(self.sms, key)]
        if channel == "whatsapp":
            if not self.whatsapp.from_number:
                missing.append("[whatsapp] from_number")
        elif not (self.sms.from_number or self.sms.messaging_service_sid):
            missing.append("[sms] from_number (or messaging_service_sid)")
        return missing


SECTIONS: dict[str, type] = {
    name: kind for name, kind in get_type_hints(Config).items() if name != "source"}


def _build(values: dict[tuple[str, str], Any], source: str) -> Config:
    sections = {}
    for name, kind in SECTIONS.items():
        keys = {k: v for (s, k), v in values.items() if s == name}
        sections[name] = kind(**keys)
    return Config(**sections, source=source)


def load_config(path: str | os.PathLike[str] | None = None,
                env: dict[str, str] | None = None) -> Config:
    """Read defaults, then the TOML file, then ``CASECHECK_*`` environment variables."""
    env = dict(os.environ) if env is None else env
    path = path or env.get("CASECHECK_CONFIG") or None
    values = {(s.section, s.key): _coerce(s, s.default, "defaults") for s in SETTINGS}
    source = "defaults"
    if path:
        p = Path(path)
        source = str(p)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {p}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{p}: not valid TOML: {exc}") from None
        for section, table in data.items():
            if not isinstance(table, dict):
                raise ConfigError(f"{p}: '{section}' must be a [section], not a value")
            for key, value in table.items():
                setting = _BY_KEY.get((section, key))
                if setting is None:
                    raise ConfigError(f"{p}: unknown setting [{section}] {key}")
                values[(section, key)] = _coerce(setting, value, str(p))
    for setting in SETTINGS:
        if setting.env_name in env:
            values[(setting.section, setting.key)] = _coerce(
                setting, env[setting.env_name], f"environment {setting.env_name}"
            )
    try:
        return _build(values, source)
    except ConfigError as exc:
        raise ConfigError(f"{exc} (in {source})") from None


# -- config.example.toml -------------------------------------------------------------

EXAMPLE_HEADER = """\
# casecheck configuration. Every setting, with its default.
# Use: casecheck --config casecheck.toml ...  (or CASECHECK_CONFIG=casecheck.toml)
# Any setting can also come from the environment as CASECHECK_<SECTION>_<KEY>,
# e.g. CASECHECK_SMS_AUTH_TOKEN: keep secrets there, not in this file.
"""


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return repr(value)


def example_toml() -> str:
    """``config.example.toml``: every setting with its help and default."""
    lines = [EXAMPLE_HEADER]
    section = ""
    for setting in SETTINGS:
        if setting.section != section:
            section = setting.section
            lines.append(f"\n[{section}]")
        lines.append(textwrap.fill(setting.help, width=90, initial_indent="# ",
                                   subsequent_indent="# ", break_on_hyphens=False))
        lines.append(f"{setting.key} = {_toml(setting.default)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(example_toml(), end="")
