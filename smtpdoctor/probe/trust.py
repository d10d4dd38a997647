"""Which certificates a probe trusts: the system's CA store plus an optional `--ca-file`, built once per
process and shared by every connection that needs the same trust (a batch reuses it for every row).

Loading the system store is the costliest single step of a healthy check when it means parsing the whole
bundle file (SSL_CERT_FILE, ~140 certificates, 20–40 ms). OpenSSL releases the GIL while it parses, so
`warm()` — called by the console entry point when the command line says a probe will run — starts that
work in a thread while the main thread is still importing the program. The thread is not a daemon: the
interpreter waits for it at exit (a daemon thread still inside OpenSSL when Python shuts down crashes the
process). Without `warm()` (tests, library use) the store is loaded on first use; either way the result is
the same context. The cache key includes SSL_CERT_FILE and SSL_CERT_DIR, so a changed environment is
honoured."""

from __future__ import annotations

import os
import ssl
import threading
from pathlib import Path

_lock = threading.Lock()
_warming: threading.Thread | None = None
_prefetched: ssl.SSLContext | None = None  # the system store, loaded ahead, not yet handed to anyone
_contexts: dict[tuple, ssl.SSLContext] = {}
_building: dict[tuple, threading.Lock] = {}  # one builder per key: concurrent batch rows wait for it
_warmed_for: tuple | None = None  # (SSL_CERT_FILE, SSL_CERT_DIR) when warm() started


def warm() -> None:
    """Start loading the system store in the background (idempotent; a no-op once a context exists)."""
    global _warming, _warmed_for
    with _lock:
        if _warming is None and not _contexts:
            _warmed_for = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
            _warming = threading.Thread(target=_prefetch, name="smtpdoctor-trust-store", daemon=False)
            _warming.start()


def _prefetch() -> None:
    global _prefetched
    try:
        context = _system_context()
    except (OSError, ssl.SSLError):  # not expected (OpenSSL's default loader skips what it cannot read)
        return
    with _lock:
        _prefetched = context


def client_context(ca_file: Path | None, insecure: bool) -> ssl.SSLContext:
    """A context that verifies the chain and the host name against the system store plus `ca_file`;
    with `insecure`, one that verifies nothing (so no store is loaded for it)."""
    key = (str(ca_file) if ca_file is not None else None, insecure,
           os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    with _lock:
        cached = _contexts.get(key)
        building = _building.setdefault(key, threading.Lock())
    if cached is not None:
        return cached
    with building:
        with _lock:
            cached = _contexts.get(key)
        if cached is not None:  # another thread built it while this one waited
            return cached
        if insecure:
            context = unverified_context()
        else:
            context = _claim_prefetched(key) or _system_context()
            if ca_file is not None:
                context.load_verify_locations(cafile=str(ca_file))
        with _lock:
            _contexts[key] = context
        return context


def unverified_context() -> ssl.SSLContext:
    """For reading what a server presents (the certificate of a failed handshake) and for --insecure."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _claim_prefetched(key: tuple) -> ssl.SSLContext | None:
    """The store loaded ahead, if it was loaded for the environment of `key` (warm() reads it at start)."""
    global _prefetched
    if _warming is not None:
        _warming.join()
    with _lock:
        context, _prefetched = _prefetched, None
    return context if key[2:] == _warmed_for else None


def _system_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the chain and the host name
    _load_system_store(context)
    return context


def _load_system_store(context: ssl.SSLContext) -> None:
    """The same trust as OpenSSL's defaults, loaded lazily when the system has a hashed CA directory.

    Parsing the whole bundle file (`ca-certificates.crt`) costs 20–40 ms at every run; a hashed directory
    (`/etc/ssl/certs/<hash>.0`, what `update-ca-certificates` maintains from the same list) is read only
    for the issuer actually needed. An explicit SSL_CERT_FILE keeps OpenSSL's way, and so do Windows and
    macOS (Python's `load_default_certs` also reads the Windows certificate stores); OpenSSL's default
    loader skips a file it cannot read, as any OpenSSL client would."""
    paths = ssl.get_default_verify_paths()
    if "SSL_CERT_FILE" not in os.environ and paths.capath and _has_hashed_certs(paths.capath):
        context.load_verify_locations(capath=paths.capath)
    else:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)


def _has_hashed_certs(directory: str) -> bool:
    try:
        with os.scandir(directory) as entries:
            return any(len(e.name) == 10 and e.name[8:] == ".0" for e in entries)
    except OSError:
        return False
