"""Workspace speed: profile and network view of an entity with 500 neighbours, on loopback.

Data: the full OFAC SDN publication of 2024-05-03 (real, ``../shared/data``) plus a
generated dataset giving IEMZ Kupol (OFAC ent_num 46431) 500 neighbours: 200 owners
(Ownership with percentages and dates), 150 directors (Directorship) and 150 payers
(Payment), so the page and the network JSON carry 500 links over a store of ~370k
statements. The server is the real API app (screening, documents, security in local
anonymous mode, workspace) under uvicorn on 127.0.0.1.

Measured: the server's start-up until it listens (it builds the screening index and the
workspace's entity index first, see dualtrace/graph/adjacency.py) and the first profile
request after it; HTTP latency
(p50/p95 of 15 requests after one warm-up) of the profile page, the network page and
the network JSON it loads; and in headless Chromium, median and worst of 5 navigations,
the time from navigation until the canvas has drawn all 505 nodes, until the layout has
settled, until the profile page is loaded, and the frame rate while the layout moves.
The load average is printed at the start and the end (the machine is shared).
Anchor, on the same store in the same run: the API's own plain entity JSON
(``GET /entities/{id}``, the yente-compatible endpoint), i.e. what it costs just to
read the entity; the ratio shows what the full page adds. The settled 505-node picture
is saved as docs/screenshots/network-500.png.

Run: ``.venv/bin/python bench/workspace.py [STORE]`` (about 2-3 minutes, most of it
loading; pass the store path a previous run printed to skip the load).
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo  # noqa: E402
from dualtrace.sources.base import add_value, make_entity  # noqa: E402
from dualtrace.sources.ofac_sdn import read_ofac_sdn  # noqa: E402
from dualtrace.store import Store  # noqa: E402

DATA = REPO.parent / "shared" / "data"
KUPOL = "ofac-46431"
NEIGHBOURS = {"Ownership": 200, "Directorship": 150, "Payment": 150}
REQUESTS = 15
BROWSER_RUNS = 5
# frames drawn in one second (the layout animates for longer than that)
FPS_JS = """() => new Promise(done => { let n = 0; const t0 = performance.now();
  function f() { n++; if (performance.now() - t0 < 1000) requestAnimationFrame(f);
                 else done(n * 1000 / (performance.now() - t0)); }
  requestAnimationFrame(f); })"""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def synthetic_neighbours(dataset: str) -> list:  # type: ignore[type-arg]
    """500 generated parties linked to Kupol (a generated dataset, named as such)."""
    entities = []
    at = SourcePointer(file="bench-synthetic")
    n = 0
    for schema, count in NEIGHBOURS.items():
        for i in range(count):
            n += 1
            party = make_entity(
                dataset, "Person" if schema == "Directorship" else "Company", f"bench-party-{n}"
            )
            add_value(party, "name", f"Bench {schema} party {i} LLC", at)
            add_value(party, "country", ["ru", "cn", "ae", "tr", "kz"][i % 5], at)
            link = make_entity(dataset, schema, f"bench-{schema.lower()}-{i}")
            if schema == "Ownership":
                add_value(link, "owner", party.id, at)
                add_value(link, "asset", KUPOL, at)
                add_value(link, "percentage", str(1 + i % 40), at)
            elif schema == "Directorship":
                add_value(link, "director", party.id, at)
                add_value(link, "organization", KUPOL, at)
            else:
                add_value(link, "payer", party.id, at)
                add_value(link, "beneficiary", KUPOL, at)
                add_value(link, "amount", str(1000 * (i + 1)), at)
                add_value(link, "currency", "CNY", at)
            add_value(link, "startDate", f"20{15 + i % 10}-0{1 + i % 9}-01", at)
            entities.extend([party, link])
    return entities


def build_store(path: Path) -> None:
    with Store.open(path) as st:
        for rr in read_ofac_sdn(DATA / "lists" / "ofac-sdn" / "sdn_2024-05-03.csv"):
            st.load(rr.dataset, rr.version, rr.statements(), rr.report)
        info = DatasetInfo(
            "bench_neighbours",
            "Generated neighbours for the workspace bench",
            kind="ftm",
            reliability="F",
        )
        stmts = [s for e in synthetic_neighbours(info.name) for s in e.statements]
        st.load(
            info,
            VersionInfo("2026-01-01", "given"),
            iter(stmts),
            LoadReport(info.name, "2026-01-01"),
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(client: httpx.Client, url: str) -> list[float]:
    client.get(url).raise_for_status()  # warm-up (imports, caches, graph tables)
    out = []
    for _ in range(REQUESTS):
        t = time.perf_counter()
        client.get(url).raise_for_status()
        out.append(time.perf_counter() - t)
    return out


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def wait_attr(page: object, attr: str, ok: object, timeout: float = 120.0) -> None:
    """Poll the canvas attribute from Python (the CSP forbids the eval behind
    ``page.wait_for_function``); 10 ms resolution."""
    deadline = time.perf_counter() + timeout
    while not ok(page.locator("#network").get_attribute(attr) or ""):  # type: ignore[attr-defined,operator]
        if time.perf_counter() > deadline:
            raise TimeoutError(f"#network[{attr}] not reached in {timeout} s")
        time.sleep(0.01)


def browser_figures(base: str) -> dict[str, list[float]]:
    """Median-worthy samples: BROWSER_RUNS navigations to each page after one warm-up."""
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {"drawn": [], "settled": [], "fps": [], "profile": []}
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = b.new_page(viewport={"width": 1280, "height": 900})
        many = lambda v: bool(v) and int(v) > 500  # noqa: E731
        page.goto(f"{base}/web/entities/{KUPOL}/network")  # warm the static files
        wait_attr(page, "data-nodes", many)
        page.goto(f"{base}/web/entities/{KUPOL}")
        page.wait_for_selector("#memberships")
        for _ in range(BROWSER_RUNS):
            t0 = time.perf_counter()
            page.goto(f"{base}/web/entities/{KUPOL}/network")
            wait_attr(page, "data-nodes", many)
            out["drawn"].append(time.perf_counter() - t0)
            fps = page.evaluate(FPS_JS)
            out["fps"].append(float(fps))
            wait_attr(page, "data-settled", lambda v: v == "1")
            out["settled"].append(time.perf_counter() - t0)
            t1 = time.perf_counter()
            page.goto(f"{base}/web/entities/{KUPOL}")
            page.wait_for_selector("#memberships")
            out["profile"].append(time.perf_counter() - t1)
        # the picture the figures are about, for docs/web.md
        page.goto(f"{base}/web/entities/{KUPOL}/network")
        wait_attr(page, "data-settled", lambda v: v == "1")
        page.screenshot(path=str(REPO / "docs" / "screenshots" / "network-500.png"))
        b.close()
    return out


def server_rss_mb(pid: int) -> float:
    """Resident memory of the server process (store, screening index, entity index)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f} (1/5/15 min)"


