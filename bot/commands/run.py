"""``casecheck run``: the long-running service (web server, channels, workers)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from ..app import App
from ..config import Config
from ..server import Service


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("run", parents=[parent],
                       help="serve the enabled channels until SIGTERM/SIGINT",
                       description="The service: the web server ([server] host and port: "
                                   "webhooks, the staff console, /healthz), the enabled "
                                   "channels and the workers, until SIGTERM or SIGINT.",
                       epilog="example: casecheck run --config /etc/casecheck.toml")
    p.set_defaults(func=run, loop_factory=fast_loop())


def fast_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop if installed: about a third less CPU per conversation turn
    (see bench/bench_sms.py); the standard loop otherwise."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def run(args: argparse.Namespace, config: Config) -> int:
    app = await App.create(config)
    try:
        service = Service(app)
        try:
            try:
                await service.start()
            except OSError as exc:  # the port is taken, or the host is not ours
                print(f"casecheck: cannot listen on {config.server.host}:{config.server.port}:"
                      f" {exc.strerror or exc}. Is casecheck already running? Stop it, or set"
                      " another [server] port (or CASECHECK_SERVER_PORT).", file=sys.stderr)
                return 1
            names = ", ".join(ch.name for ch in service.channels) or "none (only /healthz)"
            print(f"casecheck: serving on {service.url}; channels: {names}", flush=True)
            await service.run_until_signalled()
        finally:
            await service.stop()
        print("casecheck: stopped", flush=True)
    finally:
        await app.close()
    return 0
