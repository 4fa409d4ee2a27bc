"""Dates and times a person reads come from the slim CLDR tables (bot/cldr_slim), word for
word what Babel over its full data writes, without loading that data into the process."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zoneinfo
from pathlib import Path

import pytest
from babel import Locale
from babel.dates import format_date, format_time, get_day_names

from bot import cldr_slim
from bot.disk_cache import load_or_build
from bot.i18n import cldr_locale, shipped_locales

ROOT = Path(__file__).resolve().parents[1]
DATES = [dt.date(year, month, day) for year, month, day in
         [(1975, 3, 14), (2017, 4, 19), (2000, 1, 1), (1999, 12, 31), (2026, 2, 28),
          (1988, 5, 2), (1961, 6, 9), (2003, 7, 30), (1990, 8, 15), (2011, 9, 11),
          (1984, 10, 5), (1969, 11, 20)]]
TIMES = [dt.time(0, 0), dt.time(9, 0), dt.time(12, 30), dt.time(17, 0), dt.time(23, 59)]
ZONE = zoneinfo.ZoneInfo("America/New_York")


@pytest.mark.parametrize("code", shipped_locales())
def test_every_shipped_locale_writes_what_babel_writes(code: str) -> None:
    slim, full = cldr_locale(code), Locale.parse(code)
    assert type(slim) is not Locale  # the slim one, not Babel's fallback
    for value in DATES:
        assert format_date(value, "long", locale=slim) == format_date(value, "long", locale=full)
    for value in TIMES:
        assert format_time(value, "short", locale=slim) == format_time(value, "short",
                                                                        locale=full)
        moment = dt.datetime.combine(dt.date(2026, 1, 5), value, ZONE)
        assert (format_time(moment, "short", tzinfo=ZONE, locale=slim)
                == format_time(moment, "short", tzinfo=ZONE, locale=full))
    for width in ("abbreviated", "wide"):
        assert dict(get_day_names(width, locale=slim)) == dict(get_day_names(width, locale=full))


def test_an_unshipped_locale_gets_babels_own() -> None:
    assert format_date(DATES[0], "long", locale=cldr_locale("fr")) == "14 mars 1975"


CHILD = """
import datetime as dt, json, sys
import babel.core, babel.localedata
from bot.i18n import Translator
from zoneinfo import ZoneInfo
from bot.hours import OfficeHours
from bot.local_time import office_hours
hours = OfficeHours.parse("Mon-Fri 09:00-17:00", ZoneInfo("America/New_York"))
t = Translator()
texts = [t.format_date(code, dt.date(1975, 3, 14)) for code in t.locales]
texts += [office_hours(hours, code, lambda s: s) for code in t.locales]
print(json.dumps({"texts": texts, "global": babel.core._global_data is not None,
                  "loaded": sorted(babel.localedata._cache)}))
"""


def _child(cache: Path) -> dict[str, object]:
    env = {**os.environ, "CASECHECK_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, check=True, timeout=120)
    return dict(json.loads(done.stdout))


def test_a_process_that_formats_dates_loads_none_of_babels_data(tmp_path: Path) -> None:
    first = _child(tmp_path)
    assert first["global"] is False and first["loaded"] == []
    (cached,) = tmp_path.glob("casecheck/cldr-*.bin")
    written = cached.stat().st_mtime_ns
    again = _child(tmp_path)  # from the cache file, not built again
    assert again == first and cached.stat().st_mtime_ns == written
    assert "14 de marzo de 1975" in first["texts"]  # type: ignore[operator]


def test_a_damaged_cache_file_is_built_again(tmp_path: Path) -> None:
    path = tmp_path / "cldr.bin"
    tables = cldr_slim.Tables.from_babel(["es", "ar"])
    tables.save(path)
    original = path.read_bytes()
    damaged = bytearray(original)
    damaged[len(damaged) // 2] ^= 0x10
    path.write_bytes(bytes(damaged))
    with pytest.raises(ValueError):
        cldr_slim.Tables.load(path)
    rebuilt = load_or_build(path, cldr_slim.Tables.load,
                            lambda: cldr_slim.Tables.from_child(["es", "ar"]))
    assert path.read_bytes() == original
    assert rebuilt.by_locale.keys() == {"es", "ar"}
