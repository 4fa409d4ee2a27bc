"""[organization] phone_region: the country of numbers written without a country code,
in registry imports, test sends and "wrong number" (numbers abroad, issue 14)."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from bot.cli import main as cli_main
from bot.storage import Database
from tests.test_outreach_support import COLUMNS, case_row


def registry(path: Path, phones: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        for i, phone in enumerate(phones):
            writer.writerow({**case_row(i, "kea"), "phone": phone})
    return path


async def imported(tmp_path: Path, region: str | None, phones: list[str]) -> tuple[int, list]:
    config = tmp_path / "casecheck.toml"
    db_path = tmp_path / f"{region or 'default'}.db"
    config.write_text(f'[storage]\npath = "{db_path}"\n'
                      + (f'[organization]\nphone_region = "{region}"\n' if region else ""))
    csv_path = registry(tmp_path / "cases.csv", phones)
    code = await asyncio.to_thread(cli_main, ["registry", "import", str(csv_path),
                                              "--config", str(config)])
    if code != 0:
        return code, []
    async with await Database.open(str(db_path)) as db:
        rows = await db.fetchall("SELECT phone FROM cases ORDER BY id")
    return code, [r["phone"] for r in rows]


async def test_local_numbers_are_read_in_the_configured_country(tmp_path, capsys):
    local = ["991 23 45", "+1 617 555 0123", "011 238 991 2346"]
    code, phones = await imported(tmp_path, "CV", local[:2])
    assert code == 0 and phones == ["+2389912345", "+16175550123"]
    capsys.readouterr()
    # The same file read as US numbers: the Cape Verde number is reported with its line.
    code, _ = await imported(tmp_path, None, local)
    assert code == 1
    captured = capsys.readouterr()
    report = captured.out + captured.err
    assert "line 2" in report and "phone" in report
    assert "line 3" not in report and "line 4" not in report
