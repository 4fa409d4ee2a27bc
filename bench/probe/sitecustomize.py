"""Loaded by every Python process ``bench_sms.py --burst`` starts for a service (it is
first on their PYTHONPATH). With BENCH_PROBE set: counts trips to the database
threads (aiosqlite's ``Connection._execute``: each is one trip); on each SIGUSR1
appends the count so far to ``<BENCH_PROBE>.<pid>.trips``; with BENCH_PROFILE also
set, the first SIGUSR1 starts cProfile (main thread) and the second writes
``<BENCH_PROBE>.<pid>.prof``. The service's own code is untouched."""

import os

_probe = os.environ.get("BENCH_PROBE")

if _probe:
    import signal

    import aiosqlite.core

    _count = [0]
    _signals = [0]
    _original = aiosqlite.core.Connection._execute

    async def _counted(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        _count[0] += 1
        return await _original(self, fn, *args, **kwargs)

    aiosqlite.core.Connection._execute = _counted  # type: ignore[method-assign]
    _profiler = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        _profiler = cProfile.Profile()

    def _on_signal(signum, frame):  # type: ignore[no-untyped-def]
        _signals[0] += 1
        with open(f"{_probe}.{os.getpid()}.trips", "a", encoding="ascii") as out:
            out.write(f"{_count[0]}\n")
        if _profiler is not None:
            if _signals[0] == 1:
                _profiler.enable()
            elif _signals[0] == 2:
                _profiler.disable()
                _profiler.dump_stats(f"{_probe}.{os.getpid()}.prof")

    signal.signal(signal.SIGUSR1, _on_signal)
