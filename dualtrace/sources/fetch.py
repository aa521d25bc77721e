"""``dualtrace fetch LIST``: download a list from its official URL and load it safely.

A list update must never leave the analyst with less than before. The download goes
to a temporary file and is checked before anything is written: HTTP status, the
``Content-Type`` (an HTML error page served with status 200 is the classic failure),
the size against ``Content-Length`` and the list's plausible minimum, and finally a
complete parse by the list's own reader. Only then are the new version's statements
loaded, each dataset in its own transaction; on any failure the versions already in
the store stay as they were, and the attempt is logged in ``list_fetches``.

Conditional requests (``If-None-Match`` / ``If-Modified-Since`` from the last
successful fetch) make an unchanged list cost one small request. URLs come from
:mod:`dualtrace.sources.list_catalog` and can be overridden in a TOML file::

    [lists.us-csl]
    url = "https://mirror.example.org/consolidated.csv"
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from followthemoney.statement import Statement

from dualtrace.errors import DualtraceError, InputError
from dualtrace.sources.base import ReadResult
from dualtrace.sources.list_catalog import ListSource, list_source
from dualtrace.store.duckdb_store import Store
from dualtrace.store.lists_schema import ensure_lists_tables

ENV_CONFIG = "DUALTRACE_LISTS_CONFIG"
MAX_BYTES = 512 * 1024 * 1024
USER_AGENT = "dualtrace-fetch/0.1 (+https://github.com/dualtrace)"


class FetchError(DualtraceError):
    """A download that cannot be used; the store is unchanged."""


@dataclass(slots=True)
class FetchResult:
    """What one fetch did: ``loaded``, ``not-modified`` or ``failed`` (with why)."""

    name: str
    url: str
    status: str
    http_status: int | None = None
    content_type: str | None = None
    bytes: int = 0
    sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    versions: list[str] = field(default_factory=list)
    statements: int = 0
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "list": self.name,
            "url": self.url,
            "status": self.status,
            "http_status": self.http_status,
            "content_type": self.content_type,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "versions": self.versions,
            "statements": self.statements,
            "message": self.message,
        }


def configured_url(name: str, config: Path | None = None) -> str:
    """The list's URL: TOML config (argument, else $DUALTRACE_LISTS_CONFIG), else catalogue."""
    source = list_source(name)
    path = config or (Path(os.environ[ENV_CONFIG]) if os.environ.get(ENV_CONFIG) else None)
    if path is None:
        return source.url
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read lists config: {exc.strerror}", file=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"invalid TOML: {exc}", file=str(path)) from exc
    entry = data.get("lists", {}).get(name, {})
    url = entry.get("url") if isinstance(entry, dict) else None
    if url is not None and not isinstance(url, str):
        raise InputError(f"lists.{name}.url must be a string", file=str(path), field="url")
    return url or source.url


def last_success(store: Store, name: str, url: str) -> tuple[str | None, str | None]:
    """(ETag, Last-Modified) of the last fetch of ``url`` that loaded or was unchanged."""
    row = store.con.execute(
        "SELECT etag, last_modified FROM list_fetches WHERE list = ? AND url = ? "
        "AND status IN ('loaded', 'not-modified') ORDER BY fetched_at DESC LIMIT 1",
        [name, url],
    ).fetchone()
    if row is None:
        return None, None
    return row[0], row[1]


def _log(store: Store, result: FetchResult) -> None:
    store.con.execute(
        "INSERT INTO list_fetches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.name,
            result.url,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
            result.status,
            result.http_status,
            result.etag,
            result.last_modified,
            result.content_type,
            result.bytes,
            result.sha256,
            result.versions,
            result.message,
        ],
    )


