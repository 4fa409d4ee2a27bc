"""Sending a campaign: at most once per person, at the configured rate, in daylight.

Life of a recipient: ``pending`` -> ``sending`` -> ``sent`` -> ``delivered`` |
``failed``; or ``skipped`` (opted_out, wrong_number, unreachable, cancelled).

- **At most once.** A recipient is marked 'sending' (in the transaction that
  also re-checks opt-outs and wrong numbers) *before* the provider is called.
  One process at a time sends a campaign (a lease in ``campaigns``, renewed
  while it runs; a holder on this host whose pid is gone is taken over at
  once, a live one on this host never; one on another host when its lease
  has expired). On start, rows left 'sending' by a dead sender are reconciled: the
  SMS provider is asked for messages to that number since the attempt; found
  -> 'sent' with its SID, not found -> back to 'pending'. Telegram cannot be
  asked, so those become 'failed' ('interrupted') rather than risk a second
  message.
- **Rate.** Each channel has its own ``Pacer`` (absolute time slots, never
  above the configured rate). Of several instances on one database, one
  sends campaigns at all, the leader (``bot/leadership.py``: a PostgreSQL
  advisory lock, taken over within a second or two of its process dying), so
  the rate holds for the deployment; the leader that finds it no longer leads
  stops within ``LEAD_SECONDS``. Recipients are claimed a short window ahead
  (``lead`` seconds of slots), sends run concurrently (bounded), results are
  written in group commits. Memory does not grow with the campaign: only the
  claimed window is held.
- **Quiet hours** (``[outreach] timezone``, ``quiet_start``, ``quiet_end``) on
  the App's clock, in the recipient's own time zone when the number is from
  another country than ``[organization] phone_region`` and that country (or
  area) has a single zone: a recipient claimed outside their hours is put
  back until their morning; while it is night at home, the SMS and WhatsApp
  lanes still send to recipients abroad whose day it is (Telegram waits).
- **Errors.** Transient (429, 5xx, network) -> back to 'pending' with an
  exponential backoff (``retry_seconds``, doubled per attempt) up to
  ``max_attempts``; a 429 also holds the channel's pacer. Twilio 21610 ->
  skipped + opt-out recorded; Telegram Forbidden -> skipped + unreachable.
- **Control.** The campaign's state is polled every ``poll`` seconds: pause or
  cancel stop new sends within a second, claimed-but-unsent recipients go
  back to 'pending'; resume continues from there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
from dataclasses import dataclass, field

from ..app import App
from ..clock import iso
from ..config import ConfigError
from ..leadership import Leadership, alive_here, runner_id
from ..pacing import Pacer
from ..storage import Row
from ..storage import outreach as store
from ..workers import Batcher, where
from . import countries
from . import texts as texts_mod
from .providers import Outcome, Provider, make_provider

log = logging.getLogger(__name__)

RECONCILE_SLACK = dt.timedelta(minutes=2)  # clock skew between us and the provider
RECORD_ATTEMPTS = 8  # then the row stays 'sending' and is reconciled with the provider
QUIET_WINDOW = 500  # recipients claimed at once while it is night at home (most wait)
LEADER = "outreach"  # one instance sends every campaign (``bot/leadership.py``)
LEAD_SECONDS = 1.0  # how often the leader confirms it still leads, the others ask


@dataclass
class _Run:
    """One campaign being sent by this process."""

    campaign_id: int
    texts: dict[str, dict[str, str]]  # channel -> locale -> rendered text
    default_locale: str
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def text(self, channel: str, locale: str) -> str:
        by_locale = self.texts[channel]
        return by_locale.get(locale) or by_locale[self.default_locale]

    async def sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` unless told to stop; True if stopped. (A pacing gap is
        short: a plain sleep, cheaper at 1,000 sends a second.)"""
        if 0 < seconds < 0.05:
            await asyncio.sleep(seconds)
        elif seconds > 0:
            try:
                await asyncio.wait_for(self.stop.wait(), seconds)
            except TimeoutError:
                pass
        return self.stop.is_set()


