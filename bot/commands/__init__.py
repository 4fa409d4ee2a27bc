"""The ``casecheck`` command groups (see ``bot/cli.py``), and what they share."""

from __future__ import annotations

import sys
from pathlib import Path

from ..config import Config


def missing_database(config: Config) -> bool:
    """True (and says so) when the database file does not exist: commands that only read
    must not create an empty database at a mistyped path. A PostgreSQL database is
    the server's to check (opening it says when it is missing)."""
    if config.storage.url or Path(config.storage.path).is_file():
        return False
    print(f"casecheck: no database at {config.storage.path}", file=sys.stderr)
    return True
