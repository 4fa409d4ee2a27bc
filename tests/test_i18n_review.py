"""``casecheck i18n review-export / review-import``: a language reviewed in a spreadsheet,
every rule checked on the way back in, nothing written when one row breaks a rule."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from bot import i18n_review
from bot.cli import main as cli_main
from bot.content import ContentPack
from bot.i18n import locales_dir
from bot.text_rules import Rules

LOCALE = "ru"


@pytest.fixture
def workspace(tmp_path) -> tuple[Rules, Path]:
    """Copies of the Russian catalogs and of the pack: the import writes there."""
    root = tmp_path / "locales"
    shutil.copytree(locales_dir() / LOCALE, root / LOCALE)
    pack = tmp_path / "pack"
    shutil.copytree(ContentPack.load("massachusetts").path, pack)
    return Rules(pack=ContentPack.load(str(pack))), root


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def write(path: Path, table: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=i18n_review.COLUMNS)
        writer.writeheader()
        writer.writerows(table)


def test_the_export_has_every_text_with_source_segments_glossary_and_rules(workspace,
                                                                          tmp_path):
    rules, root = workspace
    out = tmp_path / "ru.csv"
    count, broken = i18n_review.export_csv(rules, LOCALE, out, root)
    table = rows(out)
    assert count == len(table) > 100 and broken == 0
    assert list(table[0]) == list(i18n_review.COLUMNS)
    record = next(r for r in table if r["key"] == "topics.record.body")
    assert record["english"].startswith("A dismissed case") and "CORI" in record["translation"]
    assert int(record["segments"]) <= int(record["budget"]) == 3
    assert "sealing: засекре" in record["glossary"] or "cori: CORI" in record["glossary"]
    plural = [r for r in table if r["key"].startswith("Thank you. Your reference is")]
    assert [r["form"] for r in plural] == ["0", "1", "2", "3"]  # every Russian plural form


def test_a_reviewed_translation_is_imported(workspace, tmp_path):
    rules, root = workspace
    out = tmp_path / "ru.csv"
    i18n_review.export_csv(rules, LOCALE, out, root)
    table = rows(out)
    row = next(r for r in table if r["key"] == "status.under_review")
    row["translation"] = "Ваше дело сейчас проверяют. Результата пока нет."
    write(out, table)
    written = i18n_review.import_csv(rules, LOCALE, out, root)
    assert [p.name for p in written] == ["content.po"]
    again = Rules(pack=ContentPack.load(str(rules.pack.path)))
    check = tmp_path / "again.csv"
    i18n_review.export_csv(again, LOCALE, check, root)
    assert next(r for r in rows(check) if r["key"] == "status.under_review")["translation"] \
        == "Ваше дело сейчас проверяют. Результата пока нет."


@pytest.mark.parametrize(("key", "bad", "why"), [
    ("status.under_review", "Ваше дело в суде по наркотикам.", "must not show"),
    ("topics.record.title", "Очистка записи", "glossary"),
    ("{org}: free help. Call {phone} or visit {website}. Reply STOP to end messages.",
     "Бесплатная помощь: {phone}, {website}. Ответьте STOP.", "placeholders"),
    ("What is your last name?", "Какая у вас фамилия? " * 5, "SMS segments"),
])
def test_a_row_breaking_a_rule_is_refused_and_nothing_is_written(workspace, tmp_path, key,
                                                                 bad, why):
    rules, root = workspace
    out = tmp_path / "ru.csv"
    i18n_review.export_csv(rules, LOCALE, out, root)
    table = rows(out)
    good = next(r for r in table if r["key"] == "status.pending")
    good["translation"] = "Дело затронуто, но не закончено."
    next(r for r in table if r["key"] == key)["translation"] = bad
    write(out, table)
    before = {p: p.read_bytes() for p in [*root.rglob("*.po"), *rules.pack.path.rglob("*.po")]}
    with pytest.raises(i18n_review.ReviewError, match=why):
        i18n_review.import_csv(rules, LOCALE, out, root)
    assert {p: p.read_bytes() for p in before} == before  # not even the good row


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage", b"a,b\n1,2\n",
                                     b"domain,key,form,translation\ncontent,nope,0,x\n"])
def test_files_that_are_not_review_files_get_a_clear_answer(workspace, tmp_path, content):
    rules, root = workspace
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises(i18n_review.ReviewError):
        i18n_review.import_csv(rules, LOCALE, bad, root)


def test_the_commands(tmp_path, capsys):
    out = tmp_path / "es.csv"
    assert cli_main(["i18n", "review-export", "es", str(out)]) == 0
    assert "texts in es, 0 breaking a rule" in capsys.readouterr().out
    # The file exactly as exported imports cleanly and changes nothing.
    assert cli_main(["i18n", "review-import", "es", str(out)]) == 0
    assert "0 catalog(s) updated for es." in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no catalogs for locale 'xx'"):
        cli_main(["i18n", "review-export", "xx", str(out)])
