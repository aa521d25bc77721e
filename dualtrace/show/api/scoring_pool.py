"""Screening in worker processes, so one server can score on more than one core.

The server must stay one process (DuckDB allows one writing process, and the audit
log, accounts and sessions live in the store), and under the GIL that process scores
on one core. A :class:`ScoringPool` forks worker processes once the screening index is
loaded: each inherits the index read-only (copy-on-write, nothing re-loaded or sent)
and answers "score these queries" with the finished response body. The main process
keeps everything that needs the store: authentication, the role check, the audit entry
(recorded before the answer is sent, as for inline scoring) and the response.

Each worker is one forked process and one socket pair. The server writes a
length-prefixed pickle of each call and may queue a second call behind the one a worker
is scoring (:data:`PIPELINE_DEPTH`), so a worker that finishes finds its next call
already in its socket instead of idling until the event loop is scheduled to hand it
one. Answers come back in
the order the calls were sent, as a length and kind prefix and then the response body
itself (no pickle: the body is already the JSON the client gets); one
``asyncio.Protocol`` per worker reads them and resolves each call's future. An earlier
version used ``concurrent.futures.ProcessPoolExecutor``: its management thread, call
queue and result pipe cost the server about 1 ms of CPU per request (5.1-5.3 against
4.0-4.4 ms inline), more than the scoring it moved away; the next one (asyncio
streams, one call at a time, a shielded task and a pickled answer per call) left each
worker idle between calls until the event loop was scheduled, and cost the loop a task
per call.

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
from collections.abc import Callable, Iterator
from typing import Any, cast

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


# What a worker's answer is: a response body, or a pickled exception to raise.
_BODY = b"\x00"
_RAISED = b"\x01"
_KIND = 1  # bytes of kind after the length
# Calls queued at one worker beyond the one it is scoring is PIPELINE_DEPTH - 1: enough
# that a worker never waits for the event loop, few enough that a large batch behind
# which a call waits delays few calls while another worker may be free.
PIPELINE_DEPTH = 2


def _frames(buffer: bytearray) -> Iterator[bytes]:
    """Whole length-prefixed frames at the head of ``buffer`` (removed from it)."""
    at = 0
    size = len(buffer)
    while size - at >= _LENGTH.size:
        length = _LENGTH.unpack_from(buffer, at)[0]
        end = at + _LENGTH.size + length
        if end > size:
            break
        yield bytes(buffer[at + _LENGTH.size : end])
        at = end
    del buffer[:at]


def _answer(function: Callable[..., bytes], args: tuple[Any, ...]) -> list[bytes]:
    """One answer frame, as parts to send: the body, or the exception raised."""
    try:
        body = function(_FORKED_INDEX, *args)
        if not isinstance(body, bytes):
            raise TypeError(f"scoring function returned {type(body).__name__}, not bytes")
        kind = _BODY
    except Exception as exc:  # sent back and raised in the server, as inline
        try:
            body = pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            body = pickle.dumps(RuntimeError(repr(exc)))
        kind = _RAISED
    return [_LENGTH.pack(len(body) + _KIND) + kind, body]


def _worker_loop(sock: socket.socket) -> None:
    """In the child: answer calls, in order, until the server closes its end."""
    # Ctrl-C reaches the whole process group: the server shuts down and closes the
    # socket, which ends this loop; SIGTERM ends the worker at once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    buffer = bytearray()
    while True:
        chunk = sock.recv(1 << 16)
        if not chunk:
            return
        buffer += chunk
        for frame in _frames(buffer):
            function, args = pickle.loads(frame)
            parts = _answer(function, args)
            sent = sock.sendmsg(parts)
            if sent < len(parts[0]) + len(parts[1]):  # a signal cut it short
                sock.sendall(b"".join(parts)[sent:])


class _Channel(asyncio.Protocol):
    """The server's end of one worker: sends calls and hands each answer, in order, to
    the future of the call it answers. A call whose request was cancelled keeps its
    place: its answer is read and dropped, never given to the next call."""

    def __init__(self, pid: int, sock: socket.socket, pool: ScoringPool) -> None:
        self.pid = pid
        self.sock = sock
        self.pool = pool
        self.pending: deque[asyncio.Future[tuple[bytes, bytes]]] = deque()
        self.transport: asyncio.Transport | None = None
        self.connecting: asyncio.Future[Any] | None = None
        self.lost = False
        self._buffer = bytearray()

    async def connect(self) -> None:
        """Attach the socket to the running loop (once; later callers wait for it)."""
        if self.connecting is None:
            loop = asyncio.get_running_loop()
            self.connecting = asyncio.ensure_future(
                loop.create_unix_connection(lambda: self, sock=self.sock)
            )
        await asyncio.shield(self.connecting)

    def send(self, message: bytes) -> asyncio.Future[tuple[bytes, bytes]]:
        """Queue ``message`` to the worker; the future gets its answer's kind and body."""
        if self.lost or self.transport is None or self.transport.is_closing():
            raise ConnectionError(f"scoring worker {self.pid} is gone")
        future: asyncio.Future[tuple[bytes, bytes]] = asyncio.get_running_loop().create_future()
        self.pending.append(future)
        self.transport.write(message)
        return future

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        answered = 0
        for frame in _frames(self._buffer):
            if not self.pending:  # an answer nobody asked for: the channel is unusable
                self._fail(ConnectionError(f"scoring worker {self.pid} answered out of turn"))
                return
            future = self.pending.popleft()
            answered += 1
            if not future.done():  # done = its request was cancelled: dropped
                future.set_result((frame[:_KIND], frame[_KIND:]))
        if answered:
            self.pool._room(answered)

    def eof_received(self) -> bool:
        return False  # close the transport; connection_lost fails what is pending

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(ConnectionError(f"scoring worker {self.pid} exited"))

    def _fail(self, error: ConnectionError) -> None:
        if self.lost:
            return
        self.lost = True
        pending, self.pending = self.pending, deque()
        for future in pending:
            if not future.done():
                future.set_exception(error)
        if self.transport is not None:
            self.transport.close()
        self.pool._drop(self)

    def close(self) -> None:
        self.lost = True
        if self.transport is not None:
            with contextlib.suppress(RuntimeError):  # its event loop already closed
                self.transport.close()
        self.sock.close()


