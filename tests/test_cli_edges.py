"""The command line's rough edges: --version, a closed pipe, a busy port, --db only where
the command opens a database, descriptions and examples in every --help."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, main, version
from bot.storage import Database

ROOT = Path(__file__).resolve().parents[1]


def casecheck(*argv: str, **kwargs) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECHECK_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(kwargs.pop("env", {}))
    return subprocess.Popen([sys.executable, "-m", "bot", *argv], env=env, text=True,
                            stdout=kwargs.pop("stdout", subprocess.PIPE),
                            stderr=subprocess.PIPE, **kwargs)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"casecheck {version()}"
    assert version() != "unknown"


@pytest.fixture
def queue_db(tmp_path: Path) -> Path:
    async def create() -> None:
        async with await Database.open(tmp_path / "x.db"):
            pass
    asyncio.run(create())
    return tmp_path / "x.db"


def test_a_closed_pipe_ends_quietly(tmp_path: Path, queue_db: Path) -> None:
    read, write = os.pipe()
    os.close(read)  # like `| head` that has already exited
    try:
        proc = casecheck("escalations", "list", "--db", str(tmp_path / "x.db"), stdout=write)
    finally:
        os.close(write)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert proc.returncode == 141


def test_run_on_a_busy_port_says_so(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = casecheck("run", "--db", str(tmp_path / "c.db"),
                         env={"CASECHECK_SERVER_PORT": str(port)})
        try:
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err and "already running" in err
    assert "Traceback" not in err


def _subparsers(parser):
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            yield from action.choices.items()


def test_every_command_describes_itself_with_an_example() -> None:
    for name, command in _subparsers(build_parser()):
        if name in ("i18n", "content"):  # the translators' commands have their own owner
            continue
        assert command.description, name
        text = command.format_help()
        leaves = list(_subparsers(command))
        helps = [text] + [sub.format_help() for _, sub in leaves]
        assert any("example" in h for h in helps), name


def test_every_action_s_help_says_what_it_does() -> None:
    for _, command in _subparsers(build_parser()):
        for name, action in _subparsers(command):
            assert action.description, name


def test_db_is_offered_only_where_a_database_is_opened() -> None:
    commands = dict(_subparsers(build_parser()))
    i18n_help = "".join(sub.format_help() for _, sub in _subparsers(commands["i18n"]))
    assert "--db" not in i18n_help and "--config" in i18n_help
    registry_help = dict(_subparsers(commands["registry"]))["stats"].format_help()
    assert "--db" in registry_help


def test_escalations_list_of_a_mistyped_database_creates_nothing(tmp_path: Path,
                                                                 capsys) -> None:
    typo = tmp_path / "typo.db"
    assert main(["escalations", "list", "--db", str(typo)]) == 1
    assert "no database at" in capsys.readouterr().err and not typo.exists()
