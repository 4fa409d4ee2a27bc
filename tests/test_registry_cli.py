"""``casecheck registry`` as an operator uses it: stats, exit codes, --db, help."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.demo_data import shipped_csv


def test_stats_counts_per_lab_and_status(db_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "import", str(shipped_csv()), "--db", str(db_path)]) == 0
    capsys.readouterr()
    assert main(["registry", "stats", "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "cases: 50"
    labs = dict(line.split() for line in lines[lines.index("by lab:") + 1:
                                                 lines.index("by status:")])
    statuses = dict(line.split() for line in lines[lines.index("by status:") + 1:])
    assert set(labs) == {"Hinton", "Amherst"} and sum(map(int, labs.values())) == 50
    assert set(statuses) == {"dismissed", "pending", "not_dismissed", "under_review"}
    assert sum(map(int, statuses.values())) == 50
    assert "Núñez" not in out and "0912" not in out


def test_stats_of_an_empty_registry(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = db_path.parent / "empty.csv"
    empty.write_text("docket_number,last_name,date_of_birth,status\n", encoding="utf-8")
    main(["registry", "import", str(empty), "--db", str(db_path)])  # creates the database
    capsys.readouterr()
    assert main(["registry", "stats", "--db", str(db_path)]) == 0
    assert capsys.readouterr().out == "cases: 0\n"


def test_stats_of_a_mistyped_database_creates_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    typo = tmp_path / "typo.db"
    assert main(["registry", "stats", "--db", str(typo)]) == 1
    assert f"no database at {typo}" in capsys.readouterr().err
    assert not typo.exists()


def test_db_comes_from_the_config_file_unless_db_is_given(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASECHECK_CONFIG", raising=False)
    configured = tmp_path / "configured.db"
    config = tmp_path / "casecheck.toml"
    config.write_text(f'[storage]\npath = "{configured}"\n')
    assert main(["registry", "import", str(shipped_csv()), "--config", str(config)]) == 0
    assert configured.exists()
    override = tmp_path / "override.db"
    assert main(["registry", "stats", "--config", str(config), "--db", str(override)]) == 1
    assert str(override) in capsys.readouterr().err  # --db wins: that one does not exist
    assert main(["registry", "stats", "--config", str(config)]) == 0
    assert capsys.readouterr().out.startswith("cases: 50\n")


def test_registry_needs_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["registry"])
    assert stop.value.code == 2
    assert "import" in capsys.readouterr().err


def test_import_help_names_skip_invalid(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["registry", "import", "--help"])
    out = capsys.readouterr().out
    assert "--skip-invalid" in out and "--db" in out
