"""``dualtrace serve``'s HTTP protocol (head and body of a response in one write): on a
real uvicorn server over loopback, responses arrive whole and in order on a keep-alive
connection, a HEAD answer (a head with no body write after it) is not held back, and a
closing connection still gets its answer."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from dualtrace.show.api.http_protocol import HeadHeldTransport, HeadWithBodyProtocol


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = f"{scope['method']} {scope['path']}".encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if scope["path"] == "/slow":  # the body a turn of the loop or more after the head
        await asyncio.sleep(0.05)
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = int(probe.getsockname()[1])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=free, http=HeadWithBodyProtocol, loop="uvloop",
        log_level="warning", access_log=False,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield free
    server.should_exit = True
    thread.join(10)


def read_response(sock: socket.socket, buffered: bytearray, head_only: bool = False) -> bytes:
    """One whole response off the connection (its Content-Length), within 5 s."""
    sock.settimeout(5)
    while b"\r\n\r\n" not in buffered:
        buffered += sock.recv(65536)
    head, _, _ = bytes(buffered).partition(b"\r\n\r\n")
    length = 0 if head_only else int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    end = len(head) + 4 + length
    while len(buffered) < end:
        buffered += sock.recv(65536)
    response = bytes(buffered[:end])
    del buffered[:end]
    return response


def test_keep_alive_responses_arrive_whole_and_in_order(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        buffered = bytearray()
        for path in ("/a", "/slow", "/b"):
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            response = read_response(sock, buffered)
            assert response.startswith(b"HTTP/1.1 200 OK\r\n")
            assert response.endswith(f"\r\n\r\nGET {path}".encode())
        # pipelined requests: answered in order
        sock.sendall(b"GET /c HTTP/1.1\r\nHost: x\r\n\r\nGET /d HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock, buffered).endswith(b"GET /c")
        assert read_response(sock, buffered).endswith(b"GET /d")


def test_a_head_with_no_body_after_it_is_sent(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n")
        response = read_response(sock, bytearray(), head_only=True)
        assert response.startswith(b"HTTP/1.1 200 OK\r\n") and b"content-length: 7" in response


def test_a_closing_connection_gets_its_answer(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        sock.settimeout(5)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        assert data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b"GET /bye")


class _Recorder:
    """A transport that records writes."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


def test_head_and_body_go_out_in_one_write_and_a_lone_head_at_the_turns_end() -> None:
    async def scenario() -> list[list[bytes]]:
        recorder = _Recorder()
        held = HeadHeldTransport(recorder, asyncio.get_running_loop())  # type: ignore[arg-type]
        head = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n"
        held.write(head)
        held.write(b"body")
        first = list(recorder.writes)
        held.write(head)  # no body in this turn: flushed when the loop next runs
        before = list(recorder.writes)
        await asyncio.sleep(0)
        after = list(recorder.writes)
        held.write(b"plain")  # not a head: written at once
        held.write(head)
        held.close()  # closing sends what is held first
        assert held.get_extra_info("peername") == ("127.0.0.1", 1)
        return [first, before, after, list(recorder.writes)]

    first, before, after, final = asyncio.run(scenario())
    head = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n"
    assert first == [head + b"body"]
    assert before == first and after == [head + b"body", head]
    assert final == [head + b"body", head, b"plain", head]
