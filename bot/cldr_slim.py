"""The CLDR tables a turn formats dates and times with, without Babel's whole locale data.

Babel's first date in a process loads CLDR's global data (2.2 MB, for one table of
parent locales), the root locale (1.4 MB), then about 1 MB a language, and keeps them:
about 14 MB of each process for eleven languages, and memory Python has once held it
does not give back (loaded and dropped, it stays in the process's RSS). A turn reads
six of those tables. A child process copies them out once, for every shipped locale,
into a cache file (``disk_cache``, beside the model's); ``locale(code, shipped)`` is a Babel
``Locale`` over them, so Babel's own ``format_date``, ``format_time`` and
``get_day_names`` run unchanged. ``tests/test_cldr_slim.py`` checks that they answer
exactly as Babel over its full data does, in every shipped locale.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from babel import Locale, localedata
from babel.core import parse_locale
from babel.dates import DateTimePattern, parse_pattern

from .disk_cache import cache_dir, load_or_build, read_blobs, write_blobs

FORMAT = "1"
# What format_date(long), format_time(short) and get_day_names read (measured: the
# top-level keys asked of a LocaleDataDict while formatting in every shipped locale).
TABLES = ("date_formats", "time_formats", "months", "days", "day_periods", "day_period_rules")


class _SlimLocale(Locale):
    """A Babel locale whose data is only ``TABLES`` (Babel reads it through ``_data``)."""

    def __init__(self, code: str, tables: dict[Any, Any]) -> None:
        super().__init__(*parse_locale(code))
        self._tables = localedata.LocaleDataDict(tables)

    @property
    def _data(self) -> localedata.LocaleDataDict:  # type: ignore[override]
        return self._tables


class Tables:
    """``TABLES`` of each locale, as Babel holds them (patterns parsed, aliases kept)."""

    def __init__(self, by_locale: dict[str, dict[str, Any]]) -> None:
        self.by_locale = by_locale

    @classmethod
    def from_babel(cls, codes: list[str]) -> Tables:
        """Read from Babel's full data: this loads all of it into the calling process."""
        found = {}
        for code in codes:
            data = localedata.load(code)
            found[code] = {name: data[name] for name in TABLES if name in data}
        return cls(found)

    @classmethod
    def from_child(cls, codes: list[str]) -> Tables:
        """Read by a child process (which then exits, with all of Babel's data)."""
        done = subprocess.run([sys.executable, "-m", "bot.cldr_slim", *codes],
                              capture_output=True, check=True, timeout=120)
        return cls({code: _decode(tables) for code, tables in json.loads(done.stdout).items()})

    def save(self, path: Path) -> None:
        write_blobs(path, {"format": FORMAT}, [self.dump().encode()])

    def dump(self) -> str:
        return json.dumps({code: _encode(tables) for code, tables in self.by_locale.items()},
                          ensure_ascii=False)

    @classmethod
    def load(cls, path: Path) -> Tables:
        header, (blob,) = read_blobs(path)
        if header["format"] != FORMAT:
            raise ValueError(f"{path.name}: not of this format")
        return cls({code: _decode(t) for code, t in json.loads(bytes(blob)).items()})


def _encode(value: Any) -> Any:
    """JSON for Babel's values: dicts keep their keys' types, patterns their text."""
    if isinstance(value, dict):
        return {"d": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple | list):
        return {"t" if isinstance(value, tuple) else "l": [_encode(v) for v in value]}
    if isinstance(value, DateTimePattern):
        return {"p": value.pattern}
    if isinstance(value, localedata.Alias):
        return {"a": list(value.keys)}
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"no JSON form for CLDR's {type(value).__name__}")


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    (kind, inner), = value.items()
    if kind == "d":
        return {_decode(k): _decode(v) for k, v in inner}
    if kind in ("t", "l"):
        items = [_decode(v) for v in inner]
        return tuple(items) if kind == "t" else items
    if kind == "p":
        return parse_pattern(inner)
    if kind == "a":
        return localedata.Alias(tuple(inner))
    raise ValueError(f"unknown CLDR value {kind!r}")


@functools.cache
def _tables(shipped: tuple[str, ...]) -> Tables:
    codes = list(shipped)
    key = f"{metadata.version('babel')}-{FORMAT}-{'-'.join(sorted(codes))}"

    def build() -> Tables:
        try:
            return Tables.from_child(codes)
        except (OSError, subprocess.SubprocessError, ValueError):
            return Tables.from_babel(codes)  # the same tables, at the memory cost above

    return load_or_build(cache_dir() / f"cldr-{key}.bin", Tables.load, build)


def locale(code: str, shipped: tuple[str, ...]) -> Locale:
    """``code``'s locale for Babel's date functions: slim if it is one of ``shipped``
    (their tables are read together, once), else Babel's own."""
    tables = _tables(shipped).by_locale.get(code) if code in shipped else None
    return Locale.parse(code) if tables is None else _SlimLocale(code, tables)


if __name__ == "__main__":  # the child of Tables.from_child: the tables as JSON
    sys.stdout.write(Tables.from_babel(sys.argv[1:]).dump())
