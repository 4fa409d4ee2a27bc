"""The ``casecheck`` command line. Each command group lives in ``bot/commands/``.

Every command takes ``--config PATH`` (or ``CASECHECK_CONFIG``); those that use the
database also take ``--db PATH`` (which overrides ``[storage] path``). Output cut
short by a closed pipe (``casecheck ... | head``) ends quietly.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from importlib import metadata
from typing import Any

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
    "bot.commands.db",
]

# Command groups that never open the database: no --db for them.
NO_DATABASE = frozenset({"bot.commands.i18n"})

Handler = Callable[[argparse.Namespace, Config], Coroutine[Any, Any, int]]


def common_parser(*, database: bool = True) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--config", help="TOML config file (default: $CASECHECK_CONFIG)")
    if database:
        parent.add_argument("--db", help="database file (overrides [storage] path and url)")
    return parent


def version() -> str:
    try:
        return metadata.version("casecheck")
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown"


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Every command's parser; only the one ``argv`` names when it starts with a
    command: each command module imports what it needs, and a workers' process or a
    ``registry import`` need not hold the console's or the others' (about 8 MB)."""
    named = argv[0] if argv else None
    modules = [m for m in COMMAND_MODULES if m.rsplit(".", 1)[1] == named] or COMMAND_MODULES
    parser = argparse.ArgumentParser(
        prog="casecheck", description="Was my case affected? A bot for people hurt by "
        "forensic-lab misconduct.")
    parser.add_argument("--version", action="version", version=f"casecheck {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parent, config_only = common_parser(), common_parser(database=False)
    for name in modules:
        importlib.import_module(name).register(
            sub, config_only if name in NO_DATABASE else parent)
    describe(parser)
    return parser


def describe(parser: argparse.ArgumentParser) -> None:
    """Every command's --help starts with what it does: its one-line help, unless the
    command module wrote a longer description."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, command in action.choices.items():
                if not command.description and helps.get(name):
                    text = str(helps[name])
                    command.description = text[:1].upper() + text[1:] + "."
                describe(command)


def resolve_config(args: argparse.Namespace) -> Config:
    config = load_config(getattr(args, "config", None))
    if getattr(args, "db", None):
        config = config.replace("storage", "path", args.db).replace("storage", "url", "")
    return config


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly; point stdout at /dev/null so
        # the interpreter's last flush at exit does not complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # what a shell reports for SIGPIPE


def _main(argv: Sequence[str] | None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, a usage error: flush while we can
        sys.stdout.flush()
        raise stop
    func: Handler | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        sys.stdout.flush()
        return 2
    try:
        config = resolve_config(args)
        logsetup.configure(config)
        # A command may ask for a faster event loop (``run`` uses uvloop when installed).
        with asyncio.Runner(loop_factory=getattr(args, "loop_factory", None)) as runner:
            code = runner.run(func(args, config))
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except ConfigError as exc:
        print(f"casecheck: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
