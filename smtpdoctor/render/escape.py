"""Text from outside (server replies, log lines, DNS records, user values) made safe for a terminal or XML."""

from __future__ import annotations

import re

# Two classes, not one: a class mixing Latin-1 and other characters compiles to a table of 65,536 bits, ~1 ms of
# a healthy check; apart they compile in a tenth of it (at their first use: re.compile keeps them). An escape
# holds neither kind, so one substitution after the other escapes each character once.
_C0_C1 = "[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # C0 controls but tab and newline, DEL, C1 (0x9B: a terminal's CSI)
_SEPARATORS_BIDI = "[\u2028-\u202e\u2066-\u2069]"  # line and paragraph separators, bidi embeddings and isolates


def visible(text: str) -> str:
    """Control characters as escapes: a reply containing ESC [2J must not clear the user's screen."""
    if text.isascii() and text.isprintable():  # " " to "~" only: nothing to escape
        return text
    return re.sub(_SEPARATORS_BIDI, _escape, re.sub(_C0_C1, _escape, text))


def _escape(m: re.Match) -> str:
    return f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
