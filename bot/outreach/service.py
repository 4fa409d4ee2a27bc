"""Outreach inside ``casecheck run``: the sender task and the campaign status callbacks.

``setup(app, web_app)`` is a server extension (``bot.server.EXTENSIONS``): it
starts a ``Sender`` with the web application and stops it with it, and serves
``POST /outreach/status`` (Twilio status callbacks for campaign messages,
signed like the SMS webhooks) when the SMS channel is configured.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from twilio.request_validator import RequestValidator

from ..app import App
from ..channels.sms import parse_form
from ..clock import iso
from ..storage import outreach as store
from ..workers import Batcher
from .providers import STATUS_PATH
from .sender import Sender

log = logging.getLogger(__name__)

SENDER = web.AppKey("outreach_sender", Sender)
_TASK = web.AppKey("outreach_task", asyncio.Task)


class StatusCallbacks:
    """``POST /outreach/status``: signed, idempotent, never backwards."""

    def __init__(self, app: App) -> None:
        self.app = app
        cfg = app.config.sms
        self._validator = RequestValidator(cfg.auth_token)
        self._url = cfg.public_url.rstrip("/") + STATUS_PATH
        self._batch: Batcher[tuple[str, str, str | None], None] = Batcher(self._apply)

    async def handle(self, request: web.Request) -> web.Response:
        signature = request.headers.get("X-Twilio-Signature")
        params = parse_form(await request.read())
        if not signature or not self._validator.validate(self._url, params, signature):
            return web.Response(status=403, text="forbidden")
        sid = params.get("MessageSid") or params.get("SmsSid")
        status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
        if sid and status in store.FINAL_STATUSES:
            await self._batch.submit((sid, status, params.get("ErrorCode") or None))
        return web.Response(status=204)

    async def _apply(self, updates: list[tuple[str, str, str | None]]) -> list[None]:
        await store.apply_statuses(self.app.db, updates, iso(self.app.clock()))
        return [None] * len(updates)


def setup(app: App, web_app: web.Application) -> None:
    sender = Sender(app)
    web_app[SENDER] = sender
    cfg = app.config.sms
    if cfg.enabled and cfg.auth_token and cfg.public_url:
        web_app.router.add_post(STATUS_PATH, StatusCallbacks(app).handle)

    async def start(web_app: web.Application) -> None:
        web_app[_TASK] = asyncio.create_task(sender.run_forever())

    async def stop(web_app: web.Application) -> None:
        sender.stop()
        task = web_app.get(_TASK)
        if task is not None:
            try:
                await asyncio.wait_for(task, 10.0)
            except TimeoutError:
                log.error("outreach sender did not stop in time")
        await sender.close()

    web_app.on_startup.append(start)
    web_app.on_cleanup.append(stop)
