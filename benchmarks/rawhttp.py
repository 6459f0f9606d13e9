"""A minimal keep-alive HTTP/1.1 client on asyncio streams, for the load benchmark's many clients.

A general client (httpx) spends about 3-6 ms of CPU per request in its connection pool and response
machinery; with 200 clients in one process on a shared 2-core machine that made the load generator, not
the server, the bottleneck (its event loop ran seconds late, and every latency it measured included
that). This client does only what the benchmark needs: one connection per client, ``Content-Length`` or
chunked bodies read whole (gzip bodies are read, not decompressed), one retry on a connection the server
had closed while it was idle.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode


class HTTPStatusError(Exception):
    """The server's answer could not be read as HTTP/1.1."""


class Connection:
    """One keep-alive connection to *host*:*port* (opened on first use, reopened when closed)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        json_body: Any = None,
        timeout_s: float,
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request and read the whole answer: ``(status, headers (lower-case names), body)``.

        Raises
        ------
        TimeoutError
            No complete answer within *timeout_s* (the connection is closed, as a browser would).
        """
        try:
            return await asyncio.wait_for(self._request(method, path, query, json_body), timeout_s)
        except (TimeoutError, asyncio.CancelledError):
            self.close()
            raise

    async def _request(
        self, method: str, path: str, query: dict[str, Any] | None, json_body: Any
    ) -> tuple[int, dict[str, str], bytes]:
        target = path + ("?" + urlencode(query) if query else "")
        body = json.dumps(json_body).encode() if json_body is not None else b""
        head = f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept-Encoding: gzip\r\n"
        if json_body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        message = head.encode() + b"\r\n" + body
        fresh = self._writer is None
        try:
            return await self._exchange(message)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.close()
            if fresh:
                raise
        # a kept-alive connection the server had closed while idle: once more on a new one
        return await self._exchange(message)

    async def _exchange(self, message: bytes) -> tuple[int, dict[str, str], bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(message)
        block = await self._reader.readuntil(b"\r\n\r\n")
        lines = block.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            msg = f"not an HTTP status line: {lines[0]!r}"
            raise HTTPStatusError(msg)
        status = int(parts[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            data = await self._reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self._reader.readexactly(size + 2)
                chunks.append(chunk[:-2])
                if size == 0:
                    break
            data = b"".join(chunks)
        else:
            data = await self._reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, data
