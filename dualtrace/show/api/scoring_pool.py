"""Screening in worker processes, so one server can score on more than one core.

The server must stay one process (DuckDB allows one writing process, and the audit
log, accounts and sessions live in the store), and under the GIL that process scores
on one core. A :class:`ScoringPool` forks worker processes once the screening index is
loaded: each inherits the index read-only (copy-on-write, nothing re-loaded or sent)
and answers "score these queries" with the finished response body. The main process
keeps everything that needs the store: authentication, the role check, the audit entry
(recorded before the answer is sent, as for inline scoring) and the response.

Each worker is one forked process and one socket pair; the event loop writes a
length-prefixed pickle of the call and reads the body back through asyncio streams.
An earlier version used ``concurrent.futures.ProcessPoolExecutor``: its management
thread, call queue and result pipe cost the server about 1 ms of CPU per request
(5.1-5.3 against 4.0-4.4 ms inline), more than the scoring it moved away.

Workers are forked at start-up, before the store is opened for writing and before the
audit writer thread exists, so no lock or connection is copied half-held. A worker
that dies is dropped and its request scored inline; with none left the pool is marked
broken and every request is scored inline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import signal
import socket
import struct
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from dualtrace.resolve.index import ScreeningIndex

ENV_SCORING_WORKERS = "DUALTRACE_SCORING_WORKERS"
_LENGTH = struct.Struct("!I")

# The index a forked worker scores with: set in the parent just before forking, so the
# children inherit it; never assigned inside a worker.
_FORKED_INDEX: ScreeningIndex | None = None


# ``dualtrace serve``'s default, one worker per usable core up to this many: the event
# loop needs ~0.5-0.7 ms per request and a worker ~2 ms, so beyond about four workers
# the event loop, not scoring, is what a request waits for.
MAX_DEFAULT_WORKERS = 4


def scoring_workers_from_env() -> int:
    """``DUALTRACE_SCORING_WORKERS`` (0 = score in the server process)."""
    raw = os.environ.get(ENV_SCORING_WORKERS, "").strip()
    if not raw:
        return 0
    try:
        return max(0, int(raw))
    except ValueError:
        return 0


def usable_cpus() -> int:
    """Cores this process may run on (its affinity mask, else the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_scoring_workers() -> int:
    """``dualtrace serve``'s scoring workers when not told: ``DUALTRACE_SCORING_WORKERS``
    if set, else one per usable core (at most :data:`MAX_DEFAULT_WORKERS`) on a host
    with more than one core, else 0 (on one core a worker only adds a pickle each way).

    Workers are the default because with them the server scores on every core, where
    under the GIL one process scores on one; each worker's memory levels off once it
    has touched the index it inherited (docs/security.md, Load)."""
    if os.environ.get(ENV_SCORING_WORKERS, "").strip():
        return scoring_workers_from_env()
    cpus = usable_cpus()
    return min(cpus, MAX_DEFAULT_WORKERS) if cpus > 1 else 0


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    """``size`` bytes from a blocking socket, or None at end of stream."""
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def _worker_loop(sock: socket.socket) -> None:
    """In the child: answer calls until the server closes its end."""
    # Ctrl-C reaches the whole process group: the server shuts down and closes the
    # socket, which ends this loop; SIGTERM ends the worker at once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        header = _recv_exactly(sock, _LENGTH.size)
        if header is None:
            return
        payload = _recv_exactly(sock, _LENGTH.unpack(header)[0])
        if payload is None:
            return
        function, args = pickle.loads(payload)
        try:
            outcome: tuple[bool, Any] = (True, function(_FORKED_INDEX, *args))
        except Exception as exc:  # sent back and raised in the server, as inline
            outcome = (False, exc)
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            data = pickle.dumps((False, RuntimeError(repr(outcome[1]))))
        sock.sendall(_LENGTH.pack(len(data)) + data)


class _Worker:
    """The server's end of one worker: its socket, wrapped in asyncio streams on first
    use (a stream's reader is fed by the loop's protocol callbacks; ``loop.sock_recv``
    re-registered the socket with epoll on every read, several syscalls per call)."""

    def __init__(self, pid: int, sock: socket.socket) -> None:
        self.pid = pid
        self.sock = sock
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def call(self, message: bytes) -> tuple[bool, Any]:
        if self._streams is None:
            self._streams = await asyncio.open_unix_connection(sock=self.sock)
        reader, writer = self._streams
        writer.write(message)
        try:
            header = await reader.readexactly(_LENGTH.size)
            body = await reader.readexactly(_LENGTH.unpack(header)[0])
        except asyncio.IncompleteReadError as exc:
            raise ConnectionError(f"scoring worker {self.pid} exited") from exc
        return pickle.loads(body)  # type: ignore[no-any-return]

    def close(self) -> None:
        if self._streams is not None:
            with contextlib.suppress(RuntimeError):  # its event loop already closed
                self._streams[1].close()
        self.sock.close()


class ScoringPool:
    """``processes`` forked workers holding ``index``; :meth:`run` scores in one."""

    def __init__(self, index: ScreeningIndex, processes: int) -> None:
        global _FORKED_INDEX
        _FORKED_INDEX = index
        self.index = index
        self.processes = processes
        self.broken = False
        self._workers: list[_Worker] = []
        self._idle: deque[_Worker] = deque()
        self._waiters: deque[asyncio.Future[None]] = deque()
        for _ in range(processes):
            ours, theirs = socket.socketpair()
            pid = os.fork()
            if pid == 0:  # the worker: keep only its own socket
                code = 0
                try:
                    ours.close()
                    for other in self._workers:
                        other.sock.close()
                    _worker_loop(theirs)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            theirs.close()
            self._workers.append(_Worker(pid, ours))
        self._idle.extend(self._workers)
        self.pids = sorted(w.pid for w in self._workers)

    def serves(self, index: ScreeningIndex) -> bool:
        """True if the workers hold this very index (not an older or newer one)."""
        return not self.broken and index is self.index

    async def _acquire(self) -> _Worker | None:
        while not self._idle:
            if not self._workers:
                return None
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
        return self._idle.popleft()

    def _release(self, worker: _Worker, alive: bool) -> None:
        if alive:
            self._idle.append(worker)
        else:
            self._drop(worker)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    def _drop(self, worker: _Worker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        worker.close()
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(worker.pid, os.WNOHANG)
        if not self._workers:
            self.broken = True
            for waiter in self._waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def run(self, function: Callable[..., bytes], *args: Any) -> bytes | None:
        """``function(index, *args)`` in a worker; None if no worker could answer (the
        caller then scores inline). ``function`` must be a module-level function and
        its arguments picklable; an exception it raises is raised here."""
        worker = await self._acquire()
        if worker is None:
            return None
        message = pickle.dumps((function, args), protocol=pickle.HIGHEST_PROTOCOL)
        # Shielded: a request cancelled mid-call (client gone) must not leave the
        # worker's answer unread in the socket for the next request to take as its own.
        exchange = asyncio.ensure_future(worker.call(_LENGTH.pack(len(message)) + message))
        try:
            ok, value = await asyncio.shield(exchange)
        except (ConnectionError, OSError, EOFError, pickle.UnpicklingError):
            self._release(worker, alive=False)
            return None
        except asyncio.CancelledError:
            exchange.add_done_callback(lambda f: self._release(worker, _exchange_ok(f)))
            raise
        self._release(worker, alive=True)
        if not ok:
            raise value
        assert isinstance(value, bytes)
        return value

    def close(self) -> None:
        """Close every worker's socket (they exit on end of stream) and reap them."""
        workers, self._workers = self._workers, []
        self._idle.clear()
        self.broken = True
        for worker in workers:
            worker.close()
        deadline = time.monotonic() + 5.0
        for worker in workers:
            while True:
                try:
                    done, _ = os.waitpid(worker.pid, os.WNOHANG)
                except ChildProcessError:
                    break
                if done or time.monotonic() > deadline:
                    if not done:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(worker.pid, signal.SIGKILL)
                        with contextlib.suppress(ChildProcessError):
                            os.waitpid(worker.pid, 0)
                    break
                time.sleep(0.01)


def _exchange_ok(future: asyncio.Future[tuple[bool, Any]]) -> bool:
    return not future.cancelled() and future.exception() is None
