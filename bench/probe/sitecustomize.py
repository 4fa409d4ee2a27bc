"""Loaded by every Python process ``bench_sms.py --burst`` starts for a service (it is
first on their PYTHONPATH; ``bench_pg_turns.py --profile`` too). With BENCH_PROBE set:
counts trips to the database threads (aiosqlite's ``Connection._execute``: each is one
trip) or, with BENCH_PROBE_PG set, to PostgreSQL (asyncpg: each statement sent, a
transaction's BEGIN and COMMIT and a pooled connection's reset query included; asyncpg is
imported only then, since it is 4.6 MB of a process a SQLite service never loads) and the time spent
waiting for the writers' lock (``fcntl.flock``, shared by the service's
processes) and the longest it was held; on each SIGUSR1 appends "trips
seconds-waited longest-wait longest-hold seconds-held times-held" so far
to ``<BENCH_PROBE>.<pid>.trips``; with BENCH_PROFILE also
set, the first SIGUSR1 starts cProfile (main thread) and the second writes
``<BENCH_PROBE>.<pid>.prof``; with BENCH_MODULES set, SIGUSR2 writes the process's RSS,
its resident memory by mapping and the modules it has imported to
``<BENCH_PROBE>.<pid>.mods`` (BENCH_MODULES=traced: also the live Python allocations by
file, traced by tracemalloc from the start, which slows the process several times).
The service's own code is untouched."""

import os

_probe = os.environ.get("BENCH_PROBE")

