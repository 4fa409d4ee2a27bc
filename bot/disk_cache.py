"""Arrays computed once and kept on disk (the understanding model, the language table).

Both caches are one file format, written and read here: a line with the CRC-32 (hex)
of the rest, a line of JSON (what the arrays mean, and each array's length), then the
arrays' raw bytes. No pickle or npz: loading a cache file never runs code and needs no
numpy, and a truncated, lengthened or bit-flipped file is refused, then built again.
"""

from __future__ import annotations

import json
import os
import tempfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar


class Saveable(Protocol):
    def save(self, path: Path) -> None: ...


T = TypeVar("T", bound=Saveable)


def cache_dir() -> Path:
    """``$CASECHECK_CACHE`` or the user's cache folder (XDG), else the temp folder."""
    configured = os.environ.get("CASECHECK_CACHE") or os.environ.get("XDG_CACHE_HOME")
    base = Path(configured) if configured else Path.home() / ".cache"
    if not configured and not os.access(base.parent, os.W_OK):
        base = Path(tempfile.gettempdir())
    return base / "casecheck"


def load_or_build(path: Path, load: Callable[[Path], T], build: Callable[[], T]) -> T:
    """``load(path)``; if it is missing or unreadable, ``build()`` and save it there.

    The file is written beside and renamed into place, so a process starting at the
    same time never reads half of it; on a read-only disk the result still works and
    is built again at the next start."""
    try:
        return load(path)
    except (OSError, ValueError, KeyError, TypeError):
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


def write_blobs(path: Path, header: dict[str, Any], blobs: Sequence[bytes]) -> None:
    """``header`` (JSON) and ``blobs`` in the cache format, checksummed."""
    body = b"".join([json.dumps({**header, "blobs": [len(b) for b in blobs]}).encode(),
                     b"\n", *blobs])
    path.write_bytes(b"%08x\n" % zlib.crc32(body) + body)


def read_blobs(path: Path) -> tuple[dict[str, Any], list[bytes]]:
    """What ``write_blobs`` wrote; ValueError if the file is not that, whole.

    Each array is read into its own bytes, checksummed as it comes: the file is never
    held whole beside them (a process keeps the memory a copy of its largest table took)."""
    with path.open("rb") as file:
        expected = file.readline(64)
        header_line = file.readline(1 << 20)
        try:
            header = json.loads(header_line)
            sizes = [int(size) for size in header.pop("blobs")]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ValueError(f"{path.name}: its header is not the cache format's") from None
        # Sizes are checked against the file before any is read: a damaged header must
        # not make the process allocate what it names.
        if min(sizes, default=0) < 0 or sum(sizes) != os.fstat(file.fileno()).st_size - file.tell():
            raise ValueError(f"{path.name}: its arrays do not add up to its length")
        crc = zlib.crc32(header_line)
        blobs = []
        for size in sizes:
            blob = file.read(size)
            if len(blob) != size:  # the file shrank while read
                raise ValueError(f"{path.name}: its arrays do not add up to its length")
            crc = zlib.crc32(blob, crc)
            blobs.append(blob)
    if expected.strip() != b"%08x" % crc:
        raise ValueError(f"{path.name}: its checksum does not match")
    return header, blobs
