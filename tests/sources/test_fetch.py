"""``dualtrace fetch``: real list files served from a local HTTP server on 127.0.0.1.

The server can answer with the real file, a truncated body, a different file, an HTML
error page or "not modified", and records the conditional headers it received.
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dualtrace.errors import DualtraceError
from dualtrace.sources.fetch import FetchError, configured_url, fetch_history, fetch_list
from dualtrace.store import Store

DPL = "lists/us-csl/dpl_bis_denied_persons.txt"


@dataclass
class Route:
    """What the server answers on one path."""

    body: bytes
    content_type: str = "text/plain"
    etag: bool = True
    last_modified: str | None = None
    truncate_to: int | None = None  # send fewer bytes than Content-Length says
    status: int = 200


@dataclass
class Site:
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[dict[str, str]] = field(default_factory=list)
    base: str = ""


@pytest.fixture()
def site() -> Iterator[Site]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append({k.lower(): v for k, v in self.headers.items()})
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            tag = '"' + hashlib.sha1(route.body).hexdigest() + '"'
            if route.etag and self.headers.get("If-None-Match") == tag:
                self.send_response(304)
                self.end_headers()
                return
            if route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            if route.etag:
                self.send_header("ETag", tag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            self.end_headers()
            body = route.body if route.truncate_to is None else route.body[: route.truncate_to]
            self.wfile.write(body)
            if route.truncate_to is not None:
                self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _versions(store: Store, dataset: str) -> list[str]:
    return [v.version for v in store.versions(dataset)]


def _dpl_bytes(shared_data: Path) -> bytes:
    return (shared_data / DPL).read_bytes()


def test_fetch_loads_then_etag_makes_it_a_no_op(
    site: Site, shared_data: Path, store: Store
) -> None:
    site.routes["/dpl.txt"] = Route(_dpl_bytes(shared_data))
    url = site.base + "/dpl.txt"
    first = fetch_list(store, "us-bis-dpl", url=url)
    assert first.status == "loaded" and first.versions == ["us_bis_dpl@2023-11-28"]
    assert first.etag and first.bytes == len(_dpl_bytes(shared_data))
    assert _versions(store, "us_bis_dpl") == ["2023-11-28"]
    second = fetch_list(store, "us-bis-dpl", url=url)
    assert second.status == "not-modified"
    assert site.seen[-1]["if-none-match"] == first.etag
    assert [h["status"] for h in fetch_history(store, "us-bis-dpl")] == ["not-modified", "loaded"]
    # --force downloads again even though nothing changed.
    assert fetch_list(store, "us-bis-dpl", url=url, force=True).status == "loaded"
    assert "if-none-match" not in site.seen[-1]


def test_last_modified_conditional_request(site: Site, shared_data: Path, store: Store) -> None:
    stamp = email.utils.formatdate(1_700_000_000, usegmt=True)
    site.routes["/dpl.txt"] = Route(_dpl_bytes(shared_data), etag=False, last_modified=stamp)
    fetch_list(store, "us-bis-dpl", url=site.base + "/dpl.txt")
    again = fetch_list(store, "us-bis-dpl", url=site.base + "/dpl.txt")
    assert again.status == "not-modified"
    assert site.seen[-1]["if-modified-since"] == stamp


def test_new_version_is_added_beside_the_old(site: Site, shared_data: Path, store: Store) -> None:
    raw = _dpl_bytes(shared_data)
    site.routes["/dpl.txt"] = Route(raw)
    fetch_list(store, "us-bis-dpl", url=site.base + "/dpl.txt")
    # The next publication: one more update, dated later.
    newer = raw.replace(b'"2023-11-28"', b'"2023-12-05"', 1)
    site.routes["/dpl.txt"] = Route(newer)
    result = fetch_list(store, "us-bis-dpl", url=site.base + "/dpl.txt")
    assert result.versions == ["us_bis_dpl@2023-12-05"]
    assert _versions(store, "us_bis_dpl") == ["2023-11-28", "2023-12-05"]


@pytest.mark.parametrize(
    ("route", "message"),
    [
        # the connection drops before Content-Length bytes arrived
        (lambda raw: Route(raw, truncate_to=len(raw) // 2), "download failed|truncated"),
        # a complete response whose file is cut mid-record
        (lambda raw: Route(raw[: len(raw) // 2]), "does not parse"),
        # another list's file at the URL
        (lambda raw: Route(b"Type,Name\nOrganization,ACME\n" * 1000), "does not parse"),
        # an HTML error page served with status 200
        (
            lambda raw: Route(b"<html>maintenance</html>" * 1000, content_type="text/html"),
            "content type",
        ),
        (lambda raw: Route(raw, status=500), "HTTP 500"),
        (lambda raw: Route(raw[:500]), "only 500 bytes"),
    ],
    ids=["dropped", "truncated-file", "wrong-file", "html", "server-error", "tiny"],
)
def test_bad_download_keeps_the_old_version(
    site: Site, shared_data: Path, store: Store, route: object, message: str
) -> None:
    raw = _dpl_bytes(shared_data)
    site.routes["/dpl.txt"] = Route(raw)
    fetch_list(store, "us-bis-dpl", url=site.base + "/dpl.txt")
    before = store.con.execute("SELECT count(*) FROM statements").fetchone()
    site.routes["/dpl.txt"] = route(raw)  # type: ignore[operator]
    with pytest.raises(DualtraceError, match=message):
        fetch_list(store, "us-bis-dpl", url=site.base + "/dpl.txt", force=True)
    assert _versions(store, "us_bis_dpl") == ["2023-11-28"]
    assert store.con.execute("SELECT count(*) FROM statements").fetchone() == before
    assert fetch_history(store, "us-bis-dpl")[0]["status"] == "failed"


def test_url_comes_from_the_config_file(
    site: Site, shared_data: Path, store: Store, tmp_path: Path
) -> None:
    site.routes["/mirror/mieu.csv"] = Route(
        (shared_data / "lists/opensanctions-static/us_bis_mieu/mieu.csv").read_bytes(),
        content_type="text/csv; charset=utf-8",
    )
    config = tmp_path / "lists.toml"
    config.write_text(f'[lists.us-bis-mieu]\nurl = "{site.base}/mirror/mieu.csv"\n')
    assert configured_url("us-bis-mieu", config) == site.base + "/mirror/mieu.csv"
    assert configured_url("us-csl").startswith("https://data.trade.gov/")
    result = fetch_list(store, "us-bis-mieu", config=config)
    assert result.versions == ["us_bis_mieu@2022-03-02"]


def test_unknown_list_and_bad_config(tmp_path: Path, store: Store) -> None:
    with pytest.raises(DualtraceError, match="unknown list"):
        fetch_list(store, "no-such-list")
    config = tmp_path / "lists.toml"
    config.write_text("[lists.us-csl\nurl=")
    with pytest.raises(DualtraceError, match="invalid TOML"):
        configured_url("us-csl", config)


def test_fetch_error_is_a_dualtrace_error() -> None:
    assert issubclass(FetchError, DualtraceError)


def test_fetch_command_with_resolve_and_history(
    site: Site, shared_data: Path, tmp_path: Path
) -> None:
    import orjson
    from typer.testing import CliRunner

    from dualtrace.show.cli.app import app

    site.routes["/mieu.csv"] = Route(
        (shared_data / "lists/opensanctions-static/us_bis_mieu/mieu.csv").read_bytes(),
        content_type="text/csv",
    )
    store = str(tmp_path / "cli.duckdb")
    runner = CliRunner()
    args = ["fetch", "us-bis-mieu", "--url", site.base + "/mieu.csv", "--store", store]
    first = runner.invoke(app, [*args, "--resolve", "--json"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    data = orjson.loads(first.stdout)
    assert data["status"] == "loaded" and data["resolve"]["groups"] == 0  # one list alone
    again = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert orjson.loads(again.stdout)["status"] == "not-modified"
    history = runner.invoke(app, ["fetch", "--history", "--json", "--store", store])
    assert [h["status"] for h in orjson.loads(history.stdout)] == ["not-modified", "loaded"]