class Sender:
    def __init__(self, app: App, *, providers: dict[str, Provider] | None = None,
                 poll: float = 0.2, lead: float = 0.2, lease_seconds: float = 15.0,
                 max_in_flight: int = 64) -> None:
        cfg = app.config.outreach
        self.app = app
        self.cfg = cfg
        self.quiet = cfg.quiet
        self.channels = app.channels
        self.rates = self.channels.outreach_rates(app.config)  # the channels campaigns use
        self.home_region = app.config.organization.phone_region
        for channel, rate in self.rates.items():
            if rate <= 0:
                section, key = self.channels[channel].outreach_rate or ("outreach", channel)
                raise ConfigError(f"[{section}] {key} must be positive")
        self.poll = poll
        self.lead = lead
        self.lease_seconds = lease_seconds
        self.runner = runner_id()
        self.leadership = Leadership(app.db, LEADER, app.clock, holder=self.runner)
        self._providers: dict[str, Provider] = dict(providers or {})
        self._owned: list[Provider] = []
        self._slots = asyncio.Semaphore(max_in_flight)
        self._results: Batcher[store.Result, None] = Batcher(self._record)
        self._wake = asyncio.Event()
        self._stopping = False
        self._runs: dict[int, _Run] = {}

    # -- providers -----------------------------------------------------------------
    async def provider(self, channel: str) -> Provider:
        """The channel's provider, started on first use."""
        if channel not in self._providers:
            provider = make_provider(channel, self.app.config, self.channels)
            await provider.start()
            self._providers[channel] = provider
            self._owned.append(provider)
        return self._providers[channel]

    async def close(self) -> None:
        await self.leadership.resign()
        for provider in self._owned:
            await provider.stop()
        self._owned.clear()

    # -- service mode --------------------------------------------------------------
    def poke(self, campaign_id: int | None = None) -> None:
        """A campaign was launched, paused or resumed: look now, not at the next poll."""
        self._wake.set()
        run = self._runs.get(campaign_id) if campaign_id is not None else None
        if run is not None:
            run.stop.set()  # the run re-reads the campaign and goes on if it may

    async def run_forever(self) -> None:
        """Send every due campaign, one at a time, until ``stop``."""
        while not self._stopping:
            self._wake.clear()
            if not await self.leadership.lead():  # another instance sends campaigns
                await self._nap(LEAD_SECONDS)
                continue
            try:
                for campaign in await store.due(self.app.db, iso(self.app.clock())):
                    if self._stopping:
                        break
                    await self._run_isolated(campaign["id"])
            except Exception as exc:  # keep serving; the next poll tries again
                log.error("outreach sender: %s", where(exc))
            await self._nap(1.0)

    async def _nap(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass

    @property
    def stopping(self) -> bool:
        return self._stopping

    def stop(self) -> None:
        """Stop sending: claimed recipients are released, sends in flight finish."""
        self._stopping = True
        self._wake.set()
        for run in list(self._runs.values()):
            run.stop.set()

    async def _run_isolated(self, campaign_id: int) -> None:
        """One campaign that fails is paused (staff see it, audited) so that it cannot
        hold back every campaign after it by failing again on each poll."""
        try:
            await self.run_campaign(campaign_id)
        except Exception as exc:
            log.error("outreach campaign %d failed, pausing it: %s", campaign_id, where(exc))
            await store.transition(self.app.db, campaign_id, ["scheduled", "running"],
                                   "paused", "bot", iso(self.app.clock()))

    # -- one campaign --------------------------------------------------------------
    async def run_campaign(self, campaign_id: int) -> str:
        """Send a campaign until it is done, paused, cancelled, not yet due, or this
        sender stops; return the campaign's state then ('busy': another process
        is sending it)."""
        db = self.app.db
        campaign = await store.get(db, campaign_id)
        if campaign is None:
            return "missing"
        texts = self._texts(campaign)  # before the lease: a bad text leaves it free
        if not await self.leadership.lead() or not await self._lease(campaign):
            return "busy"
        run = _Run(campaign_id, texts, self.app.config.dialogue.default_locale)
        self._runs[campaign_id] = run
        try:
            await self._reconcile(run)
            while not self._stopping:
                state = await self._begin(campaign_id)
                if state == "cancelled":  # what the lanes released after the cancel
                    await store.skip_pending(db, campaign_id, iso(self.app.clock()))
                if state != "running":
                    return state
                run.stop.clear()
                control = asyncio.create_task(self._control(run))
                try:
                    await asyncio.gather(*(self._lane(run, ch) for ch in self.rates))
                finally:
                    control.cancel()
                    await asyncio.gather(control, return_exceptions=True)
                if self._stopping:
                    break
                if await self._finish_if_done(campaign_id) == "done":
                    return "done"
                if not run.stop.is_set():  # lanes out of work, rows still 'sending' that
                    await self._reconcile(run)  # no send of ours holds: ask the provider
                    await run.sleep(self.poll)
            current = await store.get(db, campaign_id)
            return str(current["state"]) if current else "missing"
        finally:
            self._runs.pop(campaign_id, None)
            await store.drop_lease(db, campaign_id, self.runner)

    def _texts(self, campaign: Row) -> dict[str, dict[str, str]]:
        stored = json.loads(campaign["texts"] or "{}")
        texts = texts_mod.campaign_texts(stored, self.app.translator)
        filled = {loc: texts_mod.fill(text, self.app.config) for loc, text in texts.items()}
        return {ch: {loc: texts_mod.for_channel(t, ch) for loc, t in filled.items()}
                for ch in self.rates}

    async def _lease(self, campaign: Row) -> bool:
        """Hold the campaign: free, expired, ours, or its holder's process on this host
        is gone. A live holder on this host keeps it even past its lease (a stopped,
        not dead, process could still send what it claimed)."""
        now = self.app.clock()
        holder = campaign["runner"]
        alive = alive_here(holder)
        if alive and holder != self.runner:
            return False
        dead = holder if alive is False else None
        return await store.take_lease(
            self.app.db, campaign["id"], self.runner, iso(now),
            iso(now + dt.timedelta(seconds=self.lease_seconds)), dead)

    async def _begin(self, campaign_id: int) -> str:
        """'running' if the campaign may send now (scheduled -> running), else its state."""
        campaign = await store.get(self.app.db, campaign_id)
        if campaign is None:
            return "missing"
        now = iso(self.app.clock())
        if campaign["state"] == "scheduled":
            if campaign["start_at"] and campaign["start_at"] > now:
                return "scheduled"
            await store.transition(self.app.db, campaign_id, ["scheduled"], "running",
                                   "bot", now)
            return "running"
        return str(campaign["state"])

    async def _finish_if_done(self, campaign_id: int) -> str:
        pending, sending, _ = await store.next_retry(self.app.db, campaign_id)
        if pending == 0 and sending == 0 and await store.transition(
                self.app.db, campaign_id, ["running"], "done", "bot", iso(self.app.clock())):
            return "done"
        return "running"

    async def _control(self, run: _Run) -> None:
        """Watch the campaign's state and keep the lease; stop the lanes on a change."""
        db = self.app.db
        loop = asyncio.get_running_loop()
        renew_every = self.lease_seconds / 3
        renewed = led = loop.time()
        while not run.stop.is_set():
            await asyncio.sleep(self.poll)
            campaign = await store.get(db, run.campaign_id)
            if campaign is None or campaign["state"] != "running" or self._stopping:
                run.stop.set()
                return
            if loop.time() - led >= LEAD_SECONDS:
                if not await self.leadership.lead():
                    log.error("campaign %d: another instance leads; stopping", run.campaign_id)
                    run.stop.set()
                    return
                led = loop.time()
            if loop.time() - renewed >= renew_every:
                if not await self._lease(campaign):
                    log.error("campaign %d: lease lost; stopping", run.campaign_id)
                    run.stop.set()
                    return
                renewed = loop.time()

    # -- a channel's lane --------------------------------------------------------------
    async def _lane(self, run: _Run, channel: str) -> None:
        """Claim a window of recipients, send it on the pacer's slots while the next
        window is claimed (so the claim's round trip costs no slot), repeat."""
        db, cid = self.app.db, run.campaign_id
        pacer = Pacer(self.rates[channel])
        # A provider that cannot be asked after a crash (Telegram): claim one at a time.
        window = (max(1, int(self.rates[channel] * self.lead))
                  if self.channels.provider_class(channel).can_reconcile else 1)
        # Not addressed by phone number (Telegram): no time zone of its own.
        zoned = self.channels.phone_address(channel)
        provider: Provider | None = None
        ahead: asyncio.Task[list[Row]] | None = None
        try:
            while not run.stop.is_set():
                now = self.app.clock()
                home_day = self.quiet.allowed(now)
                if not home_day:
                    await self._drop(ahead)
                    ahead = None
                    if not zoned:  # no time zone of its own: wait for the day
                        await run.sleep(min(self.poll * 5, 1.0))
                        continue
                rows = await ahead if ahead else await store.claim(
                    db, cid, channel, iso(now), window if home_day else QUIET_WINDOW)
                ahead = None
                if not rows:
                    if not await self._wait_for_work(run, channel, now):
                        break
                    continue
                rows, zones = await self._defer_quiet(channel, rows, now)
                if len(rows) > window:  # a night claim found more in daylight than fit
                    await store.release(db, [r["id"] for r in rows[window:]])
                    rows = rows[:window]
                if not rows:
                    continue
                if provider is None:
                    provider = await self._provider_or_wait(run, channel)
                    if provider is None:
                        await store.release(db, [r["id"] for r in rows])
                        continue
                if home_day:
                    ahead = asyncio.create_task(
                        store.claim(db, cid, channel, iso(self.app.clock()), window))
                await self._send_window(run, channel, provider, pacer, rows, zones)
        finally:
            await self._drop(ahead)
            if run.tasks:
                await asyncio.wait(set(run.tasks))

    def _zone(self, channel: str, address: str) -> str | None:
        """The recipient's time zone for quiet hours (None: ``[outreach] timezone``)."""
        if not self.channels.phone_address(channel):
            return None
        return countries.quiet_hours_zone(address, self.home_region)

    async def _defer_quiet(self, channel: str, rows: list[Row], now: dt.datetime
                           ) -> tuple[list[Row], dict[int, str | None]]:
        """Put back, until their morning, the claimed recipients for whom it is night;
        return the others, and each one's time zone (by recipient id)."""
        ready, later, zones = [], [], {}
        for row in rows:
            zone = zones[row["id"]] = self._zone(channel, row["address"])
            if self.quiet.allowed(now, zone):
                ready.append(row)
            else:
                later.append((row["id"], iso(self.quiet.opens_at(now, zone))))
        await store.defer(self.app.db, later)
        return ready, zones

    async def _drop(self, ahead: asyncio.Task[list[Row]] | None) -> None:
        """Release a window claimed ahead that will not be sent now."""
        if ahead is not None:
            rows = await ahead
            await store.release(self.app.db, [r["id"] for r in rows])

    async def _provider_or_wait(self, run: _Run, channel: str) -> Provider | None:
        try:
            return await self.provider(channel)
        except Exception as exc:
            log.error("campaign %d: %s provider unavailable: %s", run.campaign_id, channel,
                      exc if isinstance(exc, ConfigError) else where(exc))
            await run.sleep(5.0)
            return None

    async def _wait_for_work(self, run: _Run, channel: str, now: dt.datetime) -> bool:
        """Nothing due: wait for retries or sends in flight; False when the lane is done."""
        pending, sending, retry_at = await store.next_retry(self.app.db, run.campaign_id,
                                                            channel)
        if pending == 0:
            if sending == 0 or not run.tasks:
                return False
            await asyncio.wait(set(run.tasks), timeout=self.poll)
            return True
        wait = self.poll
        if retry_at:
            due = (dt.datetime.fromisoformat(retry_at) - now).total_seconds()
            wait = min(wait, max(0.01, due))
        await run.sleep(wait)
        return True

    async def _send_window(self, run: _Run, channel: str, provider: Provider, pacer: Pacer,
                           rows: list[Row], zones: dict[int, str | None]) -> None:
        for i, row in enumerate(rows):
            zone = zones.get(row["id"])
            if run.stop.is_set() or not self.quiet.allowed(self.app.clock(), zone):
                await store.release(self.app.db, [r["id"] for r in rows[i:]])
                return
            await self._slots.acquire()
            if await run.sleep(pacer.reserve()):
                self._slots.release()
                await store.release(self.app.db, [r["id"] for r in rows[i:]])
                return
            pacer.sent()
            task = asyncio.create_task(self._send(run, channel, provider, pacer, row))
            run.tasks.add(task)
            task.add_done_callback(run.tasks.discard)

    async def _send(self, run: _Run, channel: str, provider: Provider, pacer: Pacer,
                    row: Row) -> None:
        try:
            outcome = await provider.send(row["address"], run.text(channel, row["locale"]),
                                          locale=row["locale"])
        except Exception as exc:
            log.error("campaign %d: %s send raised %s", run.campaign_id, channel, where(exc))
            outcome = Outcome("retry", reason="exception")
        finally:
            self._slots.release()  # the bound is on provider calls, not on our commits
        if outcome.throttled:
            pacer.hold(outcome.retry_after or self.cfg.retry_seconds)
        result = self._result(row, outcome)
        for attempt in range(RECORD_ATTEMPTS):
            try:
                await self._results.submit(result)
                return
            except Exception as exc:  # the row stays 'sending' meanwhile: never resent
                log.error("campaign %d: result not recorded (%s), attempt %d", run.campaign_id,
                          where(exc), attempt + 1)
                await asyncio.sleep(min(2.0 ** attempt * 0.1, 5.0))

    def _result(self, row: Row, outcome: Outcome) -> store.Result:
        if outcome.kind != "retry":
            return store.Result(row["id"], outcome.kind, outcome.provider_id, outcome.reason)
        attempts = int(row["attempts"])
        if attempts >= self.cfg.max_attempts:
            return store.Result(row["id"], "failed", reason=outcome.reason)
        delay = self.cfg.retry_seconds * 2 ** (attempts - 1) * random.uniform(0.8, 1.2)
        delay = max(delay, outcome.retry_after or 0.0)
        later = self.app.clock() + dt.timedelta(seconds=delay)
        return store.Result(row["id"], "retry", reason=outcome.reason,
                            next_attempt_at=later.astimezone(dt.UTC).isoformat())

    async def _record(self, results: list[store.Result]) -> list[None]:
        await store.record(self.app.db, results, iso(self.app.clock()))
        return [None] * len(results)

    # -- after a crash -----------------------------------------------------------------
    async def _reconcile(self, run: _Run) -> None:
        """Settle recipients a dead sender left 'sending' (we hold the lease now)."""
        db = self.app.db
        after = 0
        while rows := await store.in_doubt(db, run.campaign_id, after):
            results: list[store.Result] = []
            back: list[int] = []
            for row in rows:
                after = row["id"]
                provider = await self.provider(row["channel"])
                if not provider.can_reconcile:
                    results.append(store.Result(row["id"], "failed", reason="interrupted"))
                    continue
                since = dt.datetime.fromisoformat(row["attempted_at"]) - RECONCILE_SLACK
                sid = await provider.find(row["address"],
                                          run.text(row["channel"], row["locale"]), since)
                if sid:
                    results.append(store.Result(row["id"], "sent", provider_id=sid))
                else:
                    back.append(row["id"])
            await store.record(db, results, iso(self.app.clock()))
            await store.release(db, back)
            log.warning("campaign %d: reconciled %d interrupted sends (%d had been accepted)",
                        run.campaign_id, len(rows),
                        sum(1 for r in results if r.outcome == "sent"))

    # -- one message, outside any campaign -----------------------------------------------
    async def test_send(self, channel: str, address: str, text: str, *,
                        locale: str | None = None) -> Outcome:
        provider = await self.provider(channel)
        return await provider.send(address, text, locale=locale)

