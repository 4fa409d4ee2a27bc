"""The workers (inbox -> dialogue -> outbox) in a process of their own.

``casecheck run`` starts the web process (webhooks, console, outreach) and
``[server] workers`` of these beside it (one by default), sharing the database:
webhook acknowledgements and conversation turns then run on separate cores, and
a burst of webhooks no longer starves the turns. Two workers' processes share
the turns safely: inbox rows are claimed with leases, one person's rows are held
back while another process holds one, and the outbox's send rates are kept in
the database (``bot/shared_rates.py``). The inbox is durable, so nothing but a wakeup crosses
between them: the web process writes one byte to each one's stdin when it
stored an inbound message (``i``) or queued an outgoing one (``o``), at most
once per event-loop pass. The workers exit with the web process: clean stop
by SIGTERM from it; if it dies (kill -9), the kernel kills them too
(``PR_SET_PDEATHSIG``), and end-of-file on stdin does the same elsewhere, so
two sets of workers never run on one database after a crash.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import sys
from collections.abc import Callable

from .workers import Wakeup

log = logging.getLogger(__name__)

INBOX, OUTBOX = b"i", b"o"
STOP_SECONDS = 30.0
WORKERS_NICENESS = 10  # added to the web process's niceness (``lower_priority``)
RESTART_SECONDS = 1.0


class ForwardedEvent(asyncio.Event):
    """An ``asyncio.Event`` whose ``set`` is also forwarded (to the workers' process)."""

    def __init__(self, forward: Callable[[], None]) -> None:
        super().__init__()
        self._forward = forward

    def set(self) -> None:
        super().set()
        self._forward()


class WorkerProcesses:
    """Starts, wakes, restarts (each one that dies) and stops the workers' processes."""

    def __init__(self, argv: list[str], count: int = 1) -> None:
        self.argv = argv  # the ``casecheck run`` arguments, without --role
        self.procs: list[asyncio.subprocess.Process | None] = [None] * count
        self._pending: set[bytes] = set()
        self._stopping = False
        self._watches: list[asyncio.Task[None]] = []

    def wakeup(self) -> Wakeup:
        """A Wakeup for the web process: setting its events wakes every worker."""
        return Wakeup(inbox=ForwardedEvent(lambda: self._notify(INBOX)),
                      outbox=ForwardedEvent(lambda: self._notify(OUTBOX)))

    async def start(self) -> None:
        for index in range(len(self.procs)):
            await self._start(index)

    async def _start(self, index: int) -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", *self.argv, "--role", "workers",
            stdin=asyncio.subprocess.PIPE, start_new_session=True)
        self.procs[index] = proc
        self._watches.append(asyncio.create_task(self._restart_if_it_dies(index, proc)))
        log.info("workers started (pid %d)", proc.pid)

    async def _restart_if_it_dies(self, index: int, proc: asyncio.subprocess.Process) -> None:
        code = await proc.wait()
        if self._stopping:
            return
        log.error("a workers' process exited (%s); restarting it", code)
        await asyncio.sleep(RESTART_SECONDS)
        if not self._stopping:
            await self._start(index)

    def _notify(self, kind: bytes) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.add(kind)

    def _flush(self) -> None:
        data, self._pending = b"".join(sorted(self._pending)), set()
        for proc in self.procs:
            if proc is None or proc.stdin is None or proc.returncode is not None:
                continue
            try:
                proc.stdin.write(data)
            except (ConnectionError, RuntimeError):  # it died: its watcher restarts it
                pass

    async def stop(self) -> None:
        """SIGTERM: the workers finish the turns in hand (or leave them pending)."""
        self._stopping = True
        procs = [proc for proc in self.procs if proc is not None]
        await asyncio.gather(*(_stop(proc) for proc in procs))
        await asyncio.gather(*self._watches, return_exceptions=True)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), STOP_SECONDS)
        except TimeoutError:
            log.error("the workers did not stop in %.0f s; killing them", STOP_SECONDS)
            proc.kill()
            await proc.wait()
    if proc.stdin is not None:
        proc.stdin.close()


def lower_priority() -> None:
    """In the workers' process: yield the CPU to the web process when both want it.

    An acknowledgement is a short piece of work a provider waits for; a turn can wait
    a little (it is durable in the inbox). On a busy machine the kernel then runs the
    web process first, so acknowledgements stay fast while the workers take the rest
    of the CPU (all of it when the web process is idle)."""
    if hasattr(os, "nice"):
        try:
            os.nice(WORKERS_NICENESS)
        except OSError:
            pass


def die_with_parent() -> None:
    """In the workers' process: be killed by the kernel when the web process dies."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


async def listen(wakeup: Wakeup) -> None:
    """In the workers' process: set the wakeup events the web process sends over
    stdin; at end-of-file (the web process is gone) exit at once, as a crash would."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while data := await reader.read(256):
        if INBOX in data:
            wakeup.inbox.set()
        if OUTBOX in data:
            wakeup.outbox.set()
    log.error("the web process is gone; the workers stop")
    os._exit(1)
