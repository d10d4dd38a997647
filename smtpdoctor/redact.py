"""One redactor for everything smtpdoctor prints or writes: every known form of the run's secrets is masked.

A server may echo what it was sent ("535 bad credentials for <what you sent>"), in its reply, in the
AUTH LOGIN continuation, in a 2xx line. The tool knows the secret, so it masks every encoding of
it, wherever it shows up: the Report is redacted as data before any renderer sees it (so no
renderer can forget), and the output stream is redacted once more as it is written (so a renderer
that escapes text its own way, or a live step printed before the Report exists, is covered too).

`secret_forms()` is the single list of encodings: plain, percent-encoded, base64 of the secret
alone, of AUTH PLAIN's `\\0user\\0password` (and with an authzid), of `user\\0password`, of XOAUTH2's
and OAUTHBEARER's initial responses, and — because base64 of any longer text that contains the
secret is the same at three alignments — the stable middle of base64 at each alignment.

A secret shorter than `MIN_SECRET` characters ("abc12") is also an ordinary word or a piece of a
JSON literal ("fal" in `false`): masking it as a substring everywhere would corrupt output. Its
forms become *tokens*, masked only where the other side's words are kept (`Evidence` text and the
transcript: the dataclass fields marked `server_words`) and only as a whole token, never inside a
longer word or base64 run. That happens on the Report as data, inside string values, so a JSON
renderer never sees them and its syntax is never touched.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from enum import Enum
from html import escape as xml_escape
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

from smtpdoctor.secret import Secret

MASK = "********"
MIN_SECRET = 6  # shorter texts occur in ordinary words and JSON literals ("false"): masking them would corrupt output
MIN_CORE = 8  # a base64 fragment shorter than this matches ordinary words too often
MAX_CORE_SECRET = 512  # longer secrets get no base64-of-containing-text forms: each costs a copy of the secret in the pattern
REPLACE_ABOVE = 1024  # forms this long are replaced one by one: a regex of a few 40 kB alternatives takes seconds to compile
# A token is not masked inside a longer word or base64 run: letters and digits of any script, + and /.
_TOKEN_EDGE_BEFORE = r"(?<![^\W_])(?<![+/])"
_TOKEN_EDGE_AFTER = r"(?![^\W_])(?![+/])"

T = TypeVar("T")


def _b64(data: bytes) -> list[str]:
    std = base64.b64encode(data).decode("ascii")
    return [std, std.rstrip("="), base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")]


def _b64_cores(raw: bytes) -> list[str]:
    """The base64 characters that depend only on `raw`, at each of the three byte alignments it can
    have inside a longer encoded text (so `base64(anything + secret + anything)` is caught)."""
    cores = []
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + raw).decode("ascii").rstrip("=")
        start = (pad * 8 + 5) // 6  # characters that still mix in the padding bytes
        end = (len(b"\0" * pad + raw) * 8) // 6  # characters made only of whole 6-bit groups of raw
        core = encoded[start:end]
        if len(core) >= MIN_CORE:
            cores.append(core)
    return cores


def secret_forms(secret: str, user: str | None = None) -> set[str]:
    """Every text under which `secret` (a password, an API key, an OAuth2 token) can reach an output,
    at least `MIN_SECRET` long (a short secret's own short forms become `Redactor.tokens`)."""
    return {f for f in _all_forms(secret, user) if len(f) >= MIN_SECRET}


def _all_forms(secret: str, user: str | None) -> set[str]:
    if not secret:
        return set()
    forms = {secret, secret.strip()}
    raw = secret.encode("utf-8", "surrogateescape")
    forms |= {quote(secret, safe=""), quote(secret), quote_plus(secret), quote(secret, safe="").lower()}
    forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])  # inside a JSON document
    forms.add(json.dumps(secret)[1:-1])
    forms.add(xml_escape(secret))  # inside XML
    forms.add(secret.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))  # a workflow command
    forms |= set(_b64(raw))
    if len(secret) <= MAX_CORE_SECRET:
        forms |= set(_b64_cores(raw))
    users = [user] if user else [""]
    for who in users:
        w = who.encode("utf-8", "surrogateescape")
        for payload in (b"\0" + w + b"\0" + raw, w + b"\0" + w + b"\0" + raw, w + b"\0" + raw,
                        b"user=" + w + b"\x01auth=Bearer " + raw + b"\x01\x01",
                        b"n,a=" + w + b",\x01auth=Bearer " + raw + b"\x01\x01"):
            forms |= set(_b64(payload))
            if len(secret) < MIN_SECRET and b"\0" + raw in payload:
                # A short secret glued to the user by an escaped NUL ("\0user\0abc12") is no whole token:
                # the decoded AUTH payload, as a server may print it, is a form of its own.
                decoded = payload.decode("utf-8", "surrogateescape")
                forms |= {decoded.replace("\0", shown) for shown in ("\0", "\\0", "\\x00", "\u2400")}
    return forms


