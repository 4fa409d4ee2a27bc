"""Campaign operations shared by the CLI and the console: create, preview, launch,
pause, resume, cancel, test-send. Each checks its input and names the problem
(a msgid of the "outreach" catalog) instead of storing something half right."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..app import App
from ..channels import whatsapp_window
from ..channels.registry import SMS, TELEGRAM, WHATSAPP
from ..clock import iso
from ..config import ConfigError
from ..registry.normalize import normalize_phone
from ..storage import outreach as store
from ..storage.outreach import Audience
from . import countries, discretion
from . import texts as texts_mod
from .providers import Outcome, make_provider
from .sender import Sender
from .texts import N_, TextProblem

STATUSES = ("dismissed", "pending", "not_dismissed", "under_review")
MAX_NAME = 120
MAX_VALUES = 50
_LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Za-z0-9]{2,8})*", re.ASCII)
CAN_PAUSE = ("scheduled", "running")
CAN_CANCEL = ("draft", "scheduled", "running", "paused")
# How a state reads, the same words in the CLI and the console (msgids).
STATE_LABELS = {"draft": N_("Draft"), "scheduled": N_("Scheduled"), "running": N_("Sending"),
                "paused": N_("Paused"), "cancelled": N_("Cancelled"), "done": N_("Done")}
QUIET_HOURS = N_("Waiting: quiet hours")


Problem = TextProblem  # campaign input that cannot be used (a msgid and its kwargs)


@dataclass(frozen=True)
class Draft:
    name: str
    audience: Audience
    texts: dict[str, str]  # only the languages whose text differs from the default
    start_at: str | None  # UTC


def _values(raw: Iterable[str], what: str) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(v.strip() for v in raw if v and v.strip()))
    if len(values) > MAX_VALUES or any(len(v) > 200 for v in values):
        raise Problem(N_("Too many or too long values for {what}."), what=what)
    return values


def parse_start(value: str | None, zone: dt.tzinfo) -> str | None:
    """'' -> None (as soon as launched); 'YYYY-MM-DD HH:MM' in the outreach time zone,
    or ISO 8601 with an offset -> UTC."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        raise Problem(N_("The start time must look like 2026-12-01 10:00.")) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return iso(moment)


def validate(app: App, *, name: str, labs: Iterable[str] = (), statuses: Iterable[str] = (),
             courts: Iterable[str] = (), languages: Iterable[str] = (), channel: str = SMS.name,
             include_reached: bool = False, texts: Mapping[str, str] | None = None,
             start: str | None = None) -> Draft:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise Problem(N_("Give the campaign a name (at most {n} characters)."), n=str(MAX_NAME))
    status_values = _values(statuses, "status")
    if any(s not in STATUSES for s in status_values):
        raise Problem(N_("Unknown case status. Use: {statuses}."), statuses=", ".join(STATUSES))
    language_values = _values(languages, "language")
    if any(not _LANGUAGE.fullmatch(v) for v in language_values):
        raise Problem(N_("A language must be a code like en or es."))
    if channel not in store.CHANNELS:
        raise Problem(N_("The channel must be sms, telegram, any, whatsapp or mixed."))
    translator = app.translator
    kept: dict[str, str] = {}
    for locale, text in (texts or {}).items():
        if locale not in translator.locales:
            raise Problem(N_("No such language: {locale}."), locale=locale)
        text = text.replace("\r\n", "\n").strip()
        if text and text != texts_mod.default_text(translator, locale):
            texts_mod.check_placeholders(text)
            kept[locale] = text
    audience = Audience(labs=_values(labs, "lab"), statuses=status_values,
                        courts=_values(courts, "court"), languages=language_values,
                        channel=channel, include_reached=include_reached)
    return Draft(name, audience, kept, parse_start(start, app.config.outreach.zone))


async def create(app: App, draft: Draft, actor: str) -> int:
    return await store.create(app.db, draft.name, draft.audience, draft.texts, draft.start_at,
                              actor, iso(app.clock()))


async def update(app: App, campaign_id: int, draft: Draft, actor: str) -> bool:
    return await store.update_draft(app.db, campaign_id, draft.name, draft.audience,
                                    draft.texts, draft.start_at, actor, iso(app.clock()))


