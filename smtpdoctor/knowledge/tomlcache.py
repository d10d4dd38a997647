"""Parse TOML data files once: the parsed form is cached, keyed by the file's content hash.

tomllib is pure Python and the catalog is large; the cache is read back by marshal (C, the format of Python's
own .pyc files: twice as fast as JSON for these tables, and it stores nothing but the data). marshal's format
belongs to one Python version, which is part of the cache file's name. The TOML stays the only source of truth:
any change to it changes the hash, and a cache that cannot be read or written is simply skipped.
"""

from __future__ import annotations

import marshal
import os
import sys
from functools import cache
from importlib.util import source_hash
from pathlib import Path


# The shipped data files sit next to this module, in a checkout and in an installed wheel alike. A plain path
# (not importlib.resources, whose import costs a check several milliseconds) is all a regular install needs.
KNOWLEDGE = Path(__file__).parent


def shipped_text(name: str) -> str:
    """The text of a data file shipped in smtpdoctor/knowledge/ (`phrases/newuser.toml` for a subfolder)."""
    return (KNOWLEDGE / name).read_text(encoding="utf-8")


def shipped_bytes(name: str) -> bytes:
    """The file's bytes, for `loads_cached`: hashed as they are and decoded only when parsed anew (decoding the
    catalog's Cyrillic text costs more than hashing it)."""
    return (KNOWLEDGE / name).read_bytes()


@cache
def load_shipped(name: str, validate=None) -> dict:
    """A shipped data file parsed (through the cache), once per process; callers only read the result."""
    return loads_cached(shipped_bytes(name), name.removesuffix(".toml"), validate=validate)


def _cache_dir() -> Path | None:
    if os.environ.get("SMTPDOCTOR_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    return Path(base) / "smtpdoctor"


# The cache's format: marshal's, of this Python (cpython-311...).
_FORMAT = f"{sys.implementation.cache_tag or 'py%d%d' % sys.version_info[:2]}.marshal"


def loads_cached(source: str | bytes, kind: str, validate=None) -> dict:
    """Parsed TOML, from its text or its bytes (UTF-8, read as a text file would be); `validate(data)` (a schema
    check that raises) runs whenever the file is parsed anew, so a cached file was validated once and the hot path
    need not import the validator."""
    cache = _cache_dir()
    if cache is None:
        return _parse(source, validate)
    raw = source if isinstance(source, bytes) else source.encode("utf-8")
    # Only data that passed `validate` is cached under the "checked" name: a cache written without the
    # check (an older smtpdoctor) is never taken for a validated one.
    kind = f"{kind}-checked" if validate is not None else kind
    path = cache / f"{kind}-{hashed(raw)}.{_FORMAT}"
    data = _read_entry(path)
    if data is not None:
        return data
    data = _prebuilt(f"{kind}-{shipped_hash(raw)}")  # parsed and validated when the wheel was built
    if data is None:
        data = _parse(source, validate)  # errors propagate: a broken file must be reported, not cached
    _write_entry(cache, path, data)
    return data


def built_cached(raw: bytes, kind: str, build) -> dict:
    """`build()`, a table made from data files whose bytes (all of them) are `raw`, cached as a parse is: by
    the hash of those bytes, so a later run with the same files reads the table back instead of building it."""
    cache = _cache_dir()
    if cache is None:
        return build()
    path = cache / f"{kind}-{hashed(raw)}.{_FORMAT}"
    data = _read_entry(path)
    if data is not None:
        return data
    data = build()  # errors propagate: a broken file must be reported, not cached
    _write_entry(cache, path, data)
    return data


def _read_entry(path: Path) -> dict | None:
    try:
        data = marshal.loads(path.read_bytes())
        return data if isinstance(data, dict) else None
    except (OSError, ValueError, EOFError, TypeError):  # none yet, or cut short: made anew by the caller
        return None


def _write_entry(cache: Path, path: Path, data: dict) -> None:
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(data))
        tmp.replace(path)  # atomic: a concurrent run reads the old entry or the new one, never half of one
    except (OSError, ValueError):  # ValueError: a value marshal cannot store (a TOML date): not cached
        pass


def hashed(data: bytes) -> str:
    """What the cache names an entry by: the hash CPython checks a .pyc's source with (SipHash, 64 bits), keyed
    by the Python version as the cache's format is. SHA-256 would import hashlib and set up OpenSSL's digest:
    ~2 ms of a healthy check, for a key."""
    return source_hash(data).hex()


def shipped_hash(data: bytes) -> str:
    """What the data parsed at build time (knowledge/prebuilt.py) is named by: the same for every Python."""
    import hashlib  # only when the cache has no entry yet

    return hashlib.sha256(data).hexdigest()[:24]


def _prebuilt(name: str) -> dict | None:
    try:
        raw = (KNOWLEDGE / "parsed" / f"{name}.json").read_bytes()
    except OSError:  # a source checkout, or a file changed since the build
        return None
    import json

    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _parse(source: str | bytes, validate) -> dict:
    import tomllib  # only a parse needs it (~4 ms to import): a cache hit does not

    if isinstance(source, bytes):  # as read_text() would give it: universal newlines
        source = source.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    data = tomllib.loads(source)
    if validate is not None:
        validate(data)
    return data
