"""The Telegram channel on python-telegram-bot, used as a transport only.

The dialogue stays ours (no ConversationHandler, no pickle persistence): each
private message or button press becomes an ``Inbound`` stored in the inbox
(deduplicated by ``update_id``), and the inbox worker runs the dialogue, so a
person's state, language and opt-out are the same on every channel.

- **Webhook mode** (``[telegram] mode = "webhook"``): the Application is built
  with ``.updater(None)``; ``POST /telegram/webhook`` on the shared aiohttp
  server checks ``X-Telegram-Bot-Api-Secret-Token`` (403 otherwise, nothing
  stored) and stores the update before answering 200; Telegram retries any
  other answer. A body that is too large, too deeply nested or not an update
  gets 400; text is cleaned first (``sanitize``: a lone surrogate becomes
  U+FFFD), and updates stored together fail alone, never as a batch.
  ``setWebhook`` is called at start.
- **Polling mode**: ``initialize()``, ``start()`` and
  ``updater.start_polling()`` inside the service's loop; a ``TypeHandler``
  stores each update. The updater confirms an update to Telegram on its next
  ``getUpdates``, after it was queued; on a clean stop PTB drains the queue.
- **Sending** (``send``, called by the outbox worker): plain text with the
  options as an inline keyboard, through ``telegram_provider`` (which campaigns
  send through too), paced by ``bot.pacing`` (about 30/s overall, 1/s per
  chat). ``RetryAfter`` -> retry after the time Telegram asks; ``Forbidden``
  (the person blocked the bot) -> failed and the chat marked unreachable, so
  nothing more is sent until they write again.
- ``/start CODE`` deep links carry a notice code (``Inbound.notice_code``);
  commands are registered with ``setMyCommands`` per shipped language; new
  escalations are announced in ``[telegram] staff_chat_id`` (``telegram_alerts``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hmac
import logging
import re
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from ..app import App
from ..clock import iso
from ..config import ConfigError
from ..model import Inbound
from ..pacing import CHAT_GAP, Pacer
from ..storage import telegram as tg_store
from ..workers import WAKEUP, Batcher, Wakeup
from . import ptb
from . import telegram_render as render
from .base import OutgoingMessage, SendResult
from .sanitize import BadBody, clean_text, parse_json, read_body
from .telegram_alerts import StaffAlerts
from .telegram_provider import TelegramProvider

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

CHANNEL = render.CHANNEL
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_FORM = re.compile(r"[A-Za-z0-9_-]{1,256}")
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
CONNECTIONS = 16  # to the Bot API, for sending
POOL_TIMEOUT = 30.0  # seconds a request may wait for a free connection
# A webhook body past these is refused (400, nothing stored): a real update is a few
# KB (4,096 characters of text at most) and nests about ten levels.
MAX_UPDATE_BYTES = 256 * 1024
MAX_UPDATE_DEPTH = 32


class TelegramChannel:
    name = CHANNEL

    def __init__(self, app: App, *, poll_timeout: float = 10.0, alert_interval: float = 5.0,
                 chat_gap: float = CHAT_GAP) -> None:
        cfg = app.config.telegram
        if not cfg.token:
            raise ConfigError("[telegram] enabled needs [telegram] token "
                              "(or CASECHECK_TELEGRAM_TOKEN)")
        if cfg.mode not in ("polling", "webhook"):
            raise ConfigError(f"[telegram] mode must be 'polling' or 'webhook', not {cfg.mode!r}")
        if cfg.mode == "webhook" and not (cfg.webhook_url and cfg.secret_token):
            raise ConfigError("[telegram] mode = 'webhook' needs [telegram] webhook_url "
                              "and [telegram] secret_token")
        if cfg.mode == "webhook" and not SECRET_FORM.fullmatch(cfg.secret_token):
            raise ConfigError("[telegram] secret_token: 1 to 256 of A-Z, a-z, 0-9, _ and - "
                              "(what Telegram accepts)")
        ptb.prepare()
        self.app = app
        self.cfg = cfg
        self.webhook = cfg.mode == "webhook"
        self.poll_timeout = poll_timeout
        self.pacer = Pacer(cfg.rate_per_second, chat_gap=chat_gap)
        self.wakeup: Wakeup | None = None  # the service's; webhooks use the web app's
        # A small pool: Telegram takes ~30 messages/s, and httpcore's pool bookkeeping
        # grows with the number of connections (256 by default). Requests wait for a
        # free connection rather than failing after PTB's default 1 s.
        builder = (Application.builder().token(cfg.token).base_url(cfg.base_url)
                   .connection_pool_size(CONNECTIONS).pool_timeout(POOL_TIMEOUT))
        if self.webhook:
            builder = builder.updater(None)
        self.application = builder.build()
        self.provider = TelegramProvider(self.application.bot, self.pacer)
        self.application.add_handler(TypeHandler(Update, self._on_polled_update))
        self.alerts = (StaffAlerts(app, cfg.staff_chat_id, interval=alert_interval,
                                   on_queued=self._wake_outbox)
                       if cfg.staff_chat_id else None)
        self._tasks: set[asyncio.Task[Any]] = set()  # callback answers in flight
        # Updates arriving together are stored in one transaction (group commit).
        self._inbox: Batcher[Inbound, int | None] = Batcher(self._store_many)
        self._alert_task: asyncio.Task[None] | None = None
        self._started = False

    # -- lifecycle -------------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        from aiohttp import web  # not at import: the workers' process serves nothing

        return [web.post(WEBHOOK_PATH, self._on_webhook)] if self.webhook else []

    async def start(self) -> None:
        application = self.application
        await application.initialize()  # getMe: a wrong token stops the start here
        self._started = True
        await self._register_commands()
        if self.webhook:
            await application.bot.set_webhook(
                self.cfg.webhook_url, secret_token=self.cfg.secret_token,
                allowed_updates=ALLOWED_UPDATES)
        else:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(
                timeout=dt.timedelta(seconds=self.poll_timeout), allowed_updates=ALLOWED_UPDATES)
        if self.alerts is not None:
            self._alert_task = asyncio.create_task(self.alerts.run())
        log.info("telegram channel started (%s)", self.cfg.mode)

    def use_wakeup(self, wakeup: Wakeup) -> None:
        """The service's wakeup, for updates polled outside a web request."""
        self.wakeup = wakeup

    async def start_sending(self) -> None:
        """Start only what sending needs (the workers' process): the web process
        polls or holds the webhook, registers the commands and runs the alerts."""
        await self.application.initialize()
        self._started = True

    async def stop(self) -> None:
        """Stop polling (PTB stores what it already fetched), wait for callback
        answers in flight, close the HTTP clients. The webhook stays set, so
        Telegram keeps updates until the service is back."""
        if not self._started:
            return
        self._started = False
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        if self._alert_task is not None:
            self._alert_task.cancel()
            await asyncio.gather(self._alert_task, return_exceptions=True)
            self._alert_task = None
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5.0)
        await application.shutdown()

    async def _register_commands(self) -> None:
        bot = self.application.bot
        for language, commands in render.bot_commands(
                self.app.translator, self.app.config.dialogue.default_locale):
            try:
                await bot.set_my_commands(commands, language_code=language)
            except TelegramError as exc:  # the menu is a convenience: serve without it
                log.warning("setMyCommands (%s) failed: %s", language or "default",
                            type(exc).__name__)

    # -- inbound ---------------------------------------------------------------
    async def _on_webhook(self, request: web.Request) -> web.Response:
        from aiohttp import web

        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.cfg.secret_token.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            data = parse_json(await read_body(request, MAX_UPDATE_BYTES),
                              max_depth=MAX_UPDATE_DEPTH)
            if not isinstance(data, dict):
                raise BadBody("not an object")
            update = Update.de_json(data, self.application.bot)
            if update is None:
                raise BadBody("no update")
            seen = _read(update)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return web.Response(status=400, text="not a Telegram update")
        await self._ingest(update, seen, request.app[WAKEUP])
        return web.Response(text="ok")

    async def _on_polled_update(self, update: object,
                                _context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update):
            try:
                seen = _read(update)
            except BadBody:
                log.warning("a polled update with fields of the wrong type was ignored")
                return
            await self._ingest(update, seen, self.wakeup)

    async def _ingest(self, update: Update, seen: tuple[bool | None, Inbound | None],
                      wakeup: Wakeup | None) -> None:
        """Store a person's message durably (then wake the inbox worker); ignore the rest."""
        blocked, inbound = seen
        if blocked is not None and update.effective_chat is not None:
            await tg_store.set_reachable(self.app.db, str(update.effective_chat.id), not blocked)
            return
        if inbound is not None:
            inbox_id = await self._inbox.submit(inbound)
            if inbox_id is not None and wakeup is not None:
                wakeup.inbox.set()
        query = update.callback_query
        if query is not None:
            self._spawn(self._acknowledge(query.id, query.message, remove=inbound is not None))

    async def _store_many(self, inbounds: list[Inbound]) -> list[int | None]:
        return await tg_store.store_updates(self.app.db, inbounds, iso(self.app.clock()))

    async def _acknowledge(self, query_id: str, message: Any, *, remove: bool) -> None:
        """Stop the button's spinner; take the keyboard off the message it was on,
        so an old choice cannot be pressed again."""
        bot = self.application.bot
        try:
            await bot.answer_callback_query(query_id)
            if remove and message is not None:
                await bot.edit_message_reply_markup(message.chat.id, message.message_id,
                                                    reply_markup=None)
        except TelegramError as exc:  # too old, already edited: nothing to repair
            log.debug("callback acknowledgement failed: %s", type(exc).__name__)

    # -- outbound --------------------------------------------------------------
    async def send(self, message: OutgoingMessage) -> SendResult:
        if message.kind != "alert" and await tg_store.is_unreachable(self.app.db,
                                                                     message.address):
            return SendResult("failed", error_code="unreachable")
        return await self.provider.send(message.address, message.body, message.options)

    # -- helpers ---------------------------------------------------------------
    def _wake_outbox(self) -> None:
        if self.wakeup is not None:
            self.wakeup.outbox.set()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _read(update: Update) -> tuple[bool | None, Inbound | None]:
    """What an update says: (blocked the bot?, the person's message), text cleaned.
    ``BadBody`` for fields of the wrong type (JSON that PTB accepts, e.g. a list
    as the text or as the chat id), which would otherwise fail later."""
    try:
        blocked = render.blocked_the_bot(update)
        inbound = None if blocked is not None else render.inbound_from_update(update)
    except (TypeError, AttributeError, ValueError) as exc:
        raise BadBody("fields of the wrong type") from exc
    if inbound is None:
        return blocked, None
    if not isinstance(inbound.text, str) or not re.fullmatch(r"-?\d{1,20}", inbound.address):
        raise BadBody("fields of the wrong type")
    # Polled updates were not cleaned on the way in (webhook bodies were).
    return blocked, dataclasses.replace(inbound, text=clean_text(inbound.text))