async def materialise(app: App, campaign_id: int) -> int:
    campaign = await store.get(app.db, campaign_id)
    assert campaign is not None
    audience = Audience.from_json(campaign["filters"])
    total = await store.materialise(
        app.db, campaign_id, audience, app.translator.locales,
        app.config.dialogue.default_locale, iso(app.clock()))
    if audience.channel == store.MIXED:  # numbers abroad by WhatsApp, the others by SMS
        home = app.config.organization.phone_region
        abroad = sorted({row["prefix"] for row in await store.phone_prefixes(app.db, campaign_id)
                         if countries.abroad(row["sample"], home)})
        await store.move_to_channel(app.db, campaign_id, abroad, SMS.name, WHATSAPP.name)
    return total


# -- preview -------------------------------------------------------------------

@dataclass
class LocalePreview:
    locale: str
    language: str
    text: str  # as sent by SMS (placeholders filled)
    edited: bool
    sms: int  # recipients by SMS
    telegram: int
    segments: int
    unicode: bool
    cost: float
    warnings: list[discretion.Warning] = field(default_factory=list)
    whatsapp: int = 0
    template: str | None = None  # the WhatsApp template (ContentSid) this locale sends


@dataclass(frozen=True)
class CountryPreview:
    country: str  # ISO 3166 code ('CV'), '??' when unknown
    channel: str  # sms | whatsapp
    recipients: int
    cost: float  # estimated, USD


@dataclass
class Preview:
    recipients: int
    cost: float
    locales: list[LocalePreview]
    countries: list[CountryPreview] = field(default_factory=list)

    @property
    def warnings(self) -> int:
        return sum(len(p.warnings) for p in self.locales)


async def preview(app: App, campaign_id: int) -> Preview:
    """Recipients, segments, cost and discretion warnings per language. A draft's
    audience is (re)computed first; afterwards the recipients are what they are."""
    campaign = await store.get(app.db, campaign_id)
    if campaign is None:
        raise Problem(N_("No such campaign."))
    if campaign["state"] == "draft":
        await materialise(app, campaign_id)
    counts: dict[str, dict[str, int]] = {}
    for row in await store.per_locale(app.db, campaign_id):
        counts.setdefault(row["locale"], {})[row["channel"]] = int(row["n"])
    stored = json.loads(campaign["texts"] or "{}")
    texts = texts_mod.campaign_texts(stored, app.translator)
    extra = (await store.distinct_values(app.db, "lab")
             + await store.distinct_values(app.db, "court"))
    org = app.config.organization.name
    cost_per_segment = app.config.outreach.cost_per_segment
    per_message = app.config.outreach.whatsapp_cost_per_message
    out = []
    for locale in app.translator.locales:
        sms_text = texts_mod.for_channel(texts_mod.fill(texts[locale], app.config), SMS.name)
        n = counts.get(locale, {})
        estimate = texts_mod.estimate(sms_text, n.get(SMS.name, 0), cost_per_segment)
        template = whatsapp_window.outreach_template(app.config, locale)
        out.append(LocalePreview(
            locale, app.translator.language_name(locale), sms_text, locale in stored,
            n.get(SMS.name, 0), n.get(TELEGRAM.name, 0), estimate.segments, estimate.unicode,
            estimate.cost + n.get(WHATSAPP.name, 0) * per_message,
            discretion.check(texts[locale], org, extra), n.get(WHATSAPP.name, 0),
            template.content_sid if template else None))
    by_locale = {p.locale: p for p in out}
    return Preview(sum(p.sms + p.telegram + p.whatsapp for p in out),
                   round(sum(p.cost for p in out), 2), out,
                   await _per_country(app, campaign_id, by_locale))


async def _per_country(app: App, campaign_id: int,
                       by_locale: Mapping[str, LocalePreview]) -> list[CountryPreview]:
    """Recipients and estimated cost per (country, channel) of the phone recipients."""
    totals: dict[tuple[str, str], list[float]] = {}
    per_segment = app.config.outreach.cost_per_segment
    per_message = app.config.outreach.whatsapp_cost_per_message
    for row in await store.phone_prefixes(app.db, campaign_id):
        shown = by_locale.get(row["locale"])
        each = (per_message if row["channel"] == WHATSAPP.name
                else per_segment * (shown.segments if shown else 1))
        key = (countries.country_of(row["sample"]), row["channel"])
        total = totals.setdefault(key, [0, 0.0])
        total[0] += row["n"]
        total[1] += row["n"] * each
    return [CountryPreview(country, channel, int(n), round(cost, 2))
            for (country, channel), (n, cost) in sorted(totals.items())]


