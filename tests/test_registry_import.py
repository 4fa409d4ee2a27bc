"""``casecheck registry import`` through the real CLI, on SQLite files in tmp dirs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.registry.normalize import hash_notice_code
from bot.storage import Database, cases
from tests.conftest import both_engines

HEADER = ("docket_number,court,last_name,first_name,date_of_birth,lab,status,status_date,"
          "phone,language,notice_code\n")
GOOD = [
    "0912-cr-004411 ,Boston Municipal Court,Núñez,María,1975-03-14,Hinton,Dismissed,"
    "2017-04-19,(555) 010-0101,es,HX7K-29QP\n",
    "1081 CR 000217,Springfield District Court,O'Brien,Patrick,11/02/1968,Amherst,pending,"
    ",,en,\n",
    "0845-CR-001203,Boston Municipal Court,Carter-Whitfield,Denise,1981-07-09,Hinton,"
    "UNDER_REVIEW,3/5/2019,555-010-0103,,\n",
]


def write(tmp_path: Path, text: str, name: str = "cases.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows(db_path: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM cases ORDER BY id").fetchall()
    finally:
        conn.close()


def test_import_normalises_every_column(tmp_path: Path, db_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    csv_path = write(tmp_path, HEADER + "".join(GOOD))
    code, out, err = run(capsys, "registry", "import", str(csv_path), "--db", str(db_path))
    assert (code, err) == (0, "")
    assert "3 new, 0 updated, 0 unchanged" in out
    nunez, obrien, carter = rows(db_path)
    assert nunez["docket_number"] == "0912CR004411"
    assert nunez["docket_display"] == "0912-cr-004411"
    assert nunez["last_name"] == "Núñez" and nunez["last_name_key"] == "nunez"
    assert nunez["first_name_key"] == "maria"
    assert nunez["status"] == "dismissed" and nunez["status_date"] == "2017-04-19"
    assert nunez["phone"] == "+15550100101" and nunez["language"] == "es"
    assert nunez["notice_code_hash"] == hash_notice_code("hx7k29qp")
    assert obrien["docket_number"] == "1081CR000217"
    assert obrien["date_of_birth"] == "1968-11-02" and obrien["last_name_key"] == "obrien"
    assert obrien["phone"] is None and obrien["notice_code_hash"] is None
    assert obrien["status_date"] is None
    assert carter["status"] == "under_review" and carter["status_date"] == "2019-03-05"
    assert carter["phone"] == "+15550100103" and carter["language"] is None


def test_header_is_case_insensitive_with_bom_and_extra_columns(
        tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ("\ufeff Status ,DATE_OF_BIRTH,Notes,Last Name,Docket-Number\r\n"
            "pending,1990-01-02,call after 5,Kim,0701CR1\r\n")
    code, out, _ = run(capsys, "registry", "import", str(write(tmp_path, text)),
                       "--db", str(db_path))
    assert code == 0 and "1 new" in out
    (row,) = rows(db_path)
    assert (row["docket_number"], row["court"], row["lab"]) == ("0701CR000001", "", "")


@both_engines
async def test_import_reimport_and_update_through_the_cli_on_each_engine(
        tmp_path: Path, config, cli_db: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """The same command on SQLite and on PostgreSQL ([storage] url): new, unchanged,
    updated, and a file contradicting itself refused."""
    import asyncio

    csv_path = write(tmp_path, HEADER + "".join(GOOD))
    code, out, _ = await asyncio.to_thread(run, capsys, "registry", "import", str(csv_path),
                                           *cli_db)
    assert code == 0 and "3 new" in out
    code, out, _ = await asyncio.to_thread(run, capsys, "registry", "import", str(csv_path),
                                           *cli_db)
    assert code == 0 and "0 new, 0 updated, 3 unchanged" in out
    changed = write(tmp_path, HEADER + GOOD[0] + GOOD[1].replace("pending", "dismissed"),
                    "changed.csv")
    code, out, _ = await asyncio.to_thread(run, capsys, "registry", "import", str(changed),
                                           *cli_db)
    assert code == 0 and "0 new, 1 updated, 1 unchanged" in out
    async with await Database.open(config.storage.url or config.storage.path) as db:
        # An empty optional value is NULL, loaded into the empty registry or updated
        # through the stage (O'Brien's row, updated, has no phone, status date or code).
        empty = await db.fetchall(
            "SELECT id FROM cases WHERE '' IN (phone, status_date, language, notice_code_hash,"
            " person_ref)")
        nulls = await db.fetchall("SELECT status_date, phone, notice_code_hash FROM cases"
                                  " WHERE docket_number = '1081CR000217'")
    assert empty == [] and [tuple(r) for r in nulls] == [(None, None, None)]
    clash = write(tmp_path, HEADER + GOOD[0] + GOOD[0].replace("Hinton", "Amherst"), "clash.csv")
    code, _, _ = await asyncio.to_thread(run, capsys, "registry", "import", str(clash), *cli_db)
    assert code != 0
    async with await Database.open(config.storage.url or config.storage.path) as db:
        statuses = [r["status"] for r in await db.fetchall(
            "SELECT status FROM cases ORDER BY id")]
        stage = await db.fetchall("SELECT 1 FROM cases WHERE lab = 'Amherst'"
                                  " AND docket_number = '0912CR004411'")
    assert statuses == ["dismissed", "dismissed", "under_review"] and stage == []


def test_reimport_of_the_same_file_changes_nothing(
        tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_path = write(tmp_path, HEADER + "".join(GOOD))
    run(capsys, "registry", "import", str(csv_path), "--db", str(db_path))
    before = [tuple(r) for r in rows(db_path)]
    code, out, _ = run(capsys, "registry", "import", str(csv_path), "--db", str(db_path))
    assert code == 0
    assert "0 new, 0 updated, 3 unchanged" in out
    assert [tuple(r) for r in rows(db_path)] == before


def test_a_changed_row_updates_its_case(tmp_path: Path, db_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "registry", "import", str(write(tmp_path, HEADER + "".join(GOOD))),
        "--db", str(db_path))
    before = {r["docket_number"]: r for r in rows(db_path)}
    changed = GOOD[1].replace("pending,,,en,", "dismissed,2019-06-01,,en,")
    new = "0123CR000001,Boston Municipal Court,Reyes,Ana,1990-05-05,Hinton,pending,,,,\n"
    csv_path = write(tmp_path, HEADER + GOOD[0] + changed + GOOD[2] + new, "v2.csv")
    code, out, _ = run(capsys, "registry", "import", str(csv_path), "--db", str(db_path))
    assert code == 0
    assert "1 new, 1 updated, 2 unchanged" in out
    after = {r["docket_number"]: r for r in rows(db_path)}
    assert len(after) == 4
    obrien = after["1081CR000217"]
    assert obrien["id"] == before["1081CR000217"]["id"]
    assert (obrien["status"], obrien["status_date"]) == ("dismissed", "2019-06-01")
    assert tuple(after["0912CR004411"]) == tuple(before["0912CR004411"])


def test_same_docket_in_another_court_is_another_case(
        tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = GOOD[0].replace("Boston Municipal Court", "Lowell District Court")
    code, out, _ = run(capsys, "registry", "import",
                       str(write(tmp_path, HEADER + GOOD[0] + other.replace("HX7K-29QP", ""))),
                       "--db", str(db_path))
    assert code == 0 and "2 new" in out
    assert [r["court"] for r in rows(db_path)] == ["Boston Municipal Court",
                                                   "Lowell District Court"]


BAD = {
    3: ("0101CR1,,Lopez,,1980-02-31,,pending,,,,\n", "date_of_birth: date does not exist"),
    4: ("0101CR2,,Lopez,,14.13.1975,,pending,,,,\n", "date_of_birth: not a month/day/year"),
    5: ("0101CR3,,Lopez,,1975-03-14,,closed,,,,\n", "status: must be one of dismissed"),
    6: ("0101CR4,,,,1975-03-14,,pending,,,,\n", "last_name: missing"),
    7: ("--,,Lopez,,1975-03-14,,pending,,,,\n", "docket_number: has no letters or digits"),
    8: ("0101CR5,,Lopez,,1975-03-14,,pending,,555-0101,,\n", "phone: phone number has too few"),
    9: ("0101CR6,,Lopez,,2999-01-01,,pending,,,,\n", "date_of_birth: is in the future"),
    10: ("0101CR7,,Lopez,,1975-03-14,,pending\n", "has 7 fields but the header has 11"),
    11: ("0101CR8,,Lopez,,1975-03-14,,pending,,,Español!,\n", "language: must be"),
    12: ("0101CR9,,Lo\x07pez,,1975-03-14,,pending,,,,\n", "last_name: contains control"),
    13: ("0101CR10,,Lopez,,,,,,,,\n", "date_of_birth: missing; status: missing"),
}


def bad_file(tmp_path: Path) -> Path:
    lines = [HEADER, GOOD[0]] + [BAD[n][0] for n in sorted(BAD)] + [GOOD[1]]
    return write(tmp_path, "".join(lines))


def test_any_invalid_row_imports_nothing_and_every_bad_line_is_named(
        tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "registry", "import", str(bad_file(tmp_path)),
                         "--db", str(db_path))
    assert code == 1
    assert out == ""
    reported = [line for line in err.splitlines() if line.startswith("line ")]
    assert [int(line.split()[1].rstrip(":")) for line in reported] == sorted(BAD)
    for number, (_row, reason) in BAD.items():
        assert any(line.startswith(f"line {number}: {reason}") for line in reported), number
    assert f"{len(BAD)} invalid row(s) out of {len(BAD) + 2}; nothing was imported" in err
    assert rows(db_path) == []
    # each reason shows the bad value, and only that (never another column's)
    assert 'status: must be one of dismissed, pending, not_dismissed, under_review: "closed"' \
        in err
    assert 'date_of_birth: date does not exist in the calendar: "1980-02-31"' in err
    assert "Núñez" not in err and "Lopez" not in err


def test_skip_invalid_imports_the_valid_rows(tmp_path: Path, db_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "registry", "import", str(bad_file(tmp_path)), "--skip-invalid",
                         "--db", str(db_path))
    assert code == 0
    assert f"2 new, 0 updated, 0 unchanged, {len(BAD)} invalid (skipped)" in out
    assert err.count("\nline ") + err.startswith("line ") == len(BAD)
    assert [r["docket_number"] for r in rows(db_path)] == ["0912CR004411", "1081CR000217"]


def test_duplicate_docket_with_different_data_names_both_lines(
        tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    twin = GOOD[1].replace("pending", "dismissed")
    csv_path = write(tmp_path, HEADER + GOOD[1] + GOOD[0] + GOOD[0] + twin + GOOD[2])
    code, _, err = run(capsys, "registry", "import", str(csv_path), "--db", str(db_path))
    assert code == 1
    assert "line 2: docket_number: same docket number and court as line 5" in err
    assert "line 5: docket_number: same docket number and court as line 2" in err
    assert "line 3" not in err and "line 4" not in err  # identical repeats are fine
    assert rows(db_path) == []
    code, out, err = run(capsys, "registry", "import", str(csv_path), "--skip-invalid",
                         "--db", str(db_path))
    assert code == 0
    assert "2 new, 0 updated, 0 unchanged, 2 invalid (skipped)" in out
    assert [r["docket_number"] for r in rows(db_path)] == ["0912CR004411", "0845CR001203"]


def test_identical_duplicates_are_counted_once(tmp_path: Path, db_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    csv_path = write(tmp_path, HEADER + GOOD[0] + GOOD[1] + GOOD[0])
    code, out, _ = run(capsys, "registry", "import", str(csv_path), "--db", str(db_path))
    assert code == 0 and "Imported 3 row(s): 2 new, 0 updated, 0 unchanged" in out
    code, out, _ = run(capsys, "registry", "import", str(csv_path), "--db", str(db_path))
    assert "0 new, 0 updated, 2 unchanged" in out


def test_one_notice_code_for_two_cases_is_refused(
        tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "registry", "import", str(write(tmp_path, HEADER + GOOD[0])), "--db", str(db_path))
    same_code = GOOD[2].replace(",,\n", ",,hx7k 29qp\n")
    code, _, err = run(capsys, "registry", "import",
                       str(write(tmp_path, HEADER + GOOD[1] + same_code, "v2.csv")),
                       "--db", str(db_path))
    assert code == 1
    assert "line 3: notice_code: the same notice code already belongs to another case" in err
    in_file = GOOD[1].replace(",en,\n", ",en,QQ22-RR33\n")
    code, _, err = run(capsys, "registry", "import",
                       str(write(tmp_path, HEADER + in_file + GOOD[2].replace(
                           ",,\n", ",,QQ22RR33\n"), "v3.csv")), "--db", str(db_path))
    assert code == 1
    assert "line 2: notice_code: the same notice code is given to another case on line 3" in err
    assert len(rows(db_path)) == 1


def test_notice_codes_are_never_stored_in_clear(
        tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "registry", "import", str(write(tmp_path, HEADER + "".join(GOOD))),
        "--db", str(db_path))
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("casecheck"))
    assert b"Boston Municipal Court" in stored  # the bytes searched do hold the data
    for form in (b"HX7K-29QP", b"HX7K29QP", b"hx7k", b"HX7K"):
        assert form not in stored


def test_wrong_encoding_is_named_with_its_line(tmp_path: Path, db_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    csv_path = write(tmp_path, HEADER + GOOD[1] + GOOD[0], encoding="latin-1")
    code, out, err = run(capsys, "registry", "import", str(csv_path), "--db", str(db_path))
    assert code == 1 and out == ""
    assert "line 3: the file is not UTF-8 text" in err
    assert "Nothing was imported." in err
    assert rows(db_path) == []


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty"),
    ("\n\n  \n", "the file is empty"),
    (GOOD[0] + GOOD[1], "line 1: no header row; the first line must name the columns"),
    ("docket_number,court,first_name,date_of_birth\n0101CR1,,Ana,1990-01-01\n",
     "missing required column(s): last_name, status"),
    (HEADER, "the file has a header but no data rows"),
    ("docket_number,last_name,Last_Name,date_of_birth,status\n",
     "the header names the column last_name twice"),
    (HEADER + '"0101CR1,,Kim,,1990-01-01,,pending,,,,\n',
     "not valid CSV"),
])
def test_malformed_files_are_reported_and_import_nothing(
        tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str],
        text: str, message: str) -> None:
    code, out, err = run(capsys, "registry", "import", str(write(tmp_path, text)),
                         "--db", str(db_path))
    assert code == 1 and out == ""
    assert message in err
    assert rows(db_path) == []


def test_missing_file(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "registry", "import", str(tmp_path / "nope.csv"),
                       "--db", str(db_path))
    assert code == 1 and "no such file" in err


def test_each_import_is_audited_with_counts_only(
        tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "registry", "import", str(write(tmp_path, HEADER + "".join(GOOD))),
        "--db", str(db_path))
    run(capsys, "registry", "import", str(bad_file(tmp_path)), "--db", str(db_path))
    conn = sqlite3.connect(db_path)
    audit = conn.execute("SELECT actor, action, outcome, detail FROM audit ORDER BY id").fetchall()
    conn.close()
    assert [(a, b, c) for a, b, c, _ in audit] == [("cli", "import", "imported"),
                                                    ("cli", "import", "rejected")]
    assert '"inserted": 3' in audit[0][3]
    assert "Núñez" not in audit[0][3] and "0912" not in audit[0][3]


async def test_lookups_the_dialogue_uses(tmp_path: Path, db_path: Path) -> None:
    person = "0777CR000001,Lowell District Court,Núñez,María,1975-03-14,Amherst,pending,,,,\n"
    csv_path = write(tmp_path, HEADER + "".join(GOOD) + person)
    import asyncio
    code = await asyncio.to_thread(main, ["registry", "import", str(csv_path),
                                          "--db", str(db_path)])
    assert code == 0
    async with await Database.open(db_path) as db:
        (found,) = await cases.by_docket(db, "0912CR004411")
        assert found["last_name"] == "Núñez"
        assert await cases.by_docket(db, "0912-CR-004411") == []  # callers normalise
        code_row = await cases.by_notice_hash(db, hash_notice_code("HX7K 29QP"))
        assert code_row is not None and code_row["id"] == found["id"]
        assert await cases.by_notice_hash(db, hash_notice_code("HX7K-29QB")) is None
        assert [r["docket_number"] for r in await cases.by_dob(db, "1975-03-14")] == [
            "0912CR004411", "0777CR000001"]
        namesake = await cases.get(db, found["id"] + 3)
        assert (namesake["last_name_key"], namesake["date_of_birth"]) == (
            found["last_name_key"], found["date_of_birth"])
        # Same name and date of birth, but no person record or code in common: not them.
        assert await cases.same_person(db, found) == []
        assert (await cases.get(db, found["id"]))["court"] == "Boston Municipal Court"
        assert await cases.get(db, 999) is None
        async with db.transaction() as conn:
            await cases.mark_phone_wrong(conn, "+15550100101")
        assert (await cases.get(db, found["id"]))["phone_wrong"] == 1
        assert (await cases.by_docket(db, "0845CR001203"))[0]["phone_wrong"] == 0


def _indexes(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        return sorted(r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='cases'"))


def test_a_bad_last_row_into_an_empty_registry_imports_nothing_and_keeps_the_indexes(
        tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, HEADER + "".join(GOOD), "good.csv")
    assert run(capsys, "registry", "import", str(good), "--db", str(db_path))[0] == 0
    indexes = _indexes(db_path)
    assert len(indexes) >= 2
    empty = tmp_path / "empty.db"
    many = "".join(f"{i:04d}-CR-{i:06d},Boston Municipal Court,Lee,Ann,1970-01-01,Hinton,"
                   f"pending,,,en,\n" for i in range(2000))
    bad = write(tmp_path, HEADER + many + "0912-CR-1,Boston Municipal Court,Lee,Ann,"
                "not a date,Hinton,pending,,,en,\n", "bad.csv")
    code, out, err = run(capsys, "registry", "import", str(bad), "--db", str(empty))
    assert code != 0 and "2002" in out + err  # the bad line, named
    assert rows(empty) == [] and _indexes(empty) == indexes
    ok = write(tmp_path, HEADER + many, "ok.csv")
    assert run(capsys, "registry", "import", str(ok), "--db", str(empty))[0] == 0
    assert len(rows(empty)) == 2000 and _indexes(empty) == indexes


_INDEXES = {"sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                      " AND tbl_name = 'cases' ORDER BY name",
            "postgresql": "SELECT indexname, indexdef FROM pg_indexes"
                          " WHERE tablename = 'cases' ORDER BY indexname"}


@both_engines
async def test_a_bulk_load_leaves_the_registry_indexed_as_before(
        tmp_path: Path, config, cli_db: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A large import drops the secondary indexes and builds them again after the load;
    searches after it must find the same indexes the migrations made."""
    import asyncio

    from bot.registry import importer

    async with await Database.open(config.storage.url or config.storage.path) as db:
        before = [tuple(r) for r in await db.fetchall(_INDEXES[db.dialect])]
    assert len(before) >= 5
    monkeypatch.setattr(importer, "REBUILD_INDEXES_FROM", 1)  # three rows are a bulk load
    csv_path = write(tmp_path, HEADER + "".join(GOOD))
    code, out, _ = await asyncio.to_thread(run, capsys, "registry", "import", str(csv_path),
                                           *cli_db)
    assert code == 0 and "3 new" in out
    async with await Database.open(config.storage.url or config.storage.path) as db:
        after = [tuple(r) for r in await db.fetchall(_INDEXES[db.dialect])]
        found = await cases.by_dob(db, "1975-03-14")
    assert after == before
    assert [case.last_name for case in found] == ["Núñez"]


