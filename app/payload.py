"""Response bodies computed once per cached document: plain and gzip bytes, ETag, and the page's CSP.

A cached map of 1.5 MB is compressed once, in the worker that rendered it, instead of on the event loop
for every request. Clients that send ``If-None-Match`` with the current ETag get ``304 Not Modified``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

#: Bodies smaller than this are sent uncompressed: compressing them saves less than it costs.
GZIP_MIN_BYTES = 2048
#: Compression level: 6 is zlib's default balance of size and time.
GZIP_LEVEL = 6
#: How long browsers may reuse a document before asking again (they revalidate with the ETag).
MAX_AGE_S = 300

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


@dataclass(frozen=True)
class Payload:
    """One document ready to send.

    Attributes
    ----------
    body
        The uncompressed bytes.
    gzipped
        The gzip-compressed bytes, or None when the body is too small to be worth it.
    media_type
        Content type, e.g. ``application/json``.
    etag
        Strong validator (quoted), from the body's SHA-256.
    script_hashes
        CSP sources (``'sha256-…'``) of the page's inline scripts, so the page runs under a strict policy.
    """

    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str
    script_hashes: tuple[str, ...] = ()

    @property
    def nbytes(self) -> int:
        """Memory held, for the cache budget."""
        return len(self.body) + len(self.gzipped or b"") + 200


def inline_script_hashes(html: bytes) -> tuple[str, ...]:
    """CSP hash sources of every inline ``<script>`` of an HTML page (in page order, no duplicates)."""
    seen: dict[str, None] = {}
    for match in _INLINE_SCRIPT.finditer(html):
        digest = base64.b64encode(hashlib.sha256(match.group(1)).digest()).decode()
        seen[f"'sha256-{digest}'"] = None
    return tuple(seen)


def make_payload(body: bytes | str, media_type: str) -> Payload:
    """Encode, compress (once) and fingerprint a document.

    Parameters
    ----------
    body
        The document; text is encoded as UTF-8.
    media_type
        Its content type (``text/html`` pages also get the hashes of their inline scripts).

    Returns
    -------
    Payload
    """
    raw = body.encode() if isinstance(body, str) else body
    gzipped = gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0) if len(raw) >= GZIP_MIN_BYTES else None
    etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
    hashes = inline_script_hashes(raw) if media_type.startswith("text/html") else ()
    return Payload(body=raw, gzipped=gzipped, media_type=media_type, etag=etag, script_hashes=hashes)


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        token, _, params = part.strip().partition(";")
        if token.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def payload_response(payload: Payload, request: Request) -> Response:
    """The response for *payload*: 304 on a matching ``If-None-Match``, gzip when accepted.

    The page's inline-script hashes travel in ``request.state`` to the security-header middleware.
    """
    headers = {
        "ETag": payload.etag,
        "Cache-Control": f"public, max-age={MAX_AGE_S}",
        "Vary": "Accept-Encoding",
    }
    if payload.script_hashes:
        request.state.script_hashes = payload.script_hashes
    match = request.headers.get("if-none-match", "")
    if payload.etag in {tag.strip() for tag in match.split(",")} or match.strip() == "*":
        return Response(status_code=304, headers=headers)
    if payload.gzipped is not None and _accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        return Response(content=payload.gzipped, media_type=payload.media_type, headers=headers)
    return Response(content=payload.body, media_type=payload.media_type, headers=headers)
