"""A fake Telegram Bot API server for tests and benchmarks (aiohttp, 127.0.0.1, port 0).

The real python-telegram-bot talks to it over HTTP with
``base_url = fake.base_url``. It answers the methods the bot calls
(``getMe``, ``deleteWebhook``, ``setWebhook``, ``getUpdates`` with long
polling, ``sendMessage``, ``answerCallbackQuery``, ``editMessageReplyMarkup``,
``setMyCommands``), records every call and every sent message, and can be
scripted to answer 429 with ``retry_after`` or 403 Forbidden. It also builds
updates: queued for ``getUpdates``, or POSTed to the bot's webhook with a
secret token.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

BOT_ID = 7000001
BOT_USERNAME = "casecheck_test_bot"
# Parameters PTB sends JSON-encoded (other values arrive as plain strings).
_JSON_PARAMS = {"reply_markup", "commands", "scope", "allowed_updates", "chat_id", "offset",
                "timeout", "limit", "message_id", "show_alert", "drop_pending_updates"}


@dataclass
class Sent:
    """One message the bot sent, as the fake accepted it."""

    chat_id: int
    text: str
    buttons: list[list[dict[str, str]]]  # inline keyboard rows: [{"text", "callback_data"}]
    message_id: int
    at: float  # time.monotonic() when accepted

    @property
    def keys(self) -> list[str]:
        return [b["callback_data"] for row in self.buttons for b in row]

    @property
    def labels(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]


@dataclass
class _Script:
    method: str
    chat_id: int | None
    status: int
    description: str
    parameters: dict[str, Any] | None
    times: int


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-token"
    host: str = "127.0.0.1"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    commands: dict[str | None, list[dict[str, str]]] = field(default_factory=dict)
    callback_answers: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._scripts: list[_Script] = []
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0
        self.confirmed_offset = 0
        self._closing = False
        self.on_sent: Callable[[Sent], None] | None = None  # called for each accepted message

    # -- lifecycle ------------------------------------------------------
    async def start(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    # -- scripting ------------------------------------------------------
    def fail_next(self, method: str, status: int, *, chat_id: int | None = None,
                  retry_after: int | None = None, description: str | None = None,
                  times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` (for ``chat_id``) with an error."""
        params = {"retry_after": retry_after} if retry_after is not None else None
        text = description or {429: f"Too Many Requests: retry after {retry_after}",
                               403: "Forbidden: bot was blocked by the user"}.get(
                                   status, "Bad Request")
        self._scripts.append(_Script(method, chat_id, status, text, params, times))

    # -- building updates ----------------------------------------------
    def message_update(self, chat_id: int, text: str, *, language_code: str | None = "en",
                       chat_type: str = "private", user_id: int | None = None,
                       is_bot: bool = False) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id or abs(chat_id), "is_bot": is_bot,
                                "first_name": "Test"}
        if language_code:
            user["language_code"] = language_code
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "Group"
        message: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()),
                                   "chat": chat, "from": user, "text": text}
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": next(self._update_ids), "message": message}

    def callback_update(self, chat_id: int, data: str, *, language_code: str | None = "en",
                        message_id: int | None = None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": "Test"}
        if language_code:
            user["language_code"] = language_code
        if message_id is None:
            mine = [s for s in self.sent if s.chat_id == chat_id]
            message_id = mine[-1].message_id if mine else 1
        message = {"message_id": message_id, "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private"},
                   "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"}, "text": "..."}
        return {"update_id": next(self._update_ids),
                "callback_query": {"id": f"cb{next(self._message_ids)}", "from": user,
                                   "chat_instance": str(chat_id), "data": data,
                                   "message": message}}

    async def queue_update(self, update: dict[str, Any]) -> None:
        """Make an update available to ``getUpdates`` (polling mode)."""
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    async def post_update(self, url: str, update: dict[str, Any],
                          secret: str | None) -> int:
        """POST an update to the bot's webhook as Telegram does; return the status."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with self._session.post(url, json=update, headers=headers) as resp:
            await resp.read()
            return resp.status

    async def post_raw(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST these exact bytes to the bot's webhook (malformed-input tests)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(url, data=body, headers=headers) as resp:
            await resp.read()
            return resp.status

    # -- observing ------------------------------------------------------
    def sent_to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    async def wait_sent(self, count: int, chat_id: int | None = None,
                        timeout: float = 10.0) -> list[Sent]:
        """Wait until at least ``count`` messages were sent (to ``chat_id``)."""
        def mine() -> list[Sent]:
            return self.sent if chat_id is None else self.sent_to(chat_id)

        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(lambda: len(mine()) >= count)
        return mine()

    async def wait_calls(self, method: str, count: int = 1, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.calls_of(method)) >= count)

    # -- the Bot API ----------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = _params(await request.post())
        self.calls.append((method, params))
        scripted = self._scripted(method, params)
        if scripted is not None:
            async with self._changed:
                self._changed.notify_all()
            return scripted
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        result = self._answer(method, params)
        async with self._changed:
            self._changed.notify_all()
        if result is None:
            return _error(404, "Not Found: method not found")
        return _ok(result)

    def _scripted(self, method: str, params: dict[str, Any]) -> web.Response | None:
        for script in self._scripts:
            if script.method == method and script.times > 0 and (
                    script.chat_id is None or script.chat_id == params.get("chat_id")):
                script.times -= 1
                return _error(script.status, script.description, script.parameters)
        return None

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "Casecheck",
                    "username": BOT_USERNAME, "can_join_groups": False,
                    "can_read_all_group_messages": False, "supports_inline_queries": False}
        if method == "sendMessage":
            return self._send_message(params)
        if method in ("setWebhook", "deleteWebhook"):
            self.webhook = params if method == "setWebhook" else {}
            return True
        if method == "setMyCommands":
            self.commands[params.get("language_code")] = params.get("commands", [])
            return True
        if method == "answerCallbackQuery":
            self.callback_answers.append(str(params.get("callback_query_id")))
            return True
        if method == "editMessageReplyMarkup":
            return True
        return None

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        markup = params.get("reply_markup") or {}
        message_id = next(self._message_ids)
        sent = Sent(chat_id, str(params.get("text", "")), markup.get("inline_keyboard", []),
                    message_id, time.monotonic())
        self.sent.append(sent)
        if self.on_sent is not None:
            self.on_sent(sent)
        chat_type = "private" if chat_id > 0 else "supergroup"
        return {"message_id": message_id, "date": int(time.time()),
                "chat": {"id": chat_id, "type": chat_type},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Casecheck"},
                "text": params.get("text", "")}

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        if offset:
            self.confirmed_offset = max(self.confirmed_offset, offset)
        async with self._changed:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
            if not self._updates and timeout > 0:
                try:
                    async with asyncio.timeout(timeout):
                        await self._changed.wait_for(lambda: bool(self._updates) or self._closing)
                except TimeoutError:
                    pass
            return list(itertools.islice(self._updates, limit))


def _params(form: Any) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in form.items():
        if key in _JSON_PARAMS and isinstance(value, str):
            try:
                params[key] = json.loads(value)
                continue
            except ValueError:
                pass
        params[key] = value
    return params


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str,
           parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


# -- a running casecheck with the Telegram channel, for tests -------------------

SECRET = "s3cret-token_for-tests"
WEBHOOK_URL = "https://bot.example.org/telegram/webhook"


def telegram_config(config: Any, fake: FakeTelegram, mode: str = "polling",
                    **overrides: Any) -> Any:
    """``config`` with the Telegram channel on, talking to ``fake``; server on port 0."""
    values = {("telegram", "enabled"): True, ("telegram", "token"): fake.token,
              ("telegram", "base_url"): fake.base_url, ("telegram", "mode"): mode,
              ("telegram", "webhook_url"): WEBHOOK_URL, ("telegram", "secret_token"): SECRET,
              ("telegram", "rate_per_second"): 1000.0, ("server", "port"): 0}
    values.update({tuple(k.split(".")): v for k, v in overrides.items()})
    for (section, key), value in values.items():
        config = config.replace(section, key, value)
    return config


@dataclass
class TelegramRig:
    """A running casecheck Service with the Telegram channel, and the fake behind it."""

    app: Any  # bot.app.App
    service: Any  # bot.server.Service
    channel: Any  # bot.channels.telegram.TelegramChannel
    fake: FakeTelegram
    mode: str

    @property
    def webhook(self) -> str:
        return self.service.url + "/telegram/webhook"

    async def deliver(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        """Hand an update to the bot the way the mode does; the webhook's status (or 200)."""
        if self.mode == "webhook":
            return await self.fake.post_update(self.webhook, update, secret)
        await self.fake.queue_update(update)
        return 200

    async def turn(self, chat_id: int, text: str | None = None, *, press: str | None = None,
                   language_code: str | None = "en", timeout: float = 10.0) -> list[Sent]:
        """The person types ``text`` (or presses the button ``press``); return what the
        bot sent back once the turn is handled and its replies are out."""
        before = len(self.fake.sent_to(chat_id))
        if press is not None:
            update = self.fake.callback_update(chat_id, press, language_code=language_code)
        else:
            update = self.fake.message_update(chat_id, text or "", language_code=language_code)
        status = await self.deliver(update)
        assert status == 200, status
        await self.handled(update["update_id"], timeout)
        await self.idle(timeout)
        return self.fake.sent_to(chat_id)[before:]

    async def handled(self, update_id: int, timeout: float = 10.0) -> None:
        """Wait until the update is stored and the dialogue has handled it."""
        async with asyncio.timeout(timeout):
            while True:
                row = await self.app.db.fetchone(
                    "SELECT status FROM inbox WHERE channel='telegram' AND provider_id=?",
                    (str(update_id),))
                if row is not None and row["status"] != "pending":
                    return
                await asyncio.sleep(0.01)

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until no inbox row is pending and no due outbox row is waiting."""
        async with asyncio.timeout(timeout):
            while True:
                now = self.app.clock().isoformat(timespec="seconds")
                row = await self.app.db.fetchone(
                    "SELECT (SELECT COUNT(*) FROM inbox WHERE status='pending')"
                    " + (SELECT COUNT(*) FROM outbox WHERE status='sending'"
                    "    OR (status='pending' AND next_attempt_at<=?))", (now,))
                if row[0] == 0:
                    return
                await asyncio.sleep(0.01)


@asynccontextmanager
async def telegram_rig(config: Any, *, clock: Any = None, mode: str = "polling",
                       chat_gap: float = 0.0, alert_interval: float = 0.05,
                       fake: FakeTelegram | None = None, extra_channels: Any = (),
                       **overrides: Any) -> AsyncIterator[TelegramRig]:
    """Start the fake Bot API, an App and the Service with the Telegram channel
    (plus ``extra_channels(app)`` if given); stop all after."""
    from bot.app import App
    from bot.channels.telegram import TelegramChannel
    from bot.server import Service

    fake = fake or FakeTelegram()
    await fake.start()
    app = await App.create(telegram_config(config, fake, mode, **overrides),
                           **({"clock": clock} if clock is not None else {}))
    channel = TelegramChannel(app, poll_timeout=1.0, alert_interval=alert_interval,
                              chat_gap=chat_gap)
    service = Service(app, [channel, *(extra_channels(app) if extra_channels else [])],
                      extensions=[])
    try:
        await service.start()
        yield TelegramRig(app, service, channel, fake, mode)
    finally:
        await service.stop()
        await fake.stop()
        await app.close()
