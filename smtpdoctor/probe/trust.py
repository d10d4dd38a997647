"""Which certificates a probe trusts: the system's CA store plus an optional `--ca-file`, built once per
process and shared by every connection that needs the same trust (a batch reuses it for every row).

Loading the system store is the costliest single step of a healthy check when it means parsing the whole
bundle file (SSL_CERT_FILE, ~140 certificates, 20–40 ms). OpenSSL releases the GIL while it parses, so
`warm()` — called by the console entry point when the command line says a probe will run — starts that
work in a thread while the main thread is still importing the program. Without `warm()` (tests, library
use) the store is loaded on first use; either way the result is the same context."""

from __future__ import annotations

import os
import ssl
import threading
from pathlib import Path

_lock = threading.Lock()
_warming: threading.Thread | None = None
_prefetched: ssl.SSLContext | None = None  # the system store, loaded ahead, not yet handed to anyone
_contexts: dict[tuple[str | None, bool], ssl.SSLContext] = {}


def warm() -> None:
    """Start loading the system store in the background (idempotent; a no-op once a context exists)."""
    global _warming
    with _lock:
        if _warming is None and not _contexts:
            _warming = threading.Thread(target=_prefetch, name="smtpdoctor-trust-store", daemon=True)
            _warming.start()


def _prefetch() -> None:
    global _prefetched
    try:
        context = _system_context()
    except (OSError, ssl.SSLError):  # a broken SSL_CERT_FILE: the first real use reports it
        return
    with _lock:
        _prefetched = context


def client_context(ca_file: Path | None, insecure: bool) -> ssl.SSLContext:
    """A context that verifies the chain and the host name against the system store plus `ca_file`;
    with `insecure`, one that verifies nothing (so no store is loaded for it)."""
    key = (str(ca_file) if ca_file is not None else None, insecure)
    with _lock:
        cached = _contexts.get(key)
    if cached is not None:
        return cached
    if insecure:
        context = unverified_context()
    else:
        context = _claim_prefetched() or _system_context()
        if ca_file is not None:
            context.load_verify_locations(cafile=str(ca_file))
    with _lock:
        return _contexts.setdefault(key, context)


def unverified_context() -> ssl.SSLContext:
    """For reading what a server presents (the certificate of a failed handshake) and for --insecure."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _claim_prefetched() -> ssl.SSLContext | None:
    global _prefetched
    if _warming is not None:
        _warming.join()
    with _lock:
        context, _prefetched = _prefetched, None
    return context


def _system_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the chain and the host name
    _load_system_store(context)
    return context


def _load_system_store(context: ssl.SSLContext) -> None:
    """The same trust as OpenSSL's defaults, loaded lazily when the system has a hashed CA directory.

    Parsing the whole bundle file (`ca-certificates.crt`) costs 20–40 ms at every run; a hashed directory
    (`/etc/ssl/certs/<hash>.0`, what `update-ca-certificates` maintains from the same list) is read only
    for the issuer actually needed. An explicit SSL_CERT_FILE keeps OpenSSL's way (parsed in full: it is
    `load_verify_locations`, which releases the GIL, rather than `set_default_verify_paths`, which does not)."""
    paths = ssl.get_default_verify_paths()
    if "SSL_CERT_FILE" not in os.environ and paths.capath and _has_hashed_certs(paths.capath):
        context.load_verify_locations(capath=paths.capath)
        return
    cafile = os.environ.get("SSL_CERT_FILE") or paths.cafile
    capath = os.environ.get("SSL_CERT_DIR") or paths.capath
    cafile = cafile if cafile and os.path.isfile(cafile) else None
    capath = capath if capath and os.path.isdir(capath) else None
    if cafile or capath:
        context.load_verify_locations(cafile=cafile, capath=capath)
    else:  # Windows and macOS keep their stores elsewhere: Python knows where
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)


def _has_hashed_certs(directory: str) -> bool:
    try:
        with os.scandir(directory) as entries:
            return any(len(e.name) == 10 and e.name[8:] == ".0" for e in entries)
    except OSError:
        return False
