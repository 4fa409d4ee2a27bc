"""Shared fixtures: every test builds its own app on a real SQLite file in a tmp dir.

A test or module marked ``both_engines`` runs twice: on SQLite and on a fresh
PostgreSQL database of the session's throw-away cluster (that half is skipped,
with the reason, when the machine has no PostgreSQL server binaries). The
``engine_db`` fixture is a migrated ``Database`` on each engine in turn.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.channels import console
from bot.config import Config, load_config
from bot.content import ContentPack
from bot.storage import Database
from handlers.intents import Understanding
from tests import pg_support

SHIPPED_PACK = "massachusetts"
ENGINES = ("sqlite", "postgresql")
# Marks a test or module whose ``app``, ``config`` and ``session`` run on each engine in
# turn (its tests that use none of them run once).
both_engines = pytest.mark.both_engines


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_engines: run on SQLite and on PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if (metafunc.definition.get_closest_marker("both_engines")
            and "storage_engine" in metafunc.fixturenames):
        metafunc.parametrize("storage_engine", ENGINES, indirect=True)


class FakeClock:
    """A clock tests can move."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


class ConsoleSession:
    """Drives the bot through the console channel's JSON protocol, one line per message."""

    def __init__(self, app: App, address: str = "tester") -> None:
        self.app = app
        self.address = address

    async def say(self, text: str) -> dict[str, Any]:
        stdin = io.StringIO(json.dumps({"text": text}) + "\n")
        stdout = io.StringIO()
        await console.run_json(self.app, self.address, stdin=stdin, stdout=stdout)
        lines = stdout.getvalue().splitlines()
        assert len(lines) == 1, lines
        return json.loads(lines[0])

    @staticmethod
    def text(turn: dict[str, Any]) -> str:
        return "\n".join(r["text"] for r in turn["replies"])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pg_support.Cluster]:
    """The session's throw-away PostgreSQL cluster (skips the test without server binaries)."""
    yield from pg_support.cluster()


@pytest.fixture
async def pg_url(pg_cluster: pg_support.Cluster) -> AsyncIterator[str]:
    """The URL of an empty PostgreSQL database of this test's own."""
    async for url in pg_support.fresh_database(pg_cluster):
        yield url


@pytest.fixture
def storage_engine(request: pytest.FixtureRequest) -> str:
    """'sqlite', unless the test is marked ``both_engines``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
async def storage_url(request: pytest.FixtureRequest, storage_engine: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database's URL on the PostgreSQL half; '' on SQLite."""
    if storage_engine != "postgresql":
        yield ""
        return
    cluster: pg_support.Cluster = request.getfixturevalue("pg_cluster")
    async for url in pg_support.fresh_database(cluster):
        yield url


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "casecheck.db"


@pytest.fixture
def config(db_path: Path, storage_url: str) -> Config:
    return (load_config(None, env={}).replace("storage", "path", str(db_path))
            .replace("storage", "url", storage_url))


@pytest.fixture
def cli_db(config: Config, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The command-line options that name the test's database: ``--db PATH`` on SQLite;
    on PostgreSQL none, the URL in ``CASECHECK_STORAGE_URL``."""
    if config.storage.url:
        monkeypatch.setenv("CASECHECK_STORAGE_URL", config.storage.url)
        return []
    return ["--db", config.storage.path]


@pytest.fixture(params=ENGINES)
async def engine_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated ``Database`` on a SQLite file, then on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        async with Database(tmp_path / "engine.db") as db:
            yield db
        return
    cluster: pg_support.Cluster = request.getfixturevalue("pg_cluster")
    async for url in pg_support.fresh_database(cluster):
        async with Database(url) as db:
            yield db


@pytest.fixture(scope="session")
def understanding() -> Understanding:
    """The shipped pack's understanding, its model loaded once for the whole session."""
    return Understanding(ContentPack.load(SHIPPED_PACK))


@pytest.fixture
async def app(config: Config, clock: FakeClock,
              understanding: Understanding) -> AsyncIterator[App]:
    shared = understanding if config.content.pack == SHIPPED_PACK else None
    application = await App.create(config, clock=clock, understanding=shared)
    try:
        yield application
    finally:
        await application.close()


@pytest.fixture
def session(app: App) -> ConsoleSession:
    return ConsoleSession(app)


class _Undeclared(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "undeclared transition %s -> %s":
            self.seen.append(record.getMessage())


@pytest.fixture(autouse=True)
def undeclared_transitions() -> Any:
    """Every test walks the flow: a step change ``handlers/flow.py`` does not declare
    (``TRANSITIONS``) fails it. A test that makes one on purpose empties the list."""
    handler = _Undeclared()
    logger = logging.getLogger("handlers.flow")
    logger.addHandler(handler)
    try:
        yield handler.seen
    finally:
        logger.removeHandler(handler)
    assert handler.seen == [], handler.seen
