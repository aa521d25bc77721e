"""Load on the real server: ``dualtrace serve`` on 127.0.0.1, driven by bounded clients.

Builds (once) a store from OFAC's real SDN list of 2021-07-07, adds a viewer with an
API key, starts ``dualtrace serve`` as a subprocess with the full security guard
(authentication by key, role checks, audit of every screening request, headers,
limits), then runs two phases with lean keep-alive HTTP/1.1 clients in this process
(raw asyncio streams, pre-encoded headers: the load generator shares the 2 cores, so
it must cost the server as little CPU as possible):

1. **steady**: ``--clients`` concurrent clients for ``--seconds``: screening (yente
   ``/match``), name search and entity pages in a 70/20/10 mix, queries taken from the
   list's own names (some misspelt); ``--mix`` chooses other mixes, and given more than
   once runs one steady phase per mix on the same server (``--mix 70/20/10 --mix
   match=1`` reports the mixed figure and screening alone, the issue's "screening
   requests per second");
2. **overload**: ``--overload-clients`` clients against a server started with a small
   concurrency limit, to show it answers 429 (with Retry-After) instead of falling over.

Prints throughput, p50/p99 latency and errors per phase, the CPU seconds used by the
server (all threads, and its event-loop thread alone) and by the load generator, beside
yente's own published scaling figure (about 15 /match requests per second per vCPU
with logic-v1), and checks the server is still healthy and the audit chain intact.

    .venv/bin/python bench/load_api.py --seconds 20 --clients 16
    .venv/bin/python bench/load_api.py --mix 70/20/10 --mix match=1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))

YENTE_RPS_PER_VCPU = 15.0  # yente's scaling notes, logic-v1 (data/README.md)
CORES = 2
AIM_MATCH_RPS = 500.0  # issue 9: sustained on 2 cores
AIM_P99_MS = 100.0


KINDS = ("match", "search", "entity")
DEFAULT_MIX = "70/20/10"


@dataclass(frozen=True)
class Mix:
    """Shares of screening (``/match``), search and entity-page requests."""

    match: float
    search: float
    entity: float

    @classmethod
    def parse(cls, text: str) -> Mix:
        """``70/20/10`` (match/search/entity, any scale) or ``match=1`` /
        ``match=0.8,search=0.2`` (kinds not named get 0)."""
        shares = dict.fromkeys(KINDS, 0.0)
        try:
            if "=" in text:
                for part in text.split(","):
                    kind, _, value = part.partition("=")
                    if kind.strip() not in shares:
                        raise ValueError(f"unknown kind {kind.strip()!r}")
                    shares[kind.strip()] = float(value)
            else:
                values = [float(v) for v in text.split("/")]
                if len(values) != len(KINDS):
                    raise ValueError("three shares: match/search/entity")
                shares = dict(zip(KINDS, values, strict=True))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"--mix {text!r}: {exc}") from exc
        total = sum(shares.values())
        if total <= 0 or min(shares.values()) < 0:
            raise argparse.ArgumentTypeError(f"--mix {text!r}: shares must be >= 0, not all 0")
        return cls(*(shares[k] / total for k in KINDS))

    @property
    def label(self) -> str:
        if self.match == 1.0:
            return "match"
        return "/".join(f"{round(v * 100)}" for v in (self.match, self.search, self.entity))


@dataclass
class PhaseResult:
    name: str
    clients: int
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0
    error_types: dict[str, int] = field(default_factory=dict)
    load_average: float = 0.0
    server_cpu: float = 0.0
    loop_cpu: float = 0.0
    loop_sys: float = 0.0
    thread_cpu: float = 0.0
    worker_cpu: float = 0.0
    client_cpu: float = 0.0
    workers: int = 0
    mix: str = DEFAULT_MIX
    memory: list[tuple[float, dict[str, tuple[float, float, float]]]] = field(default_factory=list)

    def record(self, kind: str, status: int, latency: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 200:
            self.latencies.setdefault(kind, []).append(latency)

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def errors(self) -> int:
        bad = sum(n for s, n in self.statuses.items() if s not in (200, 429))
        return bad + self.transport_errors


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_store(path: Path, names_wanted: int = 400) -> tuple[str, list[str], list[str]]:
    """The store, a viewer key, query names and entity ids (all from the real list)."""
    from dualtrace.security.accounts import Accounts
    from dualtrace.security.roles import Role
    from dualtrace.sources.ofac_sdn import read_ofac_sdn
    from dualtrace.store import Store

    if not path.exists():
        started = time.monotonic()
        with Store.open(path) as store:
            for result in read_ofac_sdn(DATA / "lists" / "ofac-sdn" / "sdn_2021-07-07.csv"):
                store.load(result.dataset, result.version, result.statements(), result.report)
        print(f"built store {path} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    with Store.open(path) as store:
        accounts = Accounts(store.con)
        name = f"bench{random.randrange(10**6)}"
        accounts.add_user(name, Role.VIEWER)
        key = accounts.create_key(name, label="bench/load_api.py")[1]
        rows = store.con.execute(
            "SELECT value, entity_id FROM statements WHERE prop = 'name' "
            "AND schema IN ('Organization', 'Company', 'Person', 'LegalEntity') "
            "ORDER BY hash(entity_id) LIMIT ?",
            [names_wanted],
        ).fetchall()
    names = [str(r[0]) for r in rows]
    ids = [str(r[1]) for r in rows]
    return key, names, ids


def misspell(name: str, rng: random.Random) -> str:
    if len(name) < 6 or rng.random() < 0.5:
        return name
    i = rng.randrange(1, len(name) - 1)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def start_server(store: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dualtrace.show.cli.app",
            "serve",
            "--store",
            str(store),
            "--port",
            str(port),
        ],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start in 10 minutes")


class LeanClient:
    """One keep-alive HTTP/1.1 connection sending pre-encoded requests: a few
    microseconds of client CPU per request, so the load generator (which shares the 2
    cores with the server) costs the server as little as possible. httpx spent ~1 ms of
    CPU per request building and parsing messages, which on 2 cores came out of the
    server's share."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, message: bytes) -> tuple[int, bytes]:
        """Send one whole request (head and body, already encoded); status and body."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(message)
        try:
            raw = await self.reader.readuntil(b"\r\n\r\n")
            status = int(raw[9:12])
            head = raw.lower()
            at = head.find(b"\r\ncontent-length:")
            length = int(head[at + 17 : head.index(b"\r\n", at + 2)]) if at >= 0 else 0
            closing = b"\r\nconnection: close" in head
            payload = await self.reader.readexactly(length) if length else b""
        except (OSError, asyncio.IncompleteReadError, ValueError):
            await self.close()
            raise
        if closing:
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


def encode_requests(
    host: str,
    port: int,
    key: str,
    names: list[str],
    ids: list[str],
    seed: int,
    count: int,
    mix: Mix = Mix(0.7, 0.2, 0.1),
) -> list[tuple[str, bytes]]:
    """``count`` whole requests in ``mix`` (screening, search, entity pages; 70/20/10
    unless told), encoded before the clock starts so the client's timed loop only
    writes and reads."""
    rng = random.Random(seed)
    common = (
        f"Host: {host}:{port}\r\nAuthorization: Bearer {key}\r\nAccept: application/json\r\n"
    ).encode()
    out: list[tuple[str, bytes]] = []
    for _ in range(count):
        roll = rng.random()
        query = misspell(rng.choice(names), rng)
        if roll < mix.match:
            body = orjson.dumps(
                {"queries": {"q": {"schema": "LegalEntity", "properties": {"name": [query]}}}}
            )
            head = b"POST /match/default HTTP/1.1\r\n" + common
            head += b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
            out.append(("match", head + b"\r\n" + body))
        elif roll < mix.match + mix.search:
            target = f"/search?q={urllib.parse.quote(query)}"
            out.append(("search", f"GET {target} HTTP/1.1\r\n".encode() + common + b"\r\n"))
        else:
            target = f"/entities/{urllib.parse.quote(rng.choice(ids))}"
            out.append(("entity", f"GET {target} HTTP/1.1\r\n".encode() + common + b"\r\n"))
    return out


async def served_ids(base: str, key: str, ids: list[str]) -> list[str]:
    """The ids among ``ids`` whose entity page answers 200 (asked once, untimed)."""
    parts = urllib.parse.urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    http = LeanClient(host, port)
    auth = f"Host: {host}:{port}\r\nAuthorization: Bearer {key}\r\n\r\n"
    kept = []
    for entity_id in ids:
        target = f"/entities/{urllib.parse.quote(entity_id)}"
        status, _ = await http.request(f"GET {target} HTTP/1.1\r\n{auth}".encode())
        if status == 200:
            kept.append(entity_id)
    await http.close()
    if not kept:
        raise SystemExit("none of the sampled entity ids is served by the screening index")
    return kept


def cpu_seconds(stat: Path, system_only: bool = False) -> float:
    """User + system (or system only) CPU seconds from a /proc ``stat`` file (a process
    or one thread)."""
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:  # a thread that has exited
        return 0.0
    ticks = int(fields[12]) if system_only else int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (the server's scoring workers)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            children.append(int(stat.parent.name))
    return children


@dataclass(frozen=True)
class ServerCpu:
    """CPU seconds of the server so far: its event-loop (main) thread, its other
    threads (the audit writer, the thread pool) and its scoring worker processes."""

    loop: float
    loop_sys: float
    threads: float
    workers: float

    @property
    def total(self) -> float:
        return self.loop + self.threads + self.workers

    @classmethod
    def read(cls, pid: int) -> ServerCpu:
        process = cpu_seconds(Path(f"/proc/{pid}/stat"))
        main = Path(f"/proc/{pid}/task/{pid}/stat")
        loop = cpu_seconds(main)
        workers = sum(cpu_seconds(Path(f"/proc/{c}/stat")) for c in child_pids(pid))
        return cls(loop, cpu_seconds(main, system_only=True), process - loop, workers)


MemoryRow = dict[str, tuple[float, float, float]]


def memory_mib(pid: int) -> tuple[float, float, float] | None:
    """RSS, PSS and USS (pages only this process holds) of ``pid`` in MiB. A forked
    scoring worker starts sharing the server's pages; its USS is what it has copied
    since (copy-on-write: touching an object's reference count copies its page)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    kib: dict[str, int] = {}
    for line in text.splitlines()[1:]:
        label, _, rest = line.partition(":")
        if label in ("Rss", "Pss", "Private_Clean", "Private_Dirty"):
            kib[label] = int(rest.split()[0])
    private = kib.get("Private_Clean", 0) + kib.get("Private_Dirty", 0)
    return kib.get("Rss", 0) / 1024, kib.get("Pss", 0) / 1024, private / 1024


class MemorySampler:
    """Samples the server's and each scoring worker's memory every ``every`` seconds
    (a thread of the load generator, so the server does nothing extra)."""

    def __init__(self, pid: int, every: float) -> None:
        self.pid = pid
        self.every = every
        self.samples: list[tuple[float, MemoryRow]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)
        self._started = 0.0

    def _sample(self) -> None:
        row: MemoryRow = {}
        for label, pid in [("server", self.pid)] + [
            (f"worker {c}", c) for c in sorted(child_pids(self.pid))
        ]:
            found = memory_mib(pid)
            if found is not None:
                row[label] = found
        self.samples.append((time.monotonic() - self._started, row))

    def _run(self) -> None:
        self._sample()
        while not self._stop.wait(self.every):
            self._sample()

    def start(self) -> None:
        self._started = time.monotonic()
        self._thread.start()

    def stop(self) -> list[tuple[float, MemoryRow]]:
        self._stop.set()
        self._thread.join()
        self._sample()
        return self.samples


async def drive(
    base: str,
    key: str,
    names: list[str],
    ids: list[str],
    clients: int,
    seconds: float,
    name: str,
    server_pid: int | None = None,
    memory_every: float = 0.0,
    mix: Mix = Mix(0.7, 0.2, 0.1),
) -> PhaseResult:
    result = PhaseResult(name, clients, mix=mix.label)
    parts = urllib.parse.urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    per_client = max(200, min(5000, int(seconds * 60)))
    planned = [
        encode_requests(host, port, key, names, ids, n, per_client, mix) for n in range(clients)
    ]

    async def client(n: int) -> None:
        http = LeanClient(host, port)
        plan = planned[n]
        i = 0
        while time.monotonic() < deadline:
            kind, message = plan[i % len(plan)]
            i += 1
            started = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(http.request(message), 30)
            except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as exc:
                await http.close()
                result.transport_errors += 1
                kind_name = type(exc).__name__
                result.error_types[kind_name] = result.error_types.get(kind_name, 0) + 1
                continue
            result.record(kind, status, time.perf_counter() - started)
            if status == 429:
                await asyncio.sleep(0.1)
        await http.close()

    sampler = MemorySampler(server_pid, memory_every) if server_pid and memory_every else None
    before = ServerCpu.read(server_pid) if server_pid else None
    client_cpu = time.process_time()
    started = time.monotonic()
    deadline = started + seconds
    if sampler is not None:
        sampler.start()
    await asyncio.gather(*(client(n) for n in range(clients)))
    result.seconds = time.monotonic() - started
    result.client_cpu = time.process_time() - client_cpu
    if sampler is not None:
        result.memory = sampler.stop()
    if server_pid and before is not None:
        after = ServerCpu.read(server_pid)
        result.server_cpu = after.total - before.total
        result.loop_cpu = after.loop - before.loop
        result.loop_sys = after.loop_sys - before.loop_sys
        result.thread_cpu = after.threads - before.threads
        result.worker_cpu = after.workers - before.workers
        result.workers = len(child_pids(server_pid))
    result.load_average = os.getloadavg()[0]
    return result


def report(results: list[PhaseResult]) -> None:
    anchor = YENTE_RPS_PER_VCPU * CORES
    print()
    print(
        f"HTTP API load on 127.0.0.1 ({CORES} shared cores; server and clients on one host; "
        f"{results[0].workers} scoring worker processes)"
    )
    header = (
        f"{'phase':10} {'mix':>8} {'clients':>7} {'requests':>9} {'ok/s':>7} {'match/s':>8} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'429':>6} {'errors':>6} {'x yente':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        every = [v for values in r.latencies.values() for v in values]
        match_rate = len(r.latencies.get("match", [])) / r.seconds
        print(
            f"{r.name:10} {r.mix:>8} {r.clients:>7} {sum(r.statuses.values()):>9} "
            f"{r.ok / r.seconds:>7.1f} {match_rate:>8.1f} {pct(every, 0.5):>7.1f} "
            f"{pct(every, 0.99):>7.1f} {r.statuses.get(429, 0):>6} {r.errors:>6} "
            f"{match_rate / anchor:>7.1f}x"
        )
    print("-" * len(header))
    print(
        f"anchor: yente, about {YENTE_RPS_PER_VCPU:.0f} /match per second per vCPU "
        f"(logic-v1) = {anchor:.0f}/s on {CORES} cores"
    )
    for steady in (r for r in results if r.name != "overload"):
        rate = len(steady.latencies.get("match", [])) / steady.seconds
        match_p99 = pct(steady.latencies.get("match", []), 0.99)
        print(
            f"aim (issue 9): >= {AIM_MATCH_RPS:.0f} /match per second, p99 < {AIM_P99_MS:.0f} "
            f"ms, no errors; {steady.name} ({steady.mix}): {rate / AIM_MATCH_RPS:.2f}x of the "
            f"rate, /match p99 {match_p99 / AIM_P99_MS:.2f}x of the bound, "
            f"{steady.errors} errors"
        )
    for r in results:
        for kind, values in sorted(r.latencies.items()):
            print(
                f"  {r.name} {kind:7} n={len(values):6} p50={pct(values, 0.5):6.1f} ms "
                f"p99={pct(values, 0.99):6.1f} ms mean={statistics.fmean(values) * 1000:6.1f} ms"
            )
        other = {s: n for s, n in r.statuses.items() if s not in (200, 429)}
        if other or r.transport_errors:
            print(
                f"  {r.name} errors: statuses {other}, transport {r.transport_errors} "
                f"{r.error_types}"
            )
        ok = max(1, r.ok)
        print(
            f"  {r.name}: CPU seconds server {r.server_cpu:.1f} "
            f"({r.server_cpu / r.seconds:.2f} cores, {r.server_cpu / ok * 1000:.2f} ms per ok "
            f"request: event-loop thread {r.loop_cpu / ok * 1000:.2f} "
            f"(of it in the kernel {r.loop_sys / ok * 1000:.2f}), other threads "
            f"{r.thread_cpu / ok * 1000:.2f}, scoring workers {r.worker_cpu / ok * 1000:.2f}); "
            f"load generator {r.client_cpu:.1f} ({r.client_cpu / r.seconds:.2f} cores, "
            f"{r.client_cpu / ok * 1000:.2f} ms per ok request, "
            f"{r.client_cpu / max(1e-9, r.client_cpu + r.server_cpu):.0%} of the CPU both "
            f"used); host load average {r.load_average:.1f} on {os.cpu_count()} cores"
        )
        report_memory(r)


def report_memory(r: PhaseResult) -> None:
    """Each server process's memory over the phase (MiB): first sample, middle, last
    and peak; the workers' USS growth in each half says whether it levels off."""
    if not r.memory:
        return
    first, middle, last = r.memory[0], r.memory[len(r.memory) // 2], r.memory[-1]
    print(
        f"  {r.name} memory (MiB; {len(r.memory)} samples over {last[0]:.0f} s; "
        "USS = pages only that process holds, PSS = shared pages split among sharers):"
    )
    for label in last[1]:
        series = [row[label] for _, row in r.memory if label in row]
        a, m, z = (snap[1].get(label, series[0]) for snap in (first, middle, last))
        print(
            f"    {label:14} RSS {a[0]:7.0f} -> {z[0]:7.0f} (peak {max(v[0] for v in series):7.0f})"
            f"  PSS {a[1]:7.0f} -> {z[1]:7.0f}  USS {a[2]:7.0f} -> {m[2]:7.0f} "
            f"(t={middle[0]:.0f} s)"
            f" -> {z[2]:7.0f} (peak {max(v[2] for v in series):7.0f}); USS growth first half "
            f"{m[2] - a[2]:+.0f}, second half {z[2] - m[2]:+.0f}"
        )
    total = [(t, sum(v[1] for v in row.values())) for t, row in r.memory]
    step = max(1, len(total) // 12)
    print(
        "    server + workers PSS over time: "
        + ", ".join(f"{t:.0f}s {mib:.0f}" for t, mib in total[::step])
        + f", {total[-1][0]:.0f}s {total[-1][1]:.0f}"
    )


def guard_overhead(requests: int = 6000, concurrent: int = 16) -> dict[str, tuple[float, float]]:
    """Event-loop thread CPU microseconds per request, bare and behind the whole guard,
    for two trivial routes (``POST /match/default``, audited as screening and answered
    after its journal fsync; ``GET /entities/x``, not audited), called as ASGI directly
    (no HTTP client in the way) with ``concurrent`` requests in flight, as a server
    sees them. The app is built as ``create_app`` builds it (same FastAPI settings),
    without an index, so only the framework and the guard are measured. The audit
    writer's own thread is not counted (its CPU is in the load phases' figures)."""
    from fastapi import FastAPI

    from dualtrace.security.accounts import Accounts
    from dualtrace.security.http_auth import SecurityConfig
    from dualtrace.security.roles import Role
    from dualtrace.show.api import app as api_app
    from dualtrace.show.api.auth_routes import secure_app
    from dualtrace.store import Store

    settings: dict[str, object] = dict(getattr(api_app, "_NO_TELEMETRY", {}))
    body = orjson.dumps({"queries": {"q": {"schema": "Company", "properties": {"name": ["x"]}}}})

    def make() -> FastAPI:
        app = FastAPI(**settings)  # type: ignore[arg-type]

        @app.post("/match/{dataset}")
        async def match(dataset: str) -> dict[str, str]:
            return {"dataset": dataset}

        @app.get("/entities/{entity_id}")
        async def entity(entity_id: str) -> dict[str, str]:
            return {"id": entity_id}

        return app

    async def run(app: FastAPI, key: str, method: str, path: str) -> float:
        headers = [
            (b"host", b"bench"),
            (b"authorization", f"Bearer {key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body) if method == "POST" else 0).encode()),
        ]

        async def one() -> None:
            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": method,
                "scheme": "http",
                "path": path,
                "raw_path": path.encode(),
                "query_string": b"",
                "root_path": "",
                "headers": headers,
                "client": ("127.0.0.1", 1),
                "server": ("127.0.0.1", 8000),
            }
            delivered = False
            statuses: list[int] = []

            async def receive() -> dict[str, object]:
                nonlocal delivered
                if delivered:  # nothing more: the client stays connected
                    await asyncio.Event().wait()
                delivered = True
                sent = body if method == "POST" else b""
                return {"type": "http.request", "body": sent, "more_body": False}

            async def send(message: dict[str, object]) -> None:
                if message["type"] == "http.response.start":
                    statuses.append(int(str(message["status"])))

            await app(scope, receive, send)  # type: ignore[arg-type]
            assert statuses == [200], statuses

        async def sender() -> None:
            for _ in range(requests // concurrent):
                await one()

        for _ in range(100):
            await one()
        started = time.thread_time()
        await asyncio.gather(*(sender() for _ in range(concurrent)))
        return (time.thread_time() - started) / requests * 1e6

    routes = {"POST /match": ("POST", "/match/default"), "GET /entities": ("GET", "/entities/x")}
    bare = {name: asyncio.run(run(make(), "", *call)) for name, call in routes.items()}
    guarded: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "g.duckdb") as store:
        accounts = Accounts(store.con)
        accounts.add_user("bench", Role.VIEWER)
        key = accounts.create_key("bench")[1]
        app = make()
        ctx = secure_app(app, store.con, SecurityConfig())
        guarded = {name: asyncio.run(run(app, key, *call)) for name, call in routes.items()}
        ctx.close()
    return {name: (bare[name], guarded[name]) for name in routes}


def report_guard() -> None:
    costs = guard_overhead()
    print(
        "guard cost, event-loop thread CPU per request, trivial routes called as ASGI, "
        "16 in flight (key, role, headers, limits; /match audited, answered after its "
        "journal fsync): "
        + "; ".join(
            f"{name} bare {bare:.0f} us, guarded {guarded:.0f} us (+{guarded - bare:.0f})"
            for name, (bare, guarded) in costs.items()
        )
        + f"; host load average {os.getloadavg()[0]:.1f}"
    )


def audit_intact(store: Path) -> tuple[bool, int]:
    from dualtrace.security.audit import AuditLog
    from dualtrace.store import Store

    with Store.open(store, read_only=True) as s:
        result = AuditLog(s.con).verify()
    return result.ok, result.entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--overload-clients", type=int, default=128)
    parser.add_argument(
        "--mix",
        type=Mix.parse,
        action="append",
        help="request mix of the steady phase: match/search/entity shares (default "
        f"{DEFAULT_MIX}) or kind=share (match=1: screening only); repeat for one steady "
        "phase per mix on the same server",
    )
    parser.add_argument(
        "--store",
        type=Path,
        help="existing store, e.g. every list loaded (default: build one from OFAC SDN)",
    )
    parser.add_argument(
        "--names", type=int, default=400, help="distinct list names to query (default 400)"
    )
    parser.add_argument(
        "--memory-every",
        type=float,
        default=5.0,
        help="sample the server's and workers' memory every this many seconds (0: off)",
    )
    parser.add_argument(
        "--scoring-workers",
        type=int,
        default=None,
        help="processes scoring /match and /search beside the server (dualtrace serve "
        "--scoring-workers; default: serve's own, one per core up to 4 on a multi-core host)",
    )
    parser.add_argument(
        "--guard-only",
        action="store_true",
        help="only the in-process guard cost (no server, no load: a quick CPU figure)",
    )
    args = parser.parse_args()
    if args.guard_only:
        with contextlib.suppress(ImportError):
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        report_guard()
        return
    workers: dict[str, str] = {}
    if args.scoring_workers is not None:
        workers["DUALTRACE_SCORING_WORKERS"] = str(args.scoring_workers)
    else:
        os.environ.pop("DUALTRACE_SCORING_WORKERS", None)

    workdir = Path(tempfile.gettempdir()) / "dualtrace-load-bench"
    workdir.mkdir(exist_ok=True)
    source = args.store or workdir / "ofac-sdn-2021-07-07.duckdb"
    key, names, ids = build_store(source, args.names)
    with contextlib.suppress(ImportError):  # the client's loop too: less of its CPU
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    results: list[PhaseResult] = []

    def phase(
        base: str,
        clients: int,
        name: str,
        pid: int,
        memory_every: float = 0.0,
        mix: Mix = Mix(0.7, 0.2, 0.1),
    ) -> PhaseResult:
        """One timed phase against the server at ``base`` (same queries, same length)."""
        return asyncio.run(
            drive(base, key, names, ids, clients, args.seconds, name, pid, memory_every, mix)
        )

    port = free_port()
    server = start_server(source, port, workers)
    try:
        base = f"http://127.0.0.1:{port}"
        # entity pages only for ids the index serves (on a store of every list some
        # statement ids are not screening entities, and their 404s are not load errors)
        ids = asyncio.run(served_ids(base, key, ids))
        # warm-up: first requests load the index and the audit writer
        asyncio.run(drive(base, key, names, ids, 2, 3, "warm-up"))
        for mix in args.mix or [Mix.parse(DEFAULT_MIX)]:
            name = "screening" if mix.label == "match" else "steady"
            results.append(phase(base, args.clients, name, server.pid, args.memory_every, mix))
    finally:
        server.terminate()
        server.wait(timeout=60)

    alive: bool | None = None
    if args.overload_clients > 0:  # 0: steady phase only (quicker A/B rounds)
        port = free_port()
        limited = {"DUALTRACE_MAX_CONCURRENT": "4", "DUALTRACE_MAX_QUEUE": "8", **workers}
        server = start_server(source, port, limited)
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(drive(base, key, names, ids, 2, 3, "warm-up"))
            results.append(phase(base, args.overload_clients, "overload", server.pid))
            alive = httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=60)
    report(results)
    report_guard()
    ok, entries = audit_intact(source)
    print(f"server alive after overload: {alive}; audit chain intact: {ok} ({entries} entries)")
    if args.store is None:
        shutil.rmtree(workdir / "unused", ignore_errors=True)


if __name__ == "__main__":
    main()
