"""uvicorn's httptools protocol with each response's head and body sent in one write.

uvicorn writes a response's status line and headers as soon as the app sends
``http.response.start``, and the body as a second write when it sends the body: two
``send`` calls per response, and on loopback two wake-ups of the client (the first to
read a head whose body is not there yet). Every answer here is one body sent right
after its head (the screening short cuts, the routes, the guard's error answers), so
:class:`HeadWithBodyProtocol` holds a head until the next write on the connection and
sends both together. A head that no write follows in the same turn of the event loop
(a ``HEAD`` request, a streamed body whose first chunk is not ready) goes out by itself
at the end of that turn, so nothing waits on the client's side.

On 2 shared cores under the load bench (py-spy, GIL-holding samples of the event-loop
thread), 32% were in uvicorn's ``send`` itself, which is where its two writes run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# How a response head starts (status line); uvicorn writes it whole, ending in a blank line
_HEAD_START = b"HTTP/"
_HEAD_END = b"\r\n\r\n"


class HeadHeldTransport:
    """A transport that holds a response head until the connection's next write (or
    the end of the event loop's turn) and sends them together. Everything else is the
    wrapped transport's own behaviour."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._transport.write(held + bytes(data))
            return
        if (
            isinstance(data, bytes)
            and data.startswith(_HEAD_START)
            and data.endswith(_HEAD_END)
            and not self._transport.is_closing()
        ):
            self._held = data
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        self.write(b"".join(list_of_data))

    def flush(self) -> None:
        """Send a held head now (nothing followed it in the same turn)."""
        if self._held is not None:
            held, self._held = self._held, None
            if not self._transport.is_closing():
                self._transport.write(held)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        # extra info, flow control (pause/resume reading), set_protocol, ...
        return getattr(self._transport, name)


class HeadWithBodyProtocol(HttpToolsProtocol):
    """``dualtrace serve``'s HTTP protocol: uvicorn's httptools one over a
    :class:`HeadHeldTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        held = HeadHeldTransport(transport, self.loop)
        super().connection_made(cast(asyncio.Transport, held))
