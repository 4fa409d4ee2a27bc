"""``casecheck users``: console accounts (add, list, disable, enable, reset-password).

The password is never a command-line argument (it would land in shell history
and in the process list): it is asked twice at a terminal, or read as one line
from standard input when that is not a terminal (for scripts).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import TextIO

from ..app import App
from ..clock import iso
from ..config import Config
from ..storage import accounts
from ..web.auth import hash_password, password_problem

ACTOR = "cli"


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("users", help="manage staff console accounts",
                       description="Staff console accounts. Passwords come from a prompt or "
                                   "one line of standard input, never from the command line.",
                       epilog="examples:\n  casecheck users add lawyer@example.org --role staff"
                              "\n  casecheck users reset-password lawyer@example.org"
                              "\n  casecheck users enable lawyer@example.org",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    users = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users.add_parser("add", parents=[parent], help="add an account (password from a "
                           "prompt, or one line of standard input)")
    add.add_argument("email")
    add.add_argument("--role", choices=accounts.ROLES, required=True)
    add.set_defaults(func=add_user)
    lst = users.add_parser("list", parents=[parent], help="list the accounts")
    lst.set_defaults(func=list_users)
    dis = users.add_parser("disable", parents=[parent],
                           help="disable an account and end its sessions")
    dis.add_argument("email")
    dis.set_defaults(func=disable_user)
    ena = users.add_parser("enable", parents=[parent], help="enable a disabled account again")
    ena.add_argument("email")
    ena.set_defaults(func=enable_user)
    reset = users.add_parser(
        "reset-password", parents=[parent],
        help="set a new password for an account (from a prompt, or one line of standard "
             "input) and end its sessions",
        epilog="example: casecheck users reset-password lawyer@example.org")
    reset.add_argument("email")
    reset.set_defaults(func=reset_password)


async def read_new_password() -> str | int:
    """A new password that meets the policy, or the exit status saying why not."""
    password = await read_password()
    if password is None:
        return 1
    problem = password_problem(password)
    if problem:
        print(f"casecheck: password refused: {problem}", file=sys.stderr)
        return 2
    return password


async def read_password(stdin: TextIO | None = None) -> str | None:
    """A new password from a terminal prompt (asked twice) or one line of stdin."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = await asyncio.to_thread(getpass.getpass, "Password: ")
        again = await asyncio.to_thread(getpass.getpass, "Password again: ")
        if first != again:
            print("casecheck: the two passwords are not the same", file=sys.stderr)
            return None
        return first
    return (await asyncio.to_thread(stdin.readline)).rstrip("\r\n")


async def add_user(args: argparse.Namespace, config: Config) -> int:
    email = args.email.strip()
    if "@" not in email or any(c.isspace() for c in email) or len(email) > 254:
        print(f"casecheck: not an email address: {email!r}", file=sys.stderr)
        return 2
    password = await read_new_password()
    if isinstance(password, int):
        return password
    async with await App.create(config) as app:
        user_id = await accounts.create_user(app.db, email, args.role,
                                          await hash_password(password), iso(app.clock()), ACTOR)
    if user_id is None:
        print(f"casecheck: an account with this email already exists: {email}", file=sys.stderr)
        return 1
    print(f"added {email} ({args.role})")
    return 0


async def list_users(args: argparse.Namespace, config: Config) -> int:
    async with await App.create(config) as app:
        rows = await accounts.list_users(app.db)
    if not rows:
        print("no accounts yet: casecheck users add EMAIL --role admin")
        return 0
    width = max(len(r["email"]) for r in rows)
    for r in rows:
        state = "disabled" if r["disabled"] else "active"
        print(f"{r['email']:<{width}}  {r['role']:<8}  {state:<8}  {r['created_at']}")
    return 0


async def _set_disabled(args: argparse.Namespace, config: Config, disabled: bool) -> int:
    async with await App.create(config) as app:
        user = await accounts.user_by_email(app.db, args.email.strip())
        if user is None:
            print(f"casecheck: no such account: {args.email}", file=sys.stderr)
            return 1
        await accounts.set_disabled(app.db, user["id"], disabled, ACTOR, iso(app.clock()))
    print(f"{'disabled' if disabled else 'enabled'} {user['email']}")
    return 0


async def disable_user(args: argparse.Namespace, config: Config) -> int:
    return await _set_disabled(args, config, True)


async def enable_user(args: argparse.Namespace, config: Config) -> int:
    return await _set_disabled(args, config, False)


async def reset_password(args: argparse.Namespace, config: Config) -> int:
    """A new password for someone who lost theirs; every session of the account ends."""
    async with await App.create(config) as app:
        user = await accounts.user_by_email(app.db, args.email.strip())
        if user is None:
            print(f"casecheck: no such account: {args.email}", file=sys.stderr)
            return 1
        password = await read_new_password()
        if isinstance(password, int):
            return password
        await accounts.set_password(app.db, user["id"], await hash_password(password), "",
                                 ACTOR, iso(app.clock()))
    print(f"new password set for {user['email']}; its sessions ended")
    return 0
