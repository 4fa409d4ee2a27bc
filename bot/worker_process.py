"""The workers (inbox -> dialogue -> outbox) in a process of their own.

``casecheck run`` starts the web process (webhooks, console, outreach) and
this one beside it, sharing the database: webhook acknowledgements and
conversation turns then run on two cores, and a burst of webhooks no longer
starves the turns. The inbox is durable, so nothing but a wakeup crosses
between them: the web process writes one byte to the workers' stdin when it
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


class WorkerProcess:
    """Starts, wakes, restarts (if it dies) and stops the workers' process."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv  # the ``casecheck run`` arguments, without --role
        self.proc: asyncio.subprocess.Process | None = None
        self._pending: set[bytes] = set()
        self._stopping = False
        self._watch: asyncio.Task[None] | None = None

    def wakeup(self) -> Wakeup:
        """A Wakeup for the web process: setting its events wakes the workers."""
        return Wakeup(inbox=ForwardedEvent(lambda: self._notify(INBOX)),
                      outbox=ForwardedEvent(lambda: self._notify(OUTBOX)))

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", *self.argv, "--role", "workers",
            stdin=asyncio.subprocess.PIPE, start_new_session=True)
        self._watch = asyncio.create_task(self._restart_if_it_dies(self.proc))
        log.info("workers started (pid %d)", self.proc.pid)

    async def _restart_if_it_dies(self, proc: asyncio.subprocess.Process) -> None:
        code = await proc.wait()
        if self._stopping:
            return
        log.error("the workers' process exited (%s); restarting it", code)
        await asyncio.sleep(RESTART_SECONDS)
        if not self._stopping:
            await self.start()

    def _notify(self, kind: bytes) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.add(kind)

    def _flush(self) -> None:
        data, self._pending = b"".join(sorted(self._pending)), set()
        proc = self.proc
        if proc is None or proc.stdin is None or proc.returncode is not None:
            return
        try:
            proc.stdin.write(data)
        except (ConnectionError, RuntimeError):  # it died: the watcher restarts it
            pass

    async def stop(self) -> None:
        """SIGTERM: the workers finish the turns in hand (or leave them pending)."""
        self._stopping = True
        proc = self.proc
        if proc is None:
            return
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
        if self._watch is not None:
            await asyncio.gather(self._watch, return_exceptions=True)


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