def _download(
    source: ListSource,
    url: str,
    target: Path,
    result: FetchResult,
    headers: dict[str, str],
    timeout: float,
    max_bytes: int,
) -> bool:
    """Stream ``url`` to ``target``; False when the server says "not modified"."""
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=True) as client,
            client.stream("GET", url, headers=headers) as resp,
        ):
            result.http_status = resp.status_code
            if resp.status_code == 304:
                return False
            if resp.status_code != 200:
                raise FetchError(f"{url}: HTTP {resp.status_code}")
            ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
            result.content_type = ctype or None
            if ctype and ctype not in source.content_types:
                raise FetchError(
                    f"{url}: content type {ctype!r} is not a {source.name} file "
                    f"(expected {', '.join(source.content_types)}); an error page?"
                )
            expected = resp.headers.get("content-length")
            digest = hashlib.sha256()
            size = 0
            with target.open("wb") as out:
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError(f"{url}: larger than {max_bytes:,} bytes; refused")
                    digest.update(chunk)
                    out.write(chunk)
            raw_size = resp.num_bytes_downloaded  # before decompression, as Content-Length
            result.etag = resp.headers.get("etag")
            result.last_modified = resp.headers.get("last-modified")
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: download failed: {exc}") from exc
    result.bytes = size
    result.sha256 = digest.hexdigest()
    if expected is not None and expected.isdigit() and int(expected) != raw_size:
        raise FetchError(f"{url}: truncated download: {raw_size:,} of {int(expected):,} bytes")
    if size < source.min_bytes:
        raise FetchError(
            f"{url}: only {size:,} bytes; a {source.name} file is at least "
            f"{source.min_bytes:,} (truncated or not the list)"
        )
    return True


def fetch_list(
    store: Store,
    name: str,
    url: str | None = None,
    config: Path | None = None,
    force: bool = False,
    timeout: float = 120.0,
    max_bytes: int = MAX_BYTES,
    keep_dir: Path | None = None,
    on_load: Callable[[ReadResult], None] | None = None,
) -> FetchResult:
    """Download, check, parse and load list ``name``; see the module docstring.

    Raises :class:`FetchError` / :class:`InputError` after logging the failure; the
    store keeps its previous versions. ``keep_dir`` keeps the downloaded file.
    """
    source = list_source(name)
    target_url = url or configured_url(name, config)
    ensure_lists_tables(store.con)
    result = FetchResult(name, target_url, "failed")
    headers = {"User-Agent": USER_AGENT}
    if not force:
        etag, modified = last_success(store, name, target_url)
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
    with tempfile.TemporaryDirectory(prefix="dualtrace-fetch-") as tmp:
        path = Path(tmp) / source.filename
        try:
            changed = _download(source, target_url, path, result, headers, timeout, max_bytes)
            if not changed:
                result.status = "not-modified"
                result.etag, result.last_modified = last_success(store, name, target_url)
                result.message = "unchanged since the last fetch"
                _log(store, result)
                return result
            # Parse everything before writing anything: a bad record aborts the fetch.
            loaded = _parse(source, path)
            for read, statements in loaded:
                store.load(read.dataset, read.version, statements, read.report)
                result.versions.append(f"{read.dataset.name}@{read.version.version}")
                result.statements += read.report.statements
                if on_load is not None:
                    on_load(read)
            if keep_dir is not None:
                keep_dir.mkdir(parents=True, exist_ok=True)
                (keep_dir / source.filename).write_bytes(path.read_bytes())
        except DualtraceError as exc:
            result.message = str(exc)
            _log(store, result)
            raise
        result.status = "loaded"
        _log(store, result)
    return result


def _parse(source: ListSource, path: Path) -> list[tuple[ReadResult, list[Statement]]]:
    try:
        reads = source.read(path, None)
        return [(r, list(r.statements())) for r in reads]
    except InputError as exc:
        raise FetchError(f"downloaded {source.name} file does not parse: {exc}") from exc


def fetch_history(store: Store, name: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Recent fetch attempts (newest first), for ``dualtrace fetch --history``."""
    sql = (
        "SELECT list, url, fetched_at, status, http_status, etag, last_modified, content_type, "
        "bytes, sha256, versions, message FROM list_fetches"
    )
    params: list[Any] = []
    if name is not None:
        sql += " WHERE list = ?"
        params.append(name)
    sql += " ORDER BY fetched_at DESC LIMIT ?"
    params.append(limit)
    cols = [
        "list",
        "url",
        "fetched_at",
        "status",
        "http_status",
        "etag",
        "last_modified",
        "content_type",
        "bytes",
        "sha256",
        "versions",
        "message",
    ]
    return [dict(zip(cols, row, strict=True)) for row in store.con.execute(sql, params).fetchall()]
