"""The long-running service: web server, enabled channels, inbox and outbox workers.

``casecheck run`` builds an ``App``, the enabled channels and a ``Service``,
and serves until SIGTERM or SIGINT. Stopping: the web server stops taking
requests (in-flight ones finish), the workers finish the item in hand (or
leave it persisted as 'pending'), the channels close their clients; the
caller then closes the database.

Extending the web server: pass ``extensions=[*EXTENSIONS, "package.module:function"]``
to ``build_web_app``/``Service`` (``EXTENSIONS`` is the fixed default list).
Each function is called as ``function(app, web_app)`` while the aiohttp
application is built and may add routes, middlewares and startup/cleanup
hooks; request handlers find the App as ``request.app[APP]``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Literal

# aiohttp.web (2.4 MB of a process) is imported where a web application is built: the
# workers' process serves nothing and never loads it. AppKey is the same class.
from aiohttp.helpers import AppKey

from .app import App
from .channels.base import Channel, NeedsWakeup, SendsOnly
from .clock import iso
from .storage import retention
from .workers import WAKEUP, InboxWorker, OutboxWorker, Wakeup

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

Extension = Callable[[App, "web.Application"], None]

# Web extensions: "module:function" (or the function itself); each is called as
# function(app, web_app) when the web application is built. A tuple: extending is
# done per call (``extensions=``), never by changing this process-wide default.
EXTENSIONS: tuple[str | Extension, ...] = (
    "bot.web:setup_console", "bot.outreach.service:setup",
    "bot.web.outreach:setup", "bot.web.undecided:setup")

# "all": web server and workers in one process; "web" and "workers": one each.
Role = Literal["all", "web", "workers"]

APP = AppKey("casecheck_app", App)
CHANNELS = AppKey("casecheck_channels", list)


def enabled_channels(app: App) -> list[Channel]:
    """The channels of the App's registry switched on in the configuration."""
    channels: list[Channel] = app.channels.build(app)
    return channels


def _load_extension(spec: str | Extension) -> Extension:
    if callable(spec):
        return spec
    module, _, attr = spec.partition(":")
    fn: Extension = getattr(importlib.import_module(module), attr)
    return fn


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers a query, 503 otherwise."""
    from aiohttp import web

    app = request.app[APP]
    channels = [ch.name for ch in request.app[CHANNELS]]
    try:
        row = await asyncio.wait_for(app.db.fetchone("SELECT 1"), timeout=2.0)
        ok = row is not None and row[0] == 1
    except Exception:  # closed, locked past the timeout, broken file: all mean "not ready"
        ok = False
    return web.json_response({"status": "ok" if ok else "unavailable", "channels": channels},
                             status=200 if ok else 503)


def build_web_app(app: App, channels: Sequence[Channel],
                  wakeup: Wakeup | None = None,
                  extensions: Sequence[str | Extension] | None = None) -> web.Application:
    """The aiohttp application: /healthz, each channel's routes, then the extensions."""
    from aiohttp import web

    web_app = web.Application()
    web_app[APP] = app
    web_app[CHANNELS] = list(channels)
    web_app[WAKEUP] = wakeup or Wakeup()
    web_app.router.add_get("/healthz", healthz)
    web_app.on_response_prepare.append(_plain_server_header)
    for channel in channels:
        web_app.router.add_routes(channel.routes())
    for spec in EXTENSIONS if extensions is None else extensions:
        _load_extension(spec)(app, web_app)
    return web_app


async def _plain_server_header(request: web.Request, response: web.StreamResponse) -> None:
    """aiohttp names itself and its version ("Python/3.12 aiohttp/3.x"): a scanner's
    shortcut to known bugs. Say only what the service is."""
    response.headers["Server"] = "casecheck"


class Service:
    """Web server + channels + workers, started and stopped together."""

    def __init__(self, app: App, channels: Sequence[Channel] | None = None, *,
                 host: str | None = None, port: int | None = None,
                 extensions: Sequence[str | Extension] | None = None,
                 role: Role = "all", wakeup: Wakeup | None = None) -> None:
        self.app = app
        self.role = role
        self.channels = list(enabled_channels(app) if channels is None else channels)
        self.host = host if host is not None else app.config.server.host
        self.requested_port = port if port is not None else app.config.server.port
        self.port: int | None = None  # the bound port, once started
        self.wakeup = wakeup or Wakeup()
        # The workers' process serves nothing: no console, no outreach, less memory.
        self.web_app = (None if role == "workers" else
                        build_web_app(app, self.channels, self.wakeup, extensions))
        for channel in self.channels:
            if isinstance(channel, NeedsWakeup):
                channel.use_wakeup(self.wakeup)
        self.inbox_worker = InboxWorker(app, self.wakeup)
        self.outbox_worker = OutboxWorker(app, self.channels, self.wakeup)
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._signalled = asyncio.Event()
        self._stopped = False

    async def start(self) -> None:
        for channel in self.channels:
            # The workers' process only sends: no polling, no webhook set-up there.
            if self.role == "workers" and isinstance(channel, SendsOnly):
                await channel.start_sending()
            else:
                await channel.start()
        if self.web_app is not None:
            from aiohttp import web

            self._runner = web.AppRunner(self.web_app, access_log=None, shutdown_timeout=5.0)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, self.requested_port)
            await site.start()
            self.port = self._runner.addresses[0][1]
        if self.role != "web":
            self._tasks = [asyncio.create_task(self._guard("inbox", self.inbox_worker.run)),
                           asyncio.create_task(self._guard("outbox", self.outbox_worker.run)),
                           asyncio.create_task(self._guard("retention", self._purge_hourly))]
        log.info("serving on %s:%s; channels: %s", self.host, self.port,
                 ", ".join(ch.name for ch in self.channels) or "none")

    async def _guard(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """Keep a worker alive: log and restart it if its loop ever raises."""
        while True:
            try:
                await run()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("%s worker crashed (%s); restarting", name, type(exc).__name__)
                await asyncio.sleep(1.0)

    async def _purge_hourly(self) -> None:
        """Delete message bodies past [storage] retention_days, at start and every hour."""
        while True:
            days = self.app.config.storage.retention_days
            cutoff = iso(self.app.clock() - dt.timedelta(days=days))
            purged = await retention.purge(self.app.db, cutoff)
            if purged.total():
                log.info("retention: purged %d message bodies", purged.total())
            await asyncio.sleep(3600)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Stop taking requests, let the workers finish or persist, close channels."""
        if self._stopped:
            return
        self._stopped = True
        if self._runner is not None:
            await self._runner.cleanup()
        await self.inbox_worker.stop()
        await self.outbox_worker.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for channel in self.channels:
            await channel.stop()

    async def run_until_signalled(self, before_stop: Callable[[], Awaitable[None]] | None = None,
                                  ) -> None:
        """Serve until SIGTERM or SIGINT, then stop cleanly (a second signal while
        stopping is ignored). ``before_stop`` runs once the web server stopped taking
        requests: the web process stops its workers' process there."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._signalled.set)
        try:
            await self._signalled.wait()
            log.info("stopping")
            if self._runner is not None:
                await self._runner.cleanup()
                self._runner = None
            if before_stop is not None:
                await before_stop()
            await self.stop()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
