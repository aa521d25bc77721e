"""Screening in forked worker processes (``dualtrace serve --scoring-workers``): the
same answers as scoring in the server, still authenticated and audited by the server,
query errors still a 400, and a dead worker falls back to scoring inline."""

from __future__ import annotations

import os
import signal
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dualtrace.show.api import scoring_pool
from dualtrace.show.api.app import create_app
from dualtrace.show.api.models import SearchResponse
from dualtrace.show.api.scoring_pool import ScoringPool
from tests.security.ofac_slice import ofac_store_with_viewer

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")
from starlette.testclient import TestClient  # noqa: E402

NAMES = ("Banco Nacional de Cuba", "BANKO NATSIONAL DE KUBA", "Havana Tours", "nobody at all")


@pytest.fixture(scope="module")
def store_and_key(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    base = tmp_path_factory.mktemp("pool")
    store_path, key = ofac_store_with_viewer(shared_data, base)
    return store_path, key


@pytest.fixture(scope="module")
def clients(store_and_key: tuple[Path, str]) -> Iterator[tuple[TestClient, TestClient, str]]:
    store_path, key = store_and_key
    # each app holds its store for writing, so the inline one gets a fresh copy
    copy = store_path.with_name("copy.duckdb")
    copy.write_bytes(store_path.read_bytes())
    with (
        TestClient(create_app(store_path, scoring_workers=1)) as pooled,
        TestClient(create_app(copy, scoring_workers=0)) as inline,
    ):
        yield pooled, inline, key


def screen(client: TestClient, key: str, body: dict[str, Any]) -> Any:
    return client.post("/match/default", json=body, headers={"Authorization": f"Bearer {key}"})


def body_for(*names: str) -> dict[str, Any]:
    return {
        "queries": {
            f"q{i}": {"schema": "LegalEntity", "properties": {"name": [n]}}
            for i, n in enumerate(names)
        }
    }


def test_workers_answer_as_the_server_does_and_are_audited(
    clients: tuple[TestClient, TestClient, str],
) -> None:
    pooled, inline, key = clients
    pool = pooled.app.state.scoring_pool  # type: ignore[attr-defined]
    assert isinstance(pool, ScoringPool) and pool.pids and os.getpid() not in pool.pids
    assert inline.app.state.scoring_pool is None  # type: ignore[attr-defined]
    for name in NAMES:
        a, b = screen(pooled, key, body_for(name)), screen(inline, key, body_for(name))
        assert a.status_code == b.status_code == 200
        assert a.json() == b.json()
    assert (
        screen(pooled, key, body_for(*NAMES)).json() == screen(inline, key, body_for(*NAMES)).json()
    )
    top = screen(pooled, key, body_for(NAMES[0])).json()["responses"]["q0"]["results"][0]
    assert "BANCO NACIONAL DE CUBA" in top["caption"].upper()
    audit = pooled.app.state.security.audit  # type: ignore[attr-defined]
    entries = audit.entries(action="screen", limit=100)
    assert len(entries) == len(NAMES) + 2 and audit.verify().ok
    bad = {"queries": {"q": {"schema": "NoSuchSchema", "properties": {"name": ["x"]}}}}
    a, b = screen(pooled, key, bad), screen(inline, key, bad)
    assert a.status_code == b.status_code == 400 and a.json() == b.json()


def test_searches_are_scored_in_workers_with_the_documented_shape(
    clients: tuple[TestClient, TestClient, str],
) -> None:
    pooled, inline, key = clients
    auth = {"Authorization": f"Bearer {key}"}
    for params in (
        {"q": NAMES[0]},
        {"q": NAMES[1], "limit": "3", "offset": "1"},
        {"q": "Havana", "schema": "Company"},
        {"q": "  "},
    ):
        a = pooled.get("/search", params=params, headers=auth)
        b = inline.get("/search", params=params, headers=auth)
        assert a.status_code == b.status_code == 200
        assert a.json() == b.json()
        # built directly, but exactly the shape the OpenAPI document promises
        assert SearchResponse.model_validate(a.json()).model_dump(by_alias=True) == a.json()
    top = pooled.get("/search", params={"q": NAMES[0]}, headers=auth).json()["results"][0]
    assert "BANCO NACIONAL DE CUBA" in top["caption"].upper()
    a = pooled.get("/search", params={"q": "x", "schema": "NoSuchSchema"}, headers=auth)
    b = inline.get("/search", params={"q": "x", "schema": "NoSuchSchema"}, headers=auth)
    assert a.status_code == b.status_code == 400 and a.json() == b.json()


def test_a_dead_worker_means_inline_scoring(clients: tuple[TestClient, TestClient, str]) -> None:
    pooled, inline, key = clients
    pool = pooled.app.state.scoring_pool  # type: ignore[attr-defined]
    for pid in pool.pids:
        os.kill(pid, signal.SIGKILL)
    for _ in range(2):  # the first may land in the dying pool; both must succeed
        resp = screen(pooled, key, body_for(NAMES[0]))
        assert resp.status_code == 200
    assert pool.broken
    assert resp.json() == screen(inline, key, body_for(NAMES[0])).json()


def _echo(index: Any, value: bytes, delay: float) -> bytes:
    """Scored in a worker: waits ``delay`` seconds, then answers ``value``."""
    import time

    time.sleep(delay)
    return value + b" from " + str(os.getpid()).encode()


def _refuse(index: Any, text: str) -> bytes:
    raise ValueError(text)


def test_a_cancelled_request_never_hands_its_answer_to_the_next() -> None:
    """A client that goes away mid-call: its worker's answer is read and dropped, and
    the next request on that worker gets its own answer; errors come back as raised."""
    import asyncio

    pool = ScoringPool(object(), 1)  # type: ignore[arg-type]
    try:

        async def scenario() -> tuple[bytes | None, bytes | None]:
            first = asyncio.ensure_future(pool.run(_echo, b"first", 0.5))
            await asyncio.sleep(0.1)
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first
            second = await pool.run(_echo, b"second", 0.0)
            with pytest.raises(ValueError, match="no such schema"):
                await pool.run(_refuse, "no such schema")
            third = await pool.run(_echo, b"third", 0.0)
            return second, third

        second, third = asyncio.run(scenario())
        assert second is not None and second.startswith(b"second from ")
        assert third is not None and third.startswith(b"third from ")
        assert int(second.rsplit(b" ", 1)[1]) in pool.pids
    finally:
        pool.close()
    assert pool.broken


def test_scoring_workers_default_to_one_per_core_up_to_four(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(scoring_pool.ENV_SCORING_WORKERS, raising=False)
    for cores, expected in ((1, 0), (2, 2), (3, 3), (16, scoring_pool.MAX_DEFAULT_WORKERS)):
        monkeypatch.setattr(scoring_pool, "usable_cpus", lambda n=cores: n)
        assert scoring_pool.default_scoring_workers() == expected, cores
    monkeypatch.setenv(scoring_pool.ENV_SCORING_WORKERS, "0")  # the operator's word wins
    assert scoring_pool.default_scoring_workers() == 0
    monkeypatch.setenv(scoring_pool.ENV_SCORING_WORKERS, "3")
    monkeypatch.setattr(scoring_pool, "usable_cpus", lambda: 1)
    assert scoring_pool.default_scoring_workers() == 3


@pytest.mark.parametrize(
    ("args", "cores", "expected"),
    [
        ([], 2, 2),
        ([], 1, 0),
        (["--no-scoring-workers"], 2, 0),
        (["--scoring-workers", "0"], 2, 0),
        (["--scoring-workers", "3"], 1, 3),
    ],
)
def test_serve_passes_the_scoring_workers_it_was_given_or_the_default(
    args: list[str],
    cores: int,
    expected: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from dualtrace.show.api import app as api_app
    from dualtrace.show.cli.app import app as cli
    from dualtrace.store import Store

    store_path = tmp_path / "s.duckdb"
    Store.open(store_path).close()
    monkeypatch.delenv(scoring_pool.ENV_SCORING_WORKERS, raising=False)
    monkeypatch.setattr(scoring_pool, "usable_cpus", lambda: cores)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(api_app, "create_app", lambda path, **kw: seen.update(kw) or "app")
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: seen.update(served=app))
    switch = sys.getswitchinterval()
    try:
        result = CliRunner().invoke(cli, ["serve", "--store", str(store_path), *args])
    finally:
        sys.setswitchinterval(switch)
    assert result.exit_code == 0, result.output
    assert seen["scoring_workers"] == expected and seen["served"] == "app"


def test_serve_refuses_contradictory_scoring_worker_flags(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dualtrace.show.cli.app import app as cli

    result = CliRunner().invoke(
        cli,
        ["serve", "--store", str(tmp_path / "s.duckdb"), "--no-scoring-workers",
         "--scoring-workers", "2"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "disagree" in result.output


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_calls_queued_at_a_worker_each_get_their_own_answer(loop: str) -> None:
    """Calls pipelined to one worker (one scoring, the next already in its socket):
    every caller gets its own answer, in any order they finish, a cancelled one in
    the middle takes nobody's, and an error reaches only the call that raised it. Also
    on uvloop, the loop ``dualtrace serve`` runs (its transports are not asyncio's)."""
    import asyncio

    import uvloop

    run = uvloop.run if loop == "uvloop" else asyncio.run

    pool = ScoringPool(object(), 1)  # type: ignore[arg-type]
    try:

        async def scenario() -> list[bytes | None]:
            calls = [
                asyncio.ensure_future(pool.run(_echo, f"call {n}".encode(), 0.02)) for n in range(8)
            ]
            refused = asyncio.ensure_future(pool.run(_refuse, "bad query"))
            await asyncio.sleep(0.01)
            calls[3].cancel()
            answers: list[bytes | None] = []
            for n, call in enumerate(calls):
                if n == 3:
                    with pytest.raises(asyncio.CancelledError):
                        await call
                    continue
                answers.append(await call)
            with pytest.raises(ValueError, match="bad query"):
                await refused
            answers.append(await pool.run(_echo, b"last", 0.0))
            return answers

        answers = run(scenario())
        expected = [f"call {n}".encode() for n in range(8) if n != 3] + [b"last"]
        assert [a.rsplit(b" from ", 1)[0] if a else a for a in answers] == expected
    finally:
        pool.close()


def test_calls_queued_at_a_worker_that_dies_are_scored_inline() -> None:
    """A worker killed with calls in hand: each of them gets None (the server then
    scores it inline), none hangs, and with no worker left the pool says so."""
    import asyncio

    pool = ScoringPool(object(), 1)  # type: ignore[arg-type]
    try:

        async def scenario() -> list[bytes | None]:
            calls = [asyncio.ensure_future(pool.run(_echo, b"slow", 5.0)) for _ in range(3)]
            await asyncio.sleep(0.3)
            os.kill(pool.pids[0], signal.SIGKILL)
            return list(await asyncio.wait_for(asyncio.gather(*calls), 10))

        assert asyncio.run(scenario()) == [None, None, None]
        assert pool.broken
    finally:
        pool.close()