class ScoringPool:
    """``processes`` forked workers holding ``index``; :meth:`run` scores in one."""

    def __init__(self, index: ScreeningIndex, processes: int) -> None:
        global _FORKED_INDEX
        _FORKED_INDEX = index
        self.index = index
        self.processes = processes
        self.broken = False
        self._channels: list[_Channel] = []
        self._waiters: deque[asyncio.Future[None]] = deque()
        for _ in range(processes):
            ours, theirs = socket.socketpair()
            pid = os.fork()
            if pid == 0:  # the worker: keep only its own socket
                code = 0
                try:
                    ours.close()
                    for other in self._channels:
                        other.sock.close()
                    _worker_loop(theirs)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            theirs.close()
            self._channels.append(_Channel(pid, ours, self))
        self.pids = sorted(c.pid for c in self._channels)

    def serves(self, index: ScreeningIndex) -> bool:
        """True if the workers hold this very index (not an older or newer one)."""
        return not self.broken and index is self.index

    def _pick(self) -> _Channel | None:
        """The worker with the fewest calls in hand, if it has room for one more."""
        best: _Channel | None = None
        for channel in self._channels:
            if best is None or len(channel.pending) < len(best.pending):
                best = channel
        if best is None or len(best.pending) >= PIPELINE_DEPTH:
            return None
        return best

    def _room(self, calls: int) -> None:
        """``calls`` calls were answered: as many waiting requests may go on."""
        while calls and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                calls -= 1

    def _drop(self, channel: _Channel) -> None:
        if channel in self._channels:
            self._channels.remove(channel)
        channel.close()
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(channel.pid, os.WNOHANG)
        if not self._channels:
            self.broken = True
        # waiters retry: another worker may have room, or with none left they score inline
        self._room(len(self._waiters))

    async def run(self, function: Callable[..., bytes], *args: Any) -> bytes | None:
        """``function(index, *args)`` in a worker; None if no worker could answer (the
        caller then scores inline). ``function`` must be a module-level function and
        its arguments picklable; an exception it raises is raised here."""
        message = pickle.dumps((function, args), protocol=pickle.HIGHEST_PROTOCOL)
        message = _LENGTH.pack(len(message)) + message
        while True:
            channel = self._pick()
            if channel is None:
                if not self._channels:
                    return None
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
                try:
                    await waiter
                finally:
                    with contextlib.suppress(ValueError):
                        self._waiters.remove(waiter)
                continue
            if channel.transport is None:
                try:
                    await channel.connect()
                except OSError:
                    self._drop(channel)
                    continue
                if channel.lost:
                    continue
                if len(channel.pending) >= PIPELINE_DEPTH:
                    continue  # others took its room while it was being attached
            try:
                kind, body = await channel.send(message)
            except ConnectionError:  # that worker died: this request is scored inline
                return None
            if kind == _RAISED:
                raise pickle.loads(body)
            return body

    def close(self) -> None:
        """Close every worker's socket (they exit on end of stream) and reap them."""
        workers, self._channels = self._channels, []
        self.broken = True
        for worker in workers:
            worker.close()
        self._room(len(self._waiters))
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
