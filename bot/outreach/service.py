"""Outreach inside ``casecheck run``: the sender task and the campaign status callbacks.

``setup(app, web_app)`` is a server extension (``bot.server.EXTENSIONS``): it
starts a ``Sender`` with the web application and stops it with it, and serves
``POST /outreach/status`` (Twilio status callbacks for campaign messages,
signed and handled like the SMS channel's) when the SMS channel is configured.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from ..app import App
from ..channels.twilio_signature import TwilioSignature
from ..channels.twilio_status import StatusCallbacks, StatusUpdate
from ..clock import iso
from ..storage import outreach as store
from .providers import STATUS_PATH
from .sender import Sender

log = logging.getLogger(__name__)

SENDER = web.AppKey("outreach_sender", Sender)
_TASK = web.AppKey("outreach_task", asyncio.Task)


def status_callbacks(app: App) -> StatusCallbacks:
    """``POST /outreach/status``: the SMS channel's handler, applied to recipients."""
    cfg = app.config.sms

    async def apply(updates: list[StatusUpdate]) -> list[None]:
        await store.apply_statuses(app.db, updates, iso(app.clock()))
        return [None] * len(updates)

    return StatusCallbacks(TwilioSignature(cfg.auth_token, cfg.public_url.rstrip("/")),
                           STATUS_PATH, store.FINAL_STATUSES, apply)


def setup(app: App, web_app: web.Application) -> None:
    sender = Sender(app)
    web_app[SENDER] = sender
    cfg = app.config.sms
    if cfg.enabled and cfg.auth_token and cfg.public_url:
        web_app.router.add_post(STATUS_PATH, status_callbacks(app).handle)

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
