"""``casecheck demo``: made-up cases, imported by the real importer, then the console chat."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.cli import main
from bot.commands.demo import TRY_LINES
from bot.demo_data import csv_text, shipped_csv
from bot.registry.normalize import hash_notice_code, name_key, normalize_docket, parse_date
from bot.storage import Database, cases

ROOT = Path(__file__).resolve().parents[1]


def demo(cwd: Path, *argv: str, typed: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECHECK_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["CASECHECK_SERVER_PORT"] = "0"  # any free port: never a running demo's
    return subprocess.run([sys.executable, "-m", "bot", "demo", *argv], cwd=cwd, env=env,
                          input=typed, capture_output=True, text=True, timeout=60)


def messages(db_path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT direction, body FROM messages ORDER BY id").fetchall()
    finally:
        conn.close()


def test_the_demo_sends_nothing_the_person_did_not_type(tmp_path: Path) -> None:
    result = demo(tmp_path, typed="\nhi\n\n")
    assert result.returncode == 0, result.stderr
    assert "I did not get any words" not in result.stdout
    inbound = [body for direction, body in messages(tmp_path / "casecheck-demo.db")
               if direction == "in"]
    assert inbound == ["hi"]


def test_demo_fresh_starts_over(tmp_path: Path) -> None:
    assert demo(tmp_path, typed="hi\n2\n").returncode == 0
    again = demo(tmp_path)
    assert "casecheck demo --fresh" in again.stdout  # says how to reset
    fresh = demo(tmp_path, "--fresh")
    assert fresh.returncode == 0, fresh.stderr
    assert "--fresh" not in fresh.stdout.split("Type your messages")[0].split("made-up")[1]
    assert messages(tmp_path / "casecheck-demo.db") == []
    assert count(tmp_path / "casecheck-demo.db") == 50


def test_demo_fresh_never_deletes_a_configured_database(tmp_path: Path) -> None:
    real = tmp_path / "real.db"
    config = tmp_path / "casecheck.toml"
    config.write_text(f'[storage]\npath = "{real}"\n', encoding="utf-8")
    assert demo(tmp_path, "--config", str(config)).returncode == 0
    refused = demo(tmp_path, "--config", str(config), "--fresh")
    assert refused.returncode == 2 and "only deletes a demo database" in refused.stderr
    assert count(real) == 50


def count(db_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0])
    finally:
        conn.close()


def test_demo_creates_then_reuses_its_database_and_ends_with_stdin(tmp_path: Path) -> None:
    first = demo(tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Demo database: casecheck-demo.db (50 made-up cases)" in first.stdout
    assert "0912-CR-004411" in first.stdout and "HX7K-29QP" in first.stdout
    assert count(tmp_path / "casecheck-demo.db") == 50
    again = demo(tmp_path)
    assert again.returncode == 0, again.stderr
    assert count(tmp_path / "casecheck-demo.db") == 50
    conn = sqlite3.connect(tmp_path / "casecheck-demo.db")
    imports = conn.execute("SELECT COUNT(*) FROM audit WHERE action='import'").fetchone()[0]
    conn.close()
    assert imports == 1  # reused, not imported twice


def test_demo_honours_db(tmp_path: Path) -> None:
    result = demo(tmp_path, "--db", str(tmp_path / "mine.db"))
    assert result.returncode == 0, result.stderr
    assert count(tmp_path / "mine.db") == 50
    assert not (tmp_path / "casecheck-demo.db").exists()


def test_shipped_csv_is_the_generated_one() -> None:
    assert shipped_csv().read_text(encoding="utf-8") == csv_text()


async def test_the_cases_the_demo_suggests_work(tmp_path: Path, db_path: Path) -> None:
    import asyncio
    assert await asyncio.to_thread(
        main, ["registry", "import", str(shipped_csv()), "--db", str(db_path)]) == 0
    text = "\n".join(TRY_LINES)
    assert all(s in text for s in ("0912-CR-004411", "03/14/1975", "Nunez", "1975-03-15",
                                   "Carter-Whitfield", "1981-07-09", "HX7K-29QP"))
    async with await Database.open(db_path) as db:
        (match,) = await cases.by_docket(db, normalize_docket("0912-CR-004411"))
        assert match["date_of_birth"] == parse_date("03/14/1975").isoformat()
        assert match["last_name_key"] == name_key("Nunez")
        assert match["date_of_birth"] != parse_date("1975-03-15").isoformat()
        code = await cases.by_notice_hash(db, hash_notice_code("HX7K-29QP"))
        assert code is not None and code["id"] == match["id"]
        candidates = [r for r in await cases.by_dob(db, "1981-07-09")
                      if r["last_name_key"] == name_key("Carter-Whitfield")]
        assert len(candidates) == 2
        assert [r["lab"] for r in await cases.same_person(db, candidates[0])] == ["Amherst"]
        statuses = {r["status"] for r in await db.fetchall("SELECT status FROM cases")}
        assert statuses == {"dismissed", "pending", "not_dismissed", "under_review"}
        phones = [r["phone"] for r in await db.fetchall(
            "SELECT phone FROM cases WHERE phone IS NOT NULL")]
        assert phones and all(p.startswith("+1555010") for p in phones)
