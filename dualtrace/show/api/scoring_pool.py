"""Screening in worker processes, so one server can score on more than one core.

The server must stay one process (DuckDB allows one writing process, and the audit
log, accounts and sessions live in the store), and under the GIL that process scores
on one core. A :class:`ScoringPool` forks worker processes once the screening index is
loaded: each inherits the index read-only (copy-on-write, nothing re-loaded or sent)
and answers "score these queries" with the finished response body. The main process
keeps everything that needs the store: authentication, the role check, the audit entry
(committed before the answer is sent, as for inline scoring) and the response.

Workers are forked at start-up, before the store is opened for writing and before the
audit writer thread exists, so no lock or connection is copied half-held. If a worker
dies the pool is marked broken and requests are scored inline from then on.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from dualtrace.resolve.index import ScreeningIndex

ENV_SCORING_WORKERS = "DUALTRACE_SCORING_WORKERS"

# The index a forked worker scores with: set in the parent just before forking, so the
# children inherit it; never assigned inside a worker.
_FORKED_INDEX: ScreeningIndex | None = None


def scoring_workers_from_env() -> int:
    """``DUALTRACE_SCORING_WORKERS`` (0 = score in the server process)."""
    raw = os.environ.get(ENV_SCORING_WORKERS, "").strip()
    if not raw:
        return 0
    try:
        return max(0, int(raw))
    except ValueError:
        return 0


def _ready(_: int) -> int:
    return os.getpid()


def _call(function: Any, args: tuple[Any, ...]) -> bytes:
    assert _FORKED_INDEX is not None, "scoring worker started without an index"
    result = function(_FORKED_INDEX, *args)
    assert isinstance(result, bytes)
    return result


class ScoringPool:
    """``processes`` forked workers holding ``index``; :meth:`run` scores in one."""

    def __init__(self, index: ScreeningIndex, processes: int) -> None:
        global _FORKED_INDEX
        _FORKED_INDEX = index
        self.index = index
        self.processes = processes
        self.broken = False
        self._executor = ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("fork")
        )
        # Python forks every worker of a fork-context pool at the first submit: do it
        # now, while the server has no store connection or writer thread to copy.
        self.pids = sorted(set(self._executor.map(_ready, range(processes * 4))))

    def serves(self, index: ScreeningIndex) -> bool:
        """True if the workers hold this very index (not an older or newer one)."""
        return not self.broken and index is self.index

    async def run(self, function: Any, *args: Any) -> bytes | None:
        """``function(index, *args)`` in a worker; None if the pool is broken (the
        caller then scores inline). ``function`` must be a module-level function and
        its arguments picklable."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, _call, function, args)
        except BrokenProcessPool:
            self.broken = True
            return None

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
