"""What every request passes before the page sees it: the promises of `smtpdoctor serve` kept in one place.

- Only the host names it was started for (a page bound to 127.0.0.1 answers `localhost`, `127.0.0.1` and
  `[::1]`): another name is DNS rebinding, a web site of the attacker's that resolves to this computer.
- A POST comes from the page itself: a browser sends `Origin` (or `Sec-Fetch-Site`) with every POST, and
  one from another site is refused (CSRF: a site that makes a visitor's browser post to this page).
- The body is read whole, in memory, up to MAX_BODY; a larger one is refused (413) before the page runs.
- Every request ends within the time limit (the body's arrival included): past it the visitor gets a
  page that says so, and a running explain is told to stop (web/explain.py).
- Every response forbids caching and framing, and carries a Content-Security-Policy without
  'unsafe-inline': the page's only script and style sheet are files of its own (/static/).
- An error never shows, and never logs, more than its class name: a traceback may quote the input.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import anyio

MAX_BODY = 20 << 20  # bytes: a request larger than 20 MiB is refused (stated on the page and in the README)
TIME_LIMIT = 90.0  # seconds for one request, the body's arrival included
DRAIN = 4  # a body up to this many times MAX_BODY is read to its end (and dropped) so that the browser shows the refusal

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode("ascii")),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),  # no-referrer would make a form's Origin "null"
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


class Refused(Exception):
    """A request refused before the page runs: its HTTP status and the message id that says why."""

    def __init__(self, status: int, message_id: str, **params) -> None:
        super().__init__(message_id)
        self.status, self.message_id, self.params = status, message_id, params


def host_allowed(host_header: str, allowed: frozenset[str] | None) -> bool:
    """`allowed`: the host names this page answers to (None: any, when it listens on every address)."""
    if allowed is None:
        return True
    name = host_header.strip().lower()
    if name.startswith("["):
        name = name[: name.find("]") + 1]
    else:
        name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    return name in allowed


def same_origin(headers: dict[bytes, bytes], scheme: str) -> bool:
    """Does this POST come from a page of this server? `Origin` when the browser sends it, else
    `Sec-Fetch-Site`; a client that sends neither (curl, a script) is no browser a site could drive."""
    origin = headers.get(b"origin")
    host = headers.get(b"host", b"").decode("latin-1")
    site = headers.get(b"sec-fetch-site")
    if origin is not None and origin != b"null":
        return origin.decode("latin-1") == f"{scheme}://{host}"
    if origin == b"null":  # a sandboxed frame, a file, or a policy that hides the origin: the browser's word decides
        return site == b"same-origin"
    return site is None or site in (b"same-origin", b"none")


class Guard:
    """The ASGI app around the page. `error_page(scope, status, message_id, **params) -> bytes` words a refusal."""

    def __init__(self, app, error_page: Callable[..., bytes], allowed_hosts: frozenset[str] | None,
                 max_body: int = MAX_BODY, time_limit: float = TIME_LIMIT) -> None:
        self.app, self.error_page, self.allowed_hosts = app, error_page, allowed_hosts
        self.max_body, self.time_limit = max_body, time_limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets here
        started = False

        async def guarded_send(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dict(HEADERS)]
                message = {**message, "headers": kept + HEADERS}
            await send(message)

        try:
            with anyio.fail_after(self.time_limit):
                replay = await self._admit(scope, receive)
                await self.app(scope, replay, guarded_send)
        except Refused as refusal:
            if not started:
                await self._page(scope, guarded_send, refusal.status, refusal.message_id, **refusal.params)
        except TimeoutError:
            if not started:
                await self._page(scope, guarded_send, 503, "web.error.too_slow", seconds=int(self.time_limit))
        except Exception as exc:  # noqa: BLE001 - the last line: a class name, never a message or a traceback
            print(f"smtpdoctor serve: internal error ({exc.__class__.__name__}) on {scope.get('method')} "
                  f"{scope.get('path')}", file=sys.stderr)
            if not started:
                await self._page(scope, guarded_send, 500, "web.error.internal", kind=exc.__class__.__name__)

    async def _admit(self, scope, receive):
        """Check the request's host, method and origin, read its body; a receive that replays the body."""
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if not host_allowed(headers.get(b"host", b"").decode("latin-1"), self.allowed_hosts):
            raise Refused(421, "web.error.bad_host")
        method = scope.get("method", "GET")
        if method not in ("GET", "HEAD", "POST"):
            raise Refused(405, "web.error.not_found")
        if method == "POST" and not same_origin(headers, scope.get("scheme", "http")):
            raise Refused(403, "web.error.cross_site")
        declared = headers.get(b"content-length")
        mb = self.max_body >> 20
        if declared is not None and (not declared.isdigit() or int(declared) > DRAIN * self.max_body):
            raise Refused(413, "web.error.too_large", mb=mb)  # far too large: said at once, the upload cut off
        body = bytearray()
        received = 0
        more = method == "POST"
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            received += len(chunk)
            if received <= self.max_body:
                body += chunk
            elif received > DRAIN * self.max_body:
                raise Refused(413, "web.error.too_large", mb=mb)
            more = message.get("more_body", False)
        if received > self.max_body:
            # Read to its end (up to DRAIN times the limit) before saying no: a browser still sending shows a
            # reset connection, not the page, when the server answers in the middle of an upload.
            raise Refused(413, "web.error.too_large", mb=mb)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()  # after the body: the client's disconnect, when it comes

        return replay

    async def _page(self, scope, send, status: int, message_id: str, **params) -> None:
        body = self.error_page(scope, status, message_id, **params)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(body)).encode("ascii"))]})
        await send({"type": "http.response.body", "body": body if scope.get("method") != "HEAD" else b""})
