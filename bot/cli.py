"""The ``casecheck`` command line. Each command group lives in ``bot/commands/``.

Every command takes ``--config PATH`` (or ``CASECHECK_CONFIG``) and ``--db PATH``
(which overrides ``[storage] path``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Awaitable, Callable, Sequence

from . import logsetup
from .config import Config, ConfigError, load_config

# Each module defines ``register(subparsers, parent)`` and sets ``func`` on its parsers.
COMMAND_MODULES = [
    "bot.commands.chat",
    "bot.commands.registry",
    "bot.commands.demo",
    "bot.commands.run",
    "bot.commands.escalations",
    "bot.commands.users",
    "bot.commands.outreach",
    "bot.commands.i18n",
    "bot.commands.retention",
]

Handler = Callable[[argparse.Namespace, Config], Awaitable[int]]


def common_parser() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--config", help="TOML config file (default: $CASECHECK_CONFIG)")
    parent.add_argument("--db", help="database file (overrides [storage] path)")
    return parent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="casecheck", description="Was my case affected? A bot for people hurt by "
        "forensic-lab misconduct.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parent = common_parser()
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, parent)
    return parser


def resolve_config(args: argparse.Namespace) -> Config:
    config = load_config(getattr(args, "config", None))
    if getattr(args, "db", None):
        config = config.replace("storage", "path", args.db)
    return config


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Handler | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        config = resolve_config(args)
        logsetup.configure(config)
        # A command may ask for a faster event loop (``run`` uses uvloop when installed).
        with asyncio.Runner(loop_factory=getattr(args, "loop_factory", None)) as runner:
            return runner.run(func(args, config))
    except ConfigError as exc:
        print(f"casecheck: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