# -- what a campaign reads as, and why it cannot send -------------------------------

def quiet_now(app: App) -> bool:
    return not app.config.outreach.quiet.allowed(app.clock())


def state_words(app: App, state: str) -> list[str]:
    """The state's label, and "Waiting: quiet hours" while a live campaign must wait."""
    words = [STATE_LABELS.get(state, state)]
    if state in CAN_PAUSE and quiet_now(app):
        words.append(QUIET_HOURS)
    return words


async def send_problem(app: App, campaign_id: int) -> Problem | None:
    """Why this campaign cannot send at all (a channel not set up, no one to reach), or None.

    Checked with the same provider set-up the sender uses, so a campaign is
    never launched to sit at 0% for ever.
    """
    channels = sorted({row["channel"] for row in await store.per_locale(app.db, campaign_id)
                       if int(row["n"])})
    if not channels:
        return Problem(N_("No one matches this campaign's audience: there is nothing to send."))
    for channel in channels:
        if (problem := channel_problem(app, channel)) is not None:
            return problem
    return None


def channel_problem(app: App, channel: str) -> Problem | None:
    """Why nothing can go out on ``channel`` (its set-up is missing), or None."""
    try:
        make_provider(channel, app.config, app.channels)
    except ConfigError as exc:
        # TRANSLATORS: {detail} is a technical English note naming configuration keys.
        return Problem(N_("This campaign cannot send: {detail}."), detail=str(exc))
    return None


# -- state changes ---------------------------------------------------------------

async def launch(app: App, campaign_id: int, actor: str) -> int | None:
    """Fix a draft's audience and schedule it; return the recipients (None: not a draft).

    Raises Problem, changing nothing, when the campaign could not send.
    """
    campaign = await store.get(app.db, campaign_id)
    if campaign is None or campaign["state"] != "draft":
        return None
    recipients = await materialise(app, campaign_id)
    problem = await send_problem(app, campaign_id)
    if problem is not None:
        raise problem
    if not await store.transition(app.db, campaign_id, ["draft"], "scheduled", actor,
                                  iso(app.clock())):
        return None
    return recipients


async def pause(app: App, campaign_id: int, actor: str) -> bool:
    return await store.transition(app.db, campaign_id, CAN_PAUSE, "paused", actor,
                                  iso(app.clock()))


async def resume(app: App, campaign_id: int, actor: str) -> bool:
    return await store.transition(app.db, campaign_id, ["paused"], "scheduled", actor,
                                  iso(app.clock()))


async def cancel(app: App, campaign_id: int, actor: str) -> bool:
    return await store.transition(app.db, campaign_id, CAN_CANCEL, "cancelled", actor,
                                  iso(app.clock()))


async def test_send(app: App, sender: Sender, campaign_id: int, locale: str, phone: str,
                    actor: str, *, channel: str = SMS.name) -> Outcome:
    """Send the campaign's text in ``locale`` to one number (the advocate's own; by
    WhatsApp: the locale's template), outside the campaign: no recipient row, an
    audit entry."""
    campaign = await store.get(app.db, campaign_id)
    if campaign is None:
        raise Problem(N_("No such campaign."))
    if locale not in app.translator.locales:
        raise Problem(N_("No such language: {locale}."), locale=locale)
    try:
        address = normalize_phone(phone, app.config.organization.phone_region)
    except ValueError:
        raise Problem(N_("That phone number does not look right.")) from None
    texts = texts_mod.campaign_texts(json.loads(campaign["texts"] or "{}"), app.translator)
    text = texts_mod.for_channel(texts_mod.fill(texts[locale], app.config), SMS.name)
    outcome = await sender.test_send(channel, address, text, locale=locale)
    await store.record_test_send(app.db, campaign_id, actor, outcome.kind, iso(app.clock()))
    return outcome
