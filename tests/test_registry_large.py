"""A file large enough to be parsed in a process of its own imports as a small one does:
the same rows and counts, bad lines named, nothing imported on a problem (#19)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.registry import importer
from bot.registry.importer import PARSE_IN_PROCESS_FROM
from tests.conftest import both_engines
from tests.test_registry_import import HEADER, rows, run, write


def _row(i: int, dob: str = "") -> str:
    phone = f"(617) 555-{i % 10_000:04d}" if i % 3 == 0 else ""
    code = f"N-{i:09d}" if i % 4 == 0 else ""
    return (f"{i % 90 + 10:02d}12-CR-{i:06d},Springfield District Court of Hampden County,"
            f"Núñez-{i % 37},María José,{dob or f'19{i % 60 + 40}-0{i % 9 + 1}-1{i % 9}'},"
            f"Hinton State Laboratory Institute,{('pending', 'Dismissed')[i % 2]},2017-04-19,"
            f"{phone},{('en', 'es')[i % 2]},{code}\n")


_MEAN = len("".join(map(_row, range(12))).encode()) // 12  # bytes a line
ROWS = PARSE_IN_PROCESS_FROM // _MEAN + 2_000


def _large(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = write(tmp_path, HEADER + "".join(lines), name)
    assert path.stat().st_size >= PARSE_IN_PROCESS_FROM  # the premise: a process parses it
    return path


def _good() -> list[str]:
    lines = [_row(i) for i in range(ROWS)]
    lines[ROWS // 2] = _row(ROWS // 2, dob="25/12/1970")  # the only date that tells: day first
    return lines


@both_engines
async def test_a_large_file_imports_reimports_and_refuses_bad_lines(
        tmp_path: Path, config, cli_db: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    bad = _good()
    bad[1_000] = bad[10].replace("pending", "dismissed")  # line 1002 contradicts line 12
    bad.append(_row(ROWS, dob="not a date"))
    code, out, err = await asyncio.to_thread(
        run, capsys, "registry", "import", str(_large(tmp_path, "bad.csv", bad)), *cli_db)
    assert code == 1 and out == ""
    assert f"line {ROWS + 2}: date_of_birth: not a date" in err
    assert "line 12: docket_number: same docket number and court as line 1002" in err
    assert "line 1002: docket_number: same docket number and court as line 12" in err
    assert f"3 invalid row(s) out of {ROWS + 1}; nothing was imported" in err

    good = _large(tmp_path, "good.csv", _good())
    code, out, _ = await asyncio.to_thread(run, capsys, "registry", "import", str(good), *cli_db)
    assert code == 0
    assert f"Imported {ROWS} row(s): {ROWS} new, 0 updated, 0 unchanged" in out
    assert "Dates read as day/month/year" in out
    code, out, _ = await asyncio.to_thread(run, capsys, "registry", "import", str(good), *cli_db)
    assert code == 0 and f"0 new, 0 updated, {ROWS} unchanged" in out


def _cases(db_path: Path) -> list[dict[str, object]]:
    return [{k: row[k] for k in row.keys() if k not in ("id", "imported_at")}
            for row in rows(db_path)]


def test_a_large_file_stores_what_a_small_one_does(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _good()
    large, small = tmp_path / "large.db", tmp_path / "small.db"
    assert run(capsys, "registry", "import", str(_large(tmp_path, "large.csv", lines)),
               "--db", str(large))[0] == 0
    head = lines[:500] + [lines[ROWS // 2]]  # with the date that tells the order
    assert run(capsys, "registry", "import", str(write(tmp_path, HEADER + "".join(head))),
               "--db", str(small))[0] == 0
    stored = _cases(large)
    assert len(stored) == ROWS
    assert stored[:500] + [stored[ROWS // 2]] == _cases(small)
    with sqlite3.connect(large) as conn:
        assert conn.execute("SELECT date_of_birth FROM cases WHERE docket_display=?",
                            (f"{ROWS // 2 % 90 + 10:02d}12-CR-{ROWS // 2:06d}",)
                            ).fetchone() == ("1970-12-25",)


def test_a_large_file_with_a_line_not_utf8_imports_nothing(
        tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _large(tmp_path, "latin.csv", _good())
    data = path.read_bytes()
    cut = data.index(b"\n", len(data) * 3 // 4) + 1  # the start of a line three quarters in
    line = data[:cut].count(b"\n") + 1
    path.write_bytes(data[:cut] + "Müller".encode("latin-1") + data[cut:])
    code, out, err = run(capsys, "registry", "import", str(path), "--db", str(db_path))
    assert code == 1 and out == ""
    assert f"line {line}: the file is not UTF-8 text" in err
    assert "Nothing was imported." in err
    assert rows(db_path) == []


def _import(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, path: Path,
            db: Path, processes: int, *flags: str) -> tuple[int, str, str]:
    """Import ``path`` parsed by ``processes`` processes (0: in this process)."""
    with monkeypatch.context() as patch:
        if processes:
            patch.setattr(importer, "PARSE_PROCESSES", processes)
        else:
            patch.setattr(importer, "PARSE_IN_PROCESS_FROM", 10**12)
        return run(capsys, "registry", "import", str(path), "--db", str(db), *flags)


def test_parsing_processes_share_a_file_and_find_what_one_reader_finds(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Three processes each check every third chunk of the file: problems, repeats and
    contradictions in different chunks, the date order shown in one chunk and a broken
    quote are found as by one reader, and the rows stored are the same, in file order."""
    far = importer.CHUNK_ROWS * 4 + 7  # in a chunk of another process than line 12's
    lines = _good()
    lines[far] = lines[10]  # an identical repeat of line 12: kept once
    lines[far + importer.CHUNK_ROWS] = lines[20].replace("pending", "dismissed")  # contradicts
    lines[far * 2] = _row(far * 2, dob="31/02/1970")  # no such day
    path = _large(tmp_path, "mixed.csv", lines)
    found = []
    for processes in (0, 1, 3):
        db = tmp_path / f"p{processes}.db"
        refused = _import(capsys, monkeypatch, path, db, processes)
        imported = _import(capsys, monkeypatch, path, db, processes, "--skip-invalid")
        found.append((refused, imported, _cases(db)))
    assert found[1] == found[0] and found[2] == found[0]
    (code, out, err), (skip_code, skip_out, _), stored = found[0]
    assert code == 1 and out == ""
    assert f"line {far * 2 + 2}: date_of_birth: date does not exist in the calendar" in err
    assert f"line 22: docket_number: same docket number and court as line" \
           f" {far + importer.CHUNK_ROWS + 2}" in err
    assert f"3 invalid row(s) out of {ROWS}; nothing was imported" in err
    assert skip_code == 0 and "Dates read as day/month/year" in skip_out
    assert len(stored) == ROWS - 4  # the bad date, the contradicting pair, the repeat
    displays = [case["docket_display"] for case in stored]
    assert displays == sorted(displays, key=lambda d: int(d[-6:]))  # file order
    assert displays.count(lines[10].split(",")[0]) == 1

    broken = lines[:]
    broken[far * 2] = _row(far * 2).replace("Springfield", '"Springfield', 1)
    path = _large(tmp_path, "quote.csv", broken)
    for processes in (0, 3):
        db = tmp_path / f"q{processes}.db"
        code, out, err = _import(capsys, monkeypatch, path, db, processes)
        assert code == 1 and f"line {far * 2 + 2}: not valid CSV" in err, err
        assert rows(db) == []
