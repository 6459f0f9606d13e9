"""ASGI middleware: request-body size limit (413) and security headers on every response.

Both are plain ASGI (no ``BaseHTTPMiddleware``), so they add no task per request and do not hide client
disconnects from the routes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.payload import inline_script_hashes


def tile_origin(tiles_url: str) -> str | None:
    """``scheme://host`` of a tile URL template; a ``{s}`` subdomain becomes a wildcard host."""
    if not tiles_url:
        return None
    parts = urlsplit(tiles_url)
    if not parts.scheme or not parts.netloc:
        return None
    host = parts.netloc
    if "{" in host:  # subdomain templates such as {s}.tile.openstreetmap.org
        host = "*." + host.split(".", 1)[1] if "." in host else host
    return f"{parts.scheme}://{host}"


def content_security_policy(tile_host: str | None, script_hashes: Iterable[str] = ()) -> str:
    """The CSP of our pages: our own scripts (plus the hashes of a page's inline scripts) and tiles.

    Parameters
    ----------
    tile_host
        Origin of the base-map tiles, allowed as an image source; None for no base map.
    script_hashes
        ``'sha256-…'`` sources of the inline scripts of the page being sent.
    """
    img = "'self' data: blob:" + (f" {tile_host}" if tile_host else "")
    scripts = " ".join(["'self'", *script_hashes])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; img-src {img}; "
        "font-src 'self' data:; connect-src 'self' data: blob:; worker-src 'self' blob:; object-src 'none'; "
        "base-uri 'self'; frame-ancestors 'self'; form-action 'self'"
    )


class SecurityHeaders:
    """Add ``X-Content-Type-Options``, ``Referrer-Policy`` and a Content-Security-Policy to every response.

    A route that sends a cached page puts the hashes of its inline scripts in ``request.state.script_hashes``
    (see :func:`app.payload.payload_response`); any other HTML page is read whole and its inline scripts
    hashed here. The hashes are added to that response's ``script-src``.
    """

    def __init__(self, app: ASGIApp, *, tile_host: str | None) -> None:
        self.app = app
        self.tile_host = tile_host
        self._default = content_security_policy(tile_host)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        held: list[Message] = []  # an HTML page whose inline scripts are hashed once its body is complete

        def with_headers(start: Message, hashes: Iterable[str]) -> Message:
            hashes = tuple(hashes)
            csp = content_security_policy(self.tile_host, hashes) if hashes else self._default
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-security-policy"]
            headers += [
                (b"x-content-type-options", b"nosniff"),
                (b"referrer-policy", b"strict-origin-when-cross-origin"),
                (b"content-security-policy", csp.encode()),
                (b"x-frame-options", b"SAMEORIGIN"),
            ]
            return {**start, "headers": headers}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                known = state.get("script_hashes")
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                is_html = headers.get(b"content-type", b"").startswith(b"text/html")
                if known or not is_html or b"content-encoding" in headers:
                    await send(with_headers(message, known or ()))
                else:
                    held.append(message)
                return
            if held and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body", False):
                    return
                body = b"".join(m.get("body", b"") for m in held[1:])
                await send(with_headers(held[0], inline_script_hashes(body)))
                await send({"type": "http.response.body", "body": body})
                held.clear()
                return
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimit:
    """Refuse request bodies above *max_bytes* with 413, by ``Content-Length`` or while reading the stream."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = int(max_bytes)

    def _message(self) -> bytes:
        mb = self.max_bytes / 1_000_000
        detail = (
            f"request body larger than {mb:g} MB (the service's limit, setting HEALTHCIRCLE_MAX_BODY_BYTES); "
            "send fewer candidates or simplify the geometry"
        )
        return json.dumps({"detail": detail, "errors": [{"parameter": "body", "message": detail}]}).encode()

    async def _refuse(self, send: Send) -> None:
        body = self._message()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLargeError:
            if not started:
                await self._refuse(send)


class _BodyTooLargeError(Exception):
    """A chunked body went over the limit while being read."""
