"""Arrays computed once and kept on disk (the understanding model, the language table)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar


class Saveable(Protocol):
    def save(self, path: Path) -> None: ...


T = TypeVar("T", bound=Saveable)


def load_or_build(path: Path, load: Callable[[Path], T], build: Callable[[], T]) -> T:
    """``load(path)``; if it is missing or unreadable, ``build()`` and save it there.

    The file is written beside and renamed into place, so a process starting at the
    same time never reads half of it; on a read-only disk the result still works and
    is built again at the next start."""
    try:
        return load(path)
    except (OSError, ValueError, KeyError):
        pass
    built = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp{path.suffix}")
        built.save(tmp)
        tmp.replace(path)
    except OSError:
        pass
    return built