class Redactor:
    """Masks a fixed set of texts in strings, in finished results (any dataclass tree) and in a stream."""

    def __init__(self, forms: Iterable[str] = (), tokens: Iterable[str] = ()) -> None:
        self.forms = tuple(sorted({f for f in forms if f}, key=len, reverse=True))
        self.tokens = tuple(sorted({t for t in tokens if t} - set(self.forms), key=len, reverse=True))

    @cached_property
    def _long(self) -> tuple[str, ...]:
        return tuple(f for f in self.forms if len(f) > REPLACE_ABOVE)

    @cached_property
    def _rx(self) -> re.Pattern[str] | None:
        short = [f for f in self.forms if len(f) <= REPLACE_ABOVE]
        return re.compile("|".join(map(re.escape, short))) if short else None

    @cached_property
    def _token_rx(self) -> re.Pattern[str] | None:
        if not self.tokens:
            return None
        return re.compile(_TOKEN_EDGE_BEFORE + "(?:" + "|".join(map(re.escape, self.tokens)) + ")" + _TOKEN_EDGE_AFTER)

    @classmethod
    def for_secrets(cls, secrets: Iterable[str | Secret | None], user: str | None = None) -> Redactor:
        forms: set[str] = set()
        for secret in secrets:
            value = secret.get_secret_value() if isinstance(secret, Secret) else secret
            if value:
                for who in {user, user.strip()} if user else {user}:
                    forms |= _all_forms(value, who)
        return cls({f for f in forms if len(f) >= MIN_SECRET}, {f for f in forms if len(f) < MIN_SECRET and f.strip()})

    @classmethod
    def for_input(cls, inp: Any) -> Redactor:
        """From a settings.model.SettingsInput: the password as given and as cleaned (quotes, spaces off)."""
        from smtpdoctor.settings.model import clean_text

        password = inp.password.value if getattr(inp, "password", None) is not None else None
        user = inp.user.value if getattr(inp, "user", None) is not None else None
        if not password:
            return cls()
        cleaned_user = clean_text(user) if user else None
        return cls.for_secrets([password, clean_text(password)], cleaned_user).merged(
            cls.for_secrets([clean_text(password)], user))

    def merged(self, other: Redactor) -> Redactor:
        return Redactor((*self.forms, *other.forms), (*self.tokens, *other.tokens))

    def __bool__(self) -> bool:
        return bool(self.forms or self.tokens)

    def text(self, text: str) -> str:
        """Every long form masked wherever it occurs (safe on any text, a finished JSON document included)."""
        if not text or not self.forms:
            return text
        for form in self._long:
            text = text.replace(form, MASK)
        return self._rx.sub(MASK, text) if self._rx is not None else text

    def server_text(self, text: str) -> str:
        """The other side's words: long forms anywhere, and a short secret wherever it stands as a whole token."""
        text = self.text(text)
        return self._token_rx.sub(MASK, text) if self._token_rx is not None and text else text

    def apply(self, value: T) -> T:
        """`value` with every string inside it redacted: Reports, findings, steps, phrases, evidence."""
        if not self:
            return value
        return self._walk(value)

    def _walk(self, value, server_words: bool = False):
        if isinstance(value, Enum) or value is None or isinstance(value, (bool, int, float, Secret)):
            return value
        if isinstance(value, str):
            return self.server_text(value) if server_words else self.text(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {}
            for f in dataclasses.fields(value):
                if not f.init:
                    continue
                old = getattr(value, f.name)
                new = self._walk(old, server_words or bool(f.metadata.get("server_words")))
                if new is not old:
                    changes[f.name] = new
            return dataclasses.replace(value, **changes) if changes else value
        if isinstance(value, Mapping):
            items = {k: self._walk(v, server_words) for k, v in value.items()}
            return items if any(items[k] is not value[k] for k in items) else value
        if isinstance(value, (tuple, list)):
            items = [self._walk(v, server_words) for v in value]
            if all(a is b for a, b in zip(items, value)):
                return value
            return tuple(items) if isinstance(value, tuple) else items
        return value

    def callback(self, fn: Callable[[T], None] | None) -> Callable[[T], None] | None:
        """A step callback that only ever sees redacted results (the live terminal view)."""
        if fn is None or not self:
            return fn
        return lambda item: fn(self.apply(item))

    def writer(self, stream):
        return stream if not self.forms else RedactingWriter(stream, self)

    def mask_values(self) -> list[str]:
        """What the GitHub Actions runner should mask: every form and token (the runner masks its own log,
        where a short secret hidden inside a longer word costs nothing)."""
        return [*self.forms, *self.tokens]

    def mask_commands(self) -> list[str]:
        """GitHub Actions `::add-mask::` lines, one per form (the value escaped as the runner expects)."""
        return [f"::add-mask::{f.replace('%', '%25').replace(chr(13), '%0D').replace(chr(10), '%0A')}"
                for f in self.mask_values()]


class RedactingWriter:
    """A text stream that redacts what is written through it. Lines that register masks with the
    GitHub Actions runner pass unchanged: the runner consumes them, and carrying the secret is their job."""

    _MASK_COMMAND = "::add-mask::"

    def __init__(self, stream, redactor: Redactor) -> None:
        self._stream = stream
        self._redactor = redactor

    def write(self, text: str) -> int:
        if self._MASK_COMMAND in text:
            parts = text.splitlines(keepends=True)
            out = "".join(p if p.startswith(self._MASK_COMMAND) else self._redactor.text(p) for p in parts)
        else:
            out = self._redactor.text(text)
        self._stream.write(out)
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)