@both_engines
async def test_a_first_import_is_checked_whole_and_loaded_once_on_each_engine(
        tmp_path: Path, config, cli_db: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Into an empty registry (PostgreSQL loads it straight into ``cases``): a file read
    again as day-first, a contradiction refused with nothing imported, then skipped; an
    identical repeat kept once; ids in file order, and the next case after them."""
    import asyncio

    async def stored() -> tuple[list[tuple[str, str, str | None]], list[tuple[str, str]]]:
        async with await Database.open(config.storage.url or config.storage.path) as db:
            found = [(r["docket_number"], r["date_of_birth"], r["status_date"])
                     for r in await db.fetchall("SELECT * FROM cases ORDER BY id")]
            return found, [tuple(r) for r in await db.fetchall(_INDEXES[db.dialect])]

    _, indexes = await stored()
    carter = GOOD[2].replace("1981-07-09", "25/07/1981")  # only day-first reads this
    twin = GOOD[1].replace("pending", "dismissed")
    csv_path = write(tmp_path, HEADER + GOOD[1] + GOOD[0] + GOOD[0] + twin + carter)
    code, _, err = await asyncio.to_thread(run, capsys, "registry", "import", str(csv_path),
                                           *cli_db)
    assert code == 1
    assert "line 2: docket_number: same docket number and court as line 5" in err
    assert "line 3" not in err and "line 4" not in err
    assert await stored() == ([], indexes)
    code, out, _ = await asyncio.to_thread(run, capsys, "registry", "import", str(csv_path),
                                           "--skip-invalid", *cli_db)
    assert code == 0
    assert "2 new, 0 updated, 0 unchanged, 2 invalid (skipped)" in out and "day/month" in out
    assert await stored() == ([("0912CR004411", "1975-03-14", "2017-04-19"),
                               ("0845CR001203", "1981-07-25", "2019-05-03")], indexes)
    later = write(tmp_path, HEADER + carter + GOOD[0] + GOOD[1], "later.csv")
    code, out, _ = await asyncio.to_thread(run, capsys, "registry", "import", str(later),
                                           "--date-order", "dmy", *cli_db)
    assert code == 0 and "1 new, 0 updated, 2 unchanged" in out
    found, after = await stored()
    assert [docket for docket, _, _ in found] == ["0912CR004411", "0845CR001203", "1081CR000217"]
    assert after == indexes


@both_engines
async def test_a_value_given_or_taken_away_on_reimport_is_an_update_on_each_engine(
        tmp_path: Path, config, cli_db: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A re-import compares every column, an empty one (NULL) too: a phone number added
    to a case, or removed from it, is an update; the rest is unchanged."""
    import asyncio

    async def phone() -> object:
        async with await Database.open(config.storage.url or config.storage.path) as db:
            row = await db.fetchone("SELECT phone FROM cases WHERE docket_number = ?",
                                    ("1081CR000217",))
        assert row is not None
        return row["phone"]

    first = write(tmp_path, HEADER + "".join(GOOD))
    given = write(tmp_path, HEADER + GOOD[0] + GOOD[1].replace(",,en,", ",555-010-0102,en,")
                  + GOOD[2], "given.csv")
    for path, said, stored in ((first, "3 new", None),
                               (given, "0 new, 1 updated, 2 unchanged", "+15550100102"),
                               (first, "0 new, 1 updated, 2 unchanged", None),
                               (first, "0 new, 0 updated, 3 unchanged", None)):
        code, out, _ = await asyncio.to_thread(run, capsys, "registry", "import", str(path),
                                               *cli_db)
        assert code == 0 and said in out
        assert await phone() == stored


def test_an_upgraded_registry_keeps_its_cases_and_their_links(tmp_path: Path,
                                                              db_path: Path) -> None:
    """Migration 13 drops the row hash of a registry imported before it: every case,
    column and link to a case stays."""
    import asyncio

    from bot.storage import _split_sql, migration_scripts

    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for version, _name, sql in migration_scripts():
        if version <= 12:
            for statement in _split_sql(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?)", (version,))
    conn.execute("INSERT INTO cases (docket_number, docket_display, last_name, last_name_key,"
                 " date_of_birth, status, phone, row_hash, imported_at) VALUES ('0912CR004411',"
                 " '0912-CR-004411', 'Núñez', 'nunez', '1975-03-14', 'dismissed',"
                 " '+15550100101', 'abc', '2026-01-01')")
    conn.execute("INSERT INTO people (created_at, updated_at, verified_case_id)"
                 " VALUES ('2026-01-01', '2026-01-01', 1)")
    conn.commit()
    conn.close()

    async def upgrade() -> int:
        async with await Database.open(db_path) as db:
            return await db.migrate()

    assert asyncio.run(upgrade()) == 13
    (case,) = rows(db_path)
    assert "row_hash" not in case.keys()
    assert (case["id"], case["last_name"], case["phone"], case["status"]) == (
        1, "Núñez", "+15550100101", "dismissed")
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("SELECT verified_case_id FROM people").fetchall() == [(1,)]
    finally:
        conn.close()