if _probe:
    import fcntl
    import signal
    import time

    import aiosqlite.core

    _count = [0]
    _signals = [0]
    _original = aiosqlite.core.Connection._execute

    async def _counted(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        _count[0] += 1
        return await _original(self, fn, *args, **kwargs)

    aiosqlite.core.Connection._execute = _counted  # type: ignore[method-assign]
    if os.environ.get("BENCH_PROBE_PG"):  # not otherwise: asyncpg is 4.6 MB of a process
        import asyncpg.connection

        _pg = asyncpg.connection.Connection
        _statement, _simple, _many = _pg._do_execute, _pg.execute, _pg._executemany

        async def _pg_statement(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            _count[0] += 1
            return await _statement(self, *args, **kwargs)

        async def _pg_simple(self, query, *args, **kwargs):  # type: ignore[no-untyped-def]
            if not args:  # with arguments it goes through _do_execute, counted there
                _count[0] += 1
            return await _simple(self, query, *args, **kwargs)

        async def _pg_many(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            _count[0] += 1
            return await _many(self, *args, **kwargs)

        _pg._do_execute, _pg.execute, _pg._executemany = _pg_statement, _pg_simple, _pg_many
    _waited = [0.0, 0.0]  # total, longest
    _flock = fcntl.flock

    _held: dict[int, float] = {}  # fd -> when taken exclusive
    _longest_hold = [0.0]
    _hold_total = [0.0, 0]  # seconds held, times taken

    def _timed_flock(fd, operation):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        if operation == fcntl.LOCK_UN and fd in _held:
            hold = started - _held.pop(fd)
            _longest_hold[0] = max(_longest_hold[0], hold)
            _hold_total[0] += hold
            _hold_total[1] += 1
        try:
            return _flock(fd, operation)
        finally:
            now = time.perf_counter()
            if operation == fcntl.LOCK_EX:
                _held[fd] = now
            if operation != fcntl.LOCK_UN:
                _waited[0] += now - started
                _waited[1] = max(_waited[1], now - started)

    fcntl.flock = _timed_flock
    _sql: dict[str, list[float]] = {}  # statement -> [seconds, calls] (BENCH_SQL)
    if os.environ.get("BENCH_SQL"):
        import sqlite3

        class _TimedConnection(sqlite3.Connection):
            def execute(self, sql, *args):  # type: ignore[no-untyped-def]
                started = time.perf_counter()
                try:
                    return super().execute(sql, *args)
                finally:
                    cell = _sql.setdefault(" ".join(sql.split())[:90], [0.0, 0])
                    cell[0] += time.perf_counter() - started
                    cell[1] += 1

            def executemany(self, sql, *args):  # type: ignore[no-untyped-def]
                started = time.perf_counter()
                try:
                    return super().executemany(sql, *args)
                finally:
                    cell = _sql.setdefault("MANY " + " ".join(sql.split())[:85], [0.0, 0])
                    cell[0] += time.perf_counter() - started
                    cell[1] += 1

        _connect = aiosqlite.connect

        def _timed_connect(*args, **kwargs):  # type: ignore[no-untyped-def]
            return _connect(*args, factory=_TimedConnection, **kwargs)

        aiosqlite.connect = _timed_connect
    _profiler = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        _profiler = cProfile.Profile()

    def _on_signal(signum, frame):  # type: ignore[no-untyped-def]
        _signals[0] += 1
        with open(f"{_probe}.{os.getpid()}.trips", "a", encoding="ascii") as out:
            out.write(f"{_count[0]} {_waited[0]:.3f} {_waited[1]:.3f} {_longest_hold[0]:.3f}"
                      f" {_hold_total[0]:.3f} {_hold_total[1]}\n")
        _waited[1] = _longest_hold[0] = 0.0
        if _sql and _signals[0] == 2:
            with open(f"{_probe}.{os.getpid()}.sql", "w", encoding="utf-8") as out:
                for text, (spent, calls) in sorted(_sql.items(), key=lambda kv: -kv[1][0]):
                    out.write(f"{spent:8.3f}s {calls:7d} {text}\n")
        if _sql and _signals[0] == 1:
            _sql.clear()
        if _profiler is not None:
            if _signals[0] == 1:
                _profiler.enable()
            elif _signals[0] == 2:
                _profiler.disable()
                _profiler.dump_stats(f"{_probe}.{os.getpid()}.prof")

    signal.signal(signal.SIGUSR1, _on_signal)

    if os.environ.get("BENCH_MODULES"):
        import sys
        import tracemalloc

        if os.environ["BENCH_MODULES"] == "traced":
            tracemalloc.start()

        def _mapping(head: list[str]) -> str:
            """A mapping's kind: its file, [heap] or [stack], else anonymous, by size:
            pymalloc's arenas are 1 MiB (the kernel merges neighbours), a thread's malloc
            arena starts 64 MiB-aligned, malloc's large blocks are mappings of their own."""
            name = head[5] if len(head) > 5 else ""
            if name:
                return name if name.startswith("[") else f"file {name.rsplit('/', 1)[-1]}"
            low, high = (int(x, 16) for x in head[0].split("-"))
            size = (high - low) >> 10
            return "anon 1 MiB or less" if size <= 1028 else f"anon {head[0]} {size} kB"

        def _mappings() -> list[str]:
            """The 40 largest resident kinds of mapping, from /proc/self/smaps."""
            kinds: dict[str, int] = {}
            kind = ""
            with open("/proc/self/smaps", encoding="utf-8") as smaps:
                for line in smaps:
                    head = line.split()
                    if not head[0].endswith(":"):
                        kind = _mapping(head)
                    elif head[0] == "Rss:":
                        kinds[kind] = kinds.get(kind, 0) + int(head[1])
            ranked = sorted(kinds.items(), key=lambda kv: -kv[1])
            return [f"  {rss:8d} kB {name}\n" for name, rss in ranked[:40]]

        def _on_usr2(signum, frame):  # type: ignore[no-untyped-def]
            with open("/proc/self/status", encoding="ascii") as status:
                memory = [line for line in status if line.startswith(("VmRSS", "RssA", "RssF"))]
            with open(f"{_probe}.{os.getpid()}.mods", "w", encoding="utf-8") as out:
                if tracemalloc.is_tracing():
                    stats = tracemalloc.take_snapshot().statistics("filename")
                    out.write(f"traced {sum(s.size for s in stats)}\n")
                    out.writelines(f"{s.size:10d} {s.count:8d} {s.traceback[0].filename}\n"
                                   for s in stats[:40])
                modules = (name + "\n" for name in sorted(sys.modules))
                out.writelines([*memory, *_mappings(), *modules])

        signal.signal(signal.SIGUSR2, _on_usr2)
