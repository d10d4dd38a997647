"""Run the page: Uvicorn on one address, its URL printed, warnings when it is reachable by others."""

from __future__ import annotations

import ipaddress
import sys

from smtpdoctor.render.i18n import Lang, tr
from smtpdoctor.web.app import ServeConfig, make_app


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_of(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def serve(config: ServeConfig, lang: Lang, ready=None) -> None:
    """Serve until interrupted. `ready(server)`: called once it listens (tests stop it with server.should_exit)."""
    import asyncio
    import socket

    import uvicorn

    from smtpdoctor.errors import UsageError, os_reason

    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as exc:
        sock.close()
        raise UsageError("web.serve.port_busy", host=config.host, port=config.port, reason=os_reason(exc)) from exc
    sock.listen(128)  # from here a browser may connect: it waits in the backlog until Uvicorn accepts
    port = sock.getsockname()[1]
    if not is_loopback(config.host):
        print(tr("web.serve.public", lang, host=config.host), file=sys.stderr)
    if config.allow_check:
        print(tr("web.serve.check_on", lang), file=sys.stderr)
        if config.allow_private:
            print(tr("web.serve.private_on", lang), file=sys.stderr)
    print(tr("web.serve.listening", lang, url=url_of(config.host, port)), flush=True)
    # No access log: a URL says little, and the page promises to keep no record of what people paste.
    server = uvicorn.Server(uvicorn.Config(make_app(config), log_level="warning", access_log=False, lifespan="off",
                                          server_header=False, h11_max_incomplete_event_size=64 << 10))
    if ready is not None:
        ready(server, port)
    try:
        asyncio.run(server.serve(sockets=[sock]))
    finally:
        sock.close()