def main() -> None:
    if len(sys.argv) > 1 and Path(sys.argv[1]).exists():
        store = Path(sys.argv[1])  # reuse a store an earlier run built
    else:
        store = Path(tempfile.mkdtemp(prefix="bench-workspace-")) / "bench.duckdb"
        t = time.perf_counter()
        build_store(store)
        print(f"store built in {time.perf_counter() - t:.1f} s ({store})", file=sys.stderr)
    port = free_port()
    env = {**os.environ, "DUALTRACE_STORE": str(store), "DUALTRACE_ANONYMOUS_LOCAL": "1"}
    started = time.perf_counter()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bench.workspace_app:make_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(900):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        startup = time.perf_counter() - started  # screening index + entity index, then listen
        print(f"load average at start: {load_average()}", file=sys.stderr)
        with httpx.Client(timeout=60) as client:
            t = time.perf_counter()
            client.get(f"{base}/web/entities/{KUPOL}").raise_for_status()
            cold = time.perf_counter() - t  # first page: imports, index built at start-up
            net = client.get(f"{base}/web/api/network", params={"id": KUPOL}).json()
            rows = {
                "profile page (HTML)": timed(client, f"{base}/web/entities/{KUPOL}"),
                "network page (HTML shell)": timed(client, f"{base}/web/entities/{KUPOL}/network"),
                "network JSON (501 nodes)": timed(client, f"{base}/web/api/network?id={KUPOL}"),
                "anchor: API /entities/{id} JSON": timed(client, f"{base}/entities/{KUPOL}"),
            }
        browser = browser_figures(base)
        rss_mb = server_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    anchor = statistics.median(rows["anchor: API /entities/{id} JSON"])
    print(
        f"\nworkspace bench: IEMZ Kupol with {len(net['nodes']) - 1} neighbours, "
        f"{len(net['edges'])} links; full OFAC SDN 2024-05-03 loaded; loopback; "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'request':34} {'p50 ms':>8} {'p95 ms':>8} {'x anchor':>9}")
    for name, values in rows.items():
        mid = statistics.median(values)
        print(f"{name:34} {mid * 1000:8.1f} {p(values, 95) * 1000:8.1f} {mid / anchor:9.1f}")
    print(f"{'first profile after start-up':34} {cold * 1000:8.1f}  (once)")
    print(f"{'server start-up until listening':34} {startup * 1000:8.0f}  (indexes built first)")
    med = statistics.median
    print(f"\nin Chromium (headless, 1280x900), median and worst of {BROWSER_RUNS} navigations")
    n = len(net["nodes"])
    for label, key in (
        (f"network view: {n} nodes drawn", "drawn"),
        ("network view: layout settled", "settled"),
        ("profile page loaded", "profile"),
    ):
        values = browser[key]
        aim = "  (aim < 1000)" if key != "settled" else ""
        print(f"{label:34} {med(values) * 1000:8.0f} {max(values) * 1000:8.0f} ms{aim}")
    print(f"{'frames per second while moving':34} {med(browser['fps']):8.0f}")
    print(f"{'server resident memory':34} {rss_mb:8.0f} MB")
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
