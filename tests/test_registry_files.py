"""Registry files as offices export them: semicolons, statuses with spaces, dates in many
forms with the file's day/month order, long error lists, and a newer file missing rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.registry import dates
from tests.test_registry_import import rows, run, write

SHORT = "docket_number;last_name;date_of_birth;status;status_date\n"


def test_a_semicolon_delimited_file_imports(tmp_path: Path, db_path: Path, capsys) -> None:
    path = write(tmp_path, SHORT + "0912-CR-004411;Núñez;1975-03-14;dismissed;2017-04-19\n")
    code, out, err = run(capsys, "registry", "import", str(path), "--db", str(db_path))
    assert code == 0, err
    assert [r["last_name"] for r in rows(db_path)] == ["Núñez"]
    tabbed = write(tmp_path, SHORT.replace(";", "\t") + "0101CR1\tLopez\t1970-01-02\tpending\t\n",
                   "tab.csv")
    assert run(capsys, "registry", "import", str(tabbed), "--db", str(db_path))[0] == 0


@pytest.mark.parametrize("status, stored", [("under review", "under_review"),
                                            ("Not Dismissed", "not_dismissed"),
                                            ("not-dismissed", "not_dismissed"),
                                            ("  UNDER   REVIEW ", "under_review")])
def test_statuses_with_spaces_or_dashes(tmp_path, db_path, capsys, status, stored) -> None:
    path = write(tmp_path, SHORT + f"0101CR1;Lopez;1970-01-02;{status};\n")
    assert run(capsys, "registry", "import", str(path), "--db", str(db_path))[0] == 0
    assert rows(db_path)[0]["status"] == stored


@pytest.mark.parametrize("raw, order, want", [
    ("March 14, 1975", "mdy", "1975-03-14"), ("14 March 1975", "mdy", "1975-03-14"),
    ("Mar. 14 1975", "dmy", "1975-03-14"), ("1975/03/14", "mdy", "1975-03-14"),
    ("03-14-1975", "mdy", "1975-03-14"), ("14.03.1975", "dmy", "1975-03-14"),
    ("03/14/75", "mdy", "1975-03-14"), ("14/03/75", "dmy", "1975-03-14"),
    ("02/01/05", "mdy", "2005-02-01"), ("02/01/05", "dmy", "2005-01-02"),
])
def test_date_forms(raw: str, order: str, want: str) -> None:
    assert dates.parse(raw, order, today=dt.date(2026, 12, 3)).isoformat() == want


def test_the_day_month_order_is_detected_for_the_whole_file(tmp_path, db_path, capsys) -> None:
    # 02/01/1970 alone could be either; 25/12/1968 shows the file is day first
    path = write(tmp_path, SHORT + "0101CR1;Lopez;02/01/1970;pending;\n"
                                   "0101CR2;Silva;25/12/1968;pending;\n")
    code, out, err = run(capsys, "registry", "import", str(path), "--db", str(db_path))
    assert code == 0, err
    assert "Dates read as day/month/year." in out
    assert [r["date_of_birth"] for r in rows(db_path)] == ["1970-01-02", "1968-12-25"]


def test_a_declared_order_wins_and_a_file_mixing_orders_is_refused(tmp_path, db_path,
                                                                   capsys) -> None:
    ambiguous = write(tmp_path, SHORT + "0101CR1;Lopez;02/01/1970;pending;\n", "a.csv")
    assert run(capsys, "registry", "import", str(ambiguous), "--date-order", "dmy",
               "--db", str(db_path))[0] == 0
    assert rows(db_path)[0]["date_of_birth"] == "1970-01-02"
    mixed = write(tmp_path, SHORT + "0101CR3;Lopez;12/25/1970;pending;\n"
                                    "0101CR4;Silva;25/12/1968;pending;\n", "m.csv")
    code, _, err = run(capsys, "registry", "import", str(mixed), "--db", str(db_path))
    assert code == 1
    assert "line 2 is month/day/year, line 3 is day/month/year" in err
    assert len(rows(db_path)) == 1  # nothing of it imported


def test_many_bad_rows_show_50_lines_and_a_count_per_reason(tmp_path, db_path, capsys) -> None:
    body = "".join(f"0101CR{i};Lopez;1970-01-02;revoked;\n" for i in range(1000))
    body += "".join(f"0202CR{i};Lopez;1970-02-30;pending;\n" for i in range(250))
    code, _, err = run(capsys, "registry", "import", str(write(tmp_path, SHORT + body)),
                       "--db", str(db_path))
    assert code == 1
    lines = err.splitlines()
    assert sum(line.startswith("line ") for line in lines) == 50
    assert 'line 2: status: must be one of dismissed, pending, not_dismissed, under_review:' \
        ' "revoked"' in err
    assert "... and 1200 more line(s). Problems by reason:" in err
    assert any(line.split() == ["1000", "status:", "must", "be", "one", "of", "dismissed,",
                                "pending,", "not_dismissed,", "under_review"] for line in lines)
    assert any(line.strip().startswith("250  date_of_birth: date does not exist")
               for line in lines)


def test_rows_missing_from_a_newer_file_are_counted_and_replace_deletes_them(
        tmp_path, db_path, capsys) -> None:
    old = write(tmp_path, SHORT + "0101CR1;Lopez;1970-01-02;pending;\n"
                                  "0101CR2;Silva;1968-12-25;pending;\n"
                                  "0101CR3;Reyes;1971-05-05;pending;\n", "old.csv")
    assert run(capsys, "registry", "import", str(old), "--db", str(db_path))[0] == 0
    new = write(tmp_path, SHORT + "0101CR1;Lopez;1970-01-02;dismissed;\n", "new.csv")
    code, out, _ = run(capsys, "registry", "import", str(new), "--db", str(db_path))
    assert code == 0
    assert "2 case(s) in the database are not in this file and were kept;" \
        " import it with --replace to delete them." in out
    assert len(rows(db_path)) == 3
    code, out, _ = run(capsys, "registry", "import", str(new), "--replace", "--db", str(db_path))
    assert code == 0 and "Deleted 2 case(s) this file does not list (--replace)." in out
    # dockets are stored normalised: the sequence zero-padded to six digits
    assert [(r["docket_number"], r["status"]) for r in rows(db_path)] == [
        ("0101CR000001", "dismissed")]
