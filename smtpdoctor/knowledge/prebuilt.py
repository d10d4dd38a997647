"""The shipped data files, parsed and validated when the wheel is built (hatch_build.py calls `build`).

Without them the first run of an installed smtpdoctor parses every TOML file it reads with tomllib (pure
Python) and imports pydantic to check each schema: 1.9x a warm run. The wheel carries the result as JSON in
smtpdoctor/knowledge/parsed/, named as tomlcache names its own entries (kind, "checked-" when validated, the
file's content hash): tomlcache reads one when its own cache has no entry and keeps it, so a first run parses
nothing that came with the package. A file edited after the build has another hash and is parsed as before.
"""

from __future__ import annotations

import json
import marshal
import os
import sys
import tempfile
from pathlib import Path


def build(out: str | Path) -> list[str]:
    """Every shipped data file through the loaders a run uses, into `out` as JSON; the names written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = tmp  # the loaders' own cache, collected below
        os.environ.pop("SMTPDOCTOR_NO_CACHE", None)
        from smtpdoctor.knowledge import tomlcache
        from smtpdoctor.knowledge.providers import default_providers_path

        files = [*tomlcache.KNOWLEDGE.glob("*.toml"), *tomlcache.KNOWLEDGE.glob("phrases/*.toml"),
                 default_providers_path()]
        # the cache names an entry by a hash of this Python; the wheel's are named by one that every Python reads
        portable = {tomlcache.hashed(data): tomlcache.shipped_hash(data) for data in (f.read_bytes() for f in files)}
        cached = Path(tmp, "smtpdoctor")
        _run(_loaders(tomlcache))
        read = {p.name.removesuffix(f".{tomlcache._FORMAT}").rpartition("-")[2] for p in cached.glob("*")}
        # then every other file as load_shipped reads it (no schema): one a loader above read is not repeated
        _run([lambda name=p.name: tomlcache.load_shipped(name) for p in sorted(tomlcache.KNOWLEDGE.glob("*.toml"))
              if tomlcache.hashed(p.read_bytes()) not in read])
        written = []
        for entry in sorted(cached.glob(f"*.{tomlcache._FORMAT}")):
            kind, _, digest = entry.name.removesuffix(f".{tomlcache._FORMAT}").rpartition("-")
            if digest not in portable:
                continue
            name = f"{kind}-{portable[digest]}.json"
            (out / name).write_text(json.dumps(marshal.loads(entry.read_bytes()), ensure_ascii=False), encoding="utf-8")
            written.append(name)
    return written


def _loaders(tomlcache) -> list:
    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.knowledge.extras import load_extras
    from smtpdoctor.knowledge.platforms import load_platforms
    from smtpdoctor.knowledge.providers import default_providers_path, load_providers
    from smtpdoctor.knowledge.status import load_status_knowledge

    loads = [load_catalog, load_platforms, load_extras, lambda: load_providers(default_providers_path()),
             load_status_knowledge]
    # the message files, as render.i18n reads them
    for path in [tomlcache.KNOWLEDGE / "messages.toml", *sorted((tomlcache.KNOWLEDGE / "phrases").glob("*.toml"))]:
        loads.append(lambda path=path: tomlcache.loads_cached(path.read_text(encoding="utf-8"), f"messages-{path.name}"))
    return loads


def _run(loads: list) -> None:
    for load in loads:
        try:
            load()
        except Exception as exc:  # noqa: BLE001 - that file is parsed at its first use instead, as in a checkout
            print(f"not prebuilt: {exc!r}", file=sys.stderr)
