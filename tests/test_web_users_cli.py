"""``casecheck users``: accounts from the command line; passwords never as arguments."""

from __future__ import annotations

import asyncio
import io
import sys

import pytest

from bot.app import App
from bot.cli import main
from bot.storage import accounts
from bot.web.auth import verify_password


def run(args: list[str], db_path, stdin: str = "") -> int:
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return main([*args, "--db", str(db_path)])
    finally:
        sys.stdin = old


def user(config, email: str):
    async def fetch():
        async with await App.create(config) as app:
            return await accounts.user_by_email(app.db, email)
    return asyncio.run(fetch())


def test_add_reads_the_password_from_stdin_and_hashes_it_with_argon2id(config, db_path, capsys):
    assert run(["users", "add", "ana@example.org", "--role", "staff"], db_path,
               "a long enough password\n") == 0
    assert "added ana@example.org (staff)" in capsys.readouterr().out
    row = user(config, "ana@example.org")
    assert row["role"] == "staff" and row["password_hash"].startswith("$argon2id$")
    assert asyncio.run(verify_password(row["password_hash"], "a long enough password"))


def test_add_refuses_short_passwords_duplicates_and_bad_emails(config, db_path, capsys):
    assert run(["users", "add", "ana@example.org", "--role", "admin"], db_path, "short\n") == 2
    assert user(config, "ana@example.org") is None
    assert run(["users", "add", "not-an-email", "--role", "admin"], db_path,
               "a long enough password\n") == 2
    assert run(["users", "add", "ana@example.org", "--role", "admin"], db_path,
               "a long enough password\n") == 0
    assert run(["users", "add", "ANA@example.org", "--role", "staff"], db_path,
               "a long enough password\n") == 1
    assert "already exists" in capsys.readouterr().err


def test_password_is_never_an_argument(db_path):
    with pytest.raises(SystemExit):
        run(["users", "add", "ana@example.org", "--role", "staff", "--password", "x" * 20],
            db_path)
    with pytest.raises(SystemExit):
        run(["users", "add", "ana@example.org", "--role", "owner"], db_path)


def test_list_and_disable(config, db_path, capsys):
    assert run(["users", "list"], db_path) == 0
    assert "no accounts yet" in capsys.readouterr().out
    run(["users", "add", "ana@example.org", "--role", "advocate"], db_path,
        "a long enough password\n")
    assert run(["users", "disable", "ana@example.org"], db_path) == 0
    assert run(["users", "disable", "bob@example.org"], db_path) == 1
    capsys.readouterr()
    run(["users", "list"], db_path)
    line = capsys.readouterr().out.strip()
    assert "ana@example.org" in line and "advocate" in line and "disabled" in line
    assert user(config, "ana@example.org")["disabled"] == 1


def test_enable_and_reset_password(config, db_path, capsys):
    assert run(["users", "add", "ana@example.org", "--role", "staff"], db_path,
               "a long enough password\n") == 0
    assert run(["users", "disable", "ana@example.org"], db_path) == 0
    assert user(config, "ana@example.org")["disabled"]
    assert run(["users", "enable", "ana@example.org"], db_path) == 0
    assert "enabled ana@example.org" in capsys.readouterr().out
    assert not user(config, "ana@example.org")["disabled"]
    assert run(["users", "reset-password", "ana@example.org"], db_path, "short\n") == 2
    assert run(["users", "reset-password", "ana@example.org"], db_path,
               "a brand new long password\n") == 0
    row = user(config, "ana@example.org")
    assert asyncio.run(verify_password(row["password_hash"], "a brand new long password"))
    assert run(["users", "reset-password", "nobody@example.org"], db_path, "x" * 20 + "\n") == 1
    assert "no such account" in capsys.readouterr().err
