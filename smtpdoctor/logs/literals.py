"""Many literal byte strings compiled into one Hyperscan (Vectorscan) database: the explain prefilter's needles
(logs/scan.py) and the framework markers (prescribe/logsource.py). None where the wheel is missing or the
database cannot be built (a CPU without the SIMD it needs): each caller then keeps its own fallback."""

from __future__ import annotations


def hyperscan_literals(literals: list[bytes], *, caseless: bool = False, vectored: bool = False,
                       single_match: bool = False):
    try:
        import hyperscan
    except ImportError:
        return None
    flag = (hyperscan.HS_FLAG_CASELESS if caseless else 0) | (hyperscan.HS_FLAG_SINGLEMATCH if single_match else 0)
    try:
        database = hyperscan.Database(mode=hyperscan.HS_MODE_VECTORED if vectored else hyperscan.HS_MODE_BLOCK)
        database.compile(expressions=[_literal(item) for item in literals], ids=list(range(len(literals))),
                         flags=[flag] * len(literals))
    except Exception:  # noqa: BLE001 - any compile or platform error: the caller's fallback runs
        return None
    return database


def _literal(item: bytes) -> bytes:
    # Every byte but [0-9a-z] escaped: the literal means itself, whatever Hyperscan's syntax makes of its bytes
    # (an escaped upper-case letter still matches only itself unless the database is caseless).
    return b"".join(b"%c" % c if 48 <= c <= 57 or 97 <= c <= 122 else b"\\x%02x" % c for c in item)
