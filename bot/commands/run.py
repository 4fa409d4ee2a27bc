"""``casecheck run``: the long-running service (web server, channels, workers)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ..app import App
from ..config import Config, ConfigError
from ..server import Service
from ..worker_process import WorkerProcesses, die_with_parent, listen, lower_priority

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("run", parents=[parent],
                       help="serve the enabled channels until SIGTERM/SIGINT",
                       description="The service: the web server ([server] host and port: "
                                   "webhooks, the staff console, /healthz), the enabled "
                                   "channels and the workers, until SIGTERM or SIGINT.",
                       epilog="example: casecheck run --config /etc/casecheck.toml")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes beside the web process (default: [server] workers,"
                        " 1); 0 is --one-process")
    p.add_argument("--one-process", action="store_true",
                   help="run the workers in this process too (one core, less memory;"
                        " see README)")
    # The default since #19; still accepted from older unit files.
    p.add_argument("--two-processes", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--role", choices=["web", "workers"], help=argparse.SUPPRESS)
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
    """Two processes by default: this one serves the web (webhooks, console) and
    starts ``[server] workers`` workers' processes (inbox -> dialogue -> outbox;
    ``bot/worker_process.py``) on the same database; all stop on SIGTERM/SIGINT.
    ``--one-process`` (``--workers 0``) runs everything here (one core, less memory)."""
    count = 0 if getattr(args, "one_process", False) else getattr(args, "workers", None)
    if count is not None:
        try:
            config = config.replace("server", "workers", count)
        except ConfigError as exc:
            print(f"casecheck: --workers: {exc}", file=sys.stderr)
            return 2
    if getattr(args, "role", None) == "workers":
        return await _run_workers(config)
    count = config.server.workers
    workers = WorkerProcesses(_argv(args, count), count) if count else None
    app = await App.create(config)
    app.db.on_presence_lost(_exit_as_crashed)
    try:
        service = Service(app, role="all" if workers is None else "web",
                          wakeup=workers.wakeup() if workers is not None else None)
        try:
            try:
                await service.start()
            except OSError as exc:  # the port is taken, or the host is not ours
                print(f"casecheck: cannot listen on {config.server.host}:{config.server.port}:"
                      f" {exc.strerror or exc}. Is casecheck already running? Stop it, or set"
                      " another [server] port (or CASECHECK_SERVER_PORT).", file=sys.stderr)
                return 1
            if workers is not None:
                await workers.start()
            names = ", ".join(ch.name for ch in service.channels) or "none (only /healthz)"
            print(f"casecheck: serving on {service.url}; channels: {names}", flush=True)
            await service.run_until_signalled(workers.stop if workers is not None else None)
        finally:
            if workers is not None:
                await workers.stop()
            await service.stop()
        print("casecheck: stopped", flush=True)
    finally:
        await app.close()
    return 0


async def _run_workers(config: Config) -> int:
    """The workers' process: started by ``run``, stopped by its SIGTERM."""
    die_with_parent()
    lower_priority()
    app = await App.create(config)
    app.db.on_presence_lost(_exit_as_crashed)
    try:
        service = Service(app, role="workers")
        listener = asyncio.create_task(listen(service.wakeup))
        try:
            await service.start()
            await service.run_until_signalled()
        finally:
            listener.cancel()
            await service.stop()
    finally:
        await app.close()
    return 0


def _exit_as_crashed() -> None:
    """The database connection holding this instance's presence broke (PostgreSQL):
    other instances may already be taking the messages its workers claimed, so it
    must not send another one. Stop at once, as a crash would: the web process
    restarts its workers' process, and systemd (``Restart=always``) the service."""
    log.error("the database connection that holds this instance's claims broke;"
              " stopping so that no message is handled twice")
    logging.shutdown()
    os._exit(1)


def _argv(args: argparse.Namespace, count: int) -> list[str]:
    """The options a workers' process needs to open the same configuration."""
    argv = ["--workers", str(count)]
    if getattr(args, "config", None):
        argv += ["--config", str(Path(args.config).resolve())]
    if getattr(args, "db", None):
        argv += ["--db", str(Path(args.db).resolve())]
    return argv
