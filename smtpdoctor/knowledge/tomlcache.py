"""Parse TOML data files once: the parsed form is cached as JSON keyed by the file's content hash.

tomllib is pure Python and the catalog is large; JSON parsing is C. The TOML stays the only source
of truth: any change to it changes the hash, and a cache that cannot be written is simply skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path


# The shipped data files sit next to this module, in a checkout and in an installed wheel alike. A plain path
# (not importlib.resources, whose import costs a check several milliseconds) is all a regular install needs.
KNOWLEDGE = Path(__file__).parent


def shipped_text(name: str) -> str:
    """The text of a data file shipped in smtpdoctor/knowledge/ (`phrases/newuser.toml` for a subfolder)."""
    return (KNOWLEDGE / name).read_text(encoding="utf-8")


@cache
def load_shipped(name: str, validate=None) -> dict:
    """A shipped data file parsed (through the cache), once per process; callers only read the result."""
    return loads_cached(shipped_text(name), name.removesuffix(".toml"), validate=validate)


def _cache_dir() -> Path | None:
    if os.environ.get("SMTPDOCTOR_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    return Path(base) / "smtpdoctor"


def loads_cached(text: str, kind: str, validate=None) -> dict:
    """Parsed TOML; `validate(data)` (a schema check that raises) runs whenever the text is parsed anew,
    so a cached file was validated once and the hot path need not import the validator."""
    cache = _cache_dir()
    if cache is None:
        import tomllib  # only a parse needs it (~4 ms to import): a cache hit does not

        data = tomllib.loads(text)
        if validate is not None:
            validate(data)
        return data
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
    # Only data that passed `validate` is cached under the "checked" name: a cache written without the
    # check (an older smtpdoctor) is never taken for a validated one.
    path = cache / f"{kind}-{'checked-' if validate is not None else ''}{digest}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    import tomllib

    data = tomllib.loads(text)  # errors propagate: a broken file must be reported, not cached
    if validate is not None:
        validate(data)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass
    return data
