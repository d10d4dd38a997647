"""explain's prefilter finds the same lines whichever matcher runs it: Hyperscan (the fast one, where its wheel
is installed) and the Aho-Corasick automaton over the lower-cased bytes (the fallback). A line one of them
missed would be a failure `explain` never reads, on some machines only."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.knowledge.evidence import engine_for
from smtpdoctor.logs import scan
from smtpdoctor.logs.needles import byte_forms

pytest.importorskip("hyperscan")

LOGS = Path(__file__).parent / "logs"


@pytest.fixture(scope="module")
def engine():
    return engine_for(load_catalog())


@pytest.fixture(scope="module")
def finders(engine):
    forms = sorted({form for needle in [*engine.needles(), *scan.FALLBACK_NEEDLES] for form in byte_forms(needle)})
    fast, automaton = scan._hyperscan_finder(forms), scan._ahocorasick_finder(forms)
    assert fast is not None and fast.engine == "hyperscan"
    return forms, fast, automaton


def _lines(find, data: bytes) -> set[int]:
    return {data.rfind(b"\n", 0, pos) for pos in find(data)}


def test_same_lines_on_needles_in_every_case_and_broken(finders):
    """ASCII letters match in either case, as bytes.lower() makes them; a byte above 0x7f with its 0x20 bit
    flipped (another Cyrillic letter in cp1251, or broken UTF-8) matches in neither."""
    forms, fast, automaton = finders
    rng = random.Random(20)
    for _ in range(200):
        parts = []
        for _ in range(300):
            roll = rng.random()
            form = bytearray(rng.choice(forms))
            if roll < 0.5:
                for i in range(len(form)):
                    if rng.random() < 0.3:
                        form[i] ^= 0x20
                parts.append(bytes(form))
            elif roll < 0.6:
                parts.append(bytes(form).upper())
            elif roll < 0.75:
                parts.append(b"\n")
            else:
                parts.append(bytes(rng.randrange(256) for _ in range(rng.randrange(12))))
        data = b" ".join(parts) + b"\n"
        assert _lines(fast, data) == _lines(automaton, data)


def test_same_matches_on_the_sample_logs(engine):
    """The whole scan, both matchers, the sample logs of every framework in small chunks (chunk edges, held
    blocks, line numbers): the same records at the same lines."""

    def matches(use_automaton: bool, data: bytes, chunk: int):
        scanner = scan.LogScanner(engine)
        if use_automaton:
            forms = sorted({f for n in [*engine.needles(), *scan.FALLBACK_NEEDLES] for f in byte_forms(n)})
            scanner.prefilter._find = scan._ahocorasick_finder(forms)
        found = []
        saved = scan.CHUNK
        scan.CHUNK = chunk
        try:
            lines = scanner.scan(io.BufferedReader(io.BytesIO(data)), "x", found.append)
        finally:
            scan.CHUNK = saved
        return lines, [(m.line, m.code, m.lines, m.text) for m in found]

    data = b"".join(path.read_bytes() for path in sorted(LOGS.glob("*.log")))
    for chunk in (97, 4096, 1 << 22):
        fast = matches(False, data, chunk)
        assert fast[1], "the sample logs hold failures"
        assert fast == matches(True, data, chunk)
        assert fast[0] == data.count(b"\n") + (not data.endswith(b"\n"))
