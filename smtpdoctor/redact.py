"""One redactor for everything smtpdoctor prints or writes: every known form of the run's secrets is masked.

A server may echo what it was sent ("535 bad credentials for <what you sent>"), in its reply, in the
AUTH LOGIN continuation, in a 2xx line. The tool knows the secret, so it masks every encoding of
it, wherever it shows up: the Report is redacted as data before any renderer sees it (so no
renderer can forget), and the output stream is redacted once more as it is written (so a renderer
that escapes text its own way, or a live step printed before the Report exists, is covered too).

`secret_forms()` is the single list of encodings: plain, reversed, percent-encoded, base64 of the secret
alone, of AUTH PLAIN's `\\0user\\0password` (and with an authzid), of `user\\0password`, of XOAUTH2's
and OAUTHBEARER's initial responses, and — because base64 of any longer text that contains the
secret is the same at three alignments — the stable middle of base64 at each alignment. Hex is a
pattern (`hex_pattern`): either case, each byte alone or after `\\x`, `0x` or `%`, with or without
separators. Every form is matched ignoring case (a server may upper-case what it repeats, a probe may
upper-case what it shows).

A secret shorter than `MIN_SECRET` characters ("abc12") is also an ordinary word or a piece of a
JSON literal ("fal" in `false`): masking it as a substring everywhere would corrupt output. Its
forms become *tokens*, masked only where the other side's words are kept (`Evidence` text and the
transcript: the dataclass fields marked `server_words`) and only as a whole token, never inside a
longer word or base64 run. That happens on the Report as data, inside string values, so a JSON
renderer never sees them and its syntax is never touched.

Only values from outside are redacted. A Report field marked `ours` (smtpdoctor.report.OURS: message
ids, finding codes, variable names) is never touched, so a password of `password` or `config` cannot
turn `config.password_format` into an id that does not exist; and in the stream, a match that is our
own text (a label, a JSON key, punctuation) is left as it is: see `RedactingWriter`. A whitespace-only
secret has nothing to leak: its plain form is never masked (it would eat the output's own spacing),
its encoded forms are.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache, cached_property
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus, unquote

from smtpdoctor.secret import Secret

MASK = "********"
MIN_SECRET = 6  # shorter texts occur in ordinary words and JSON literals ("false"): masking them would corrupt output
MIN_CORE = 8  # a base64 fragment shorter than this matches ordinary words too often
# Longer secrets (a pasted key file) get no base64-of-containing-text, reversed or hex forms: each costs a
# copy of the secret in the pattern.
MAX_CORE_SECRET = 512
REPLACE_ABOVE = 1024  # forms this long stay out of any regex (a few 40 kB alternatives take seconds to compile)
# A token is not masked inside a longer word or base64 run: letters and digits of any script, + and /.
_TOKEN_EDGE_BEFORE = r"(?<![^\W_])(?<![+/])"
_TOKEN_EDGE_AFTER = r"(?![^\W_])(?![+/])"
# Hex: each byte after the first may follow `\x`, `0x` or `%` (a full percent-encoding is hex too), and be
# preceded by one separator. Every piece is optional and of fixed length (no nested quantifier): matching
# stays linear. The first byte's prefix is left out, and left shown: the pattern then starts with a literal.
_HEX_PREFIX = r"(?:\\x|0x|%)?"
_HEX_SEPARATOR = r"[:\- ,.]?"

T = TypeVar("T")


def _json_string(text: str, ascii_only: bool) -> str:
    """json.dumps(text, ensure_ascii=ascii_only), by the C functions json.dumps itself calls for a str: the json
    package (decoder, scanner and their regexes) is not imported for this alone."""
    try:
        from _json import encode_basestring, encode_basestring_ascii
    except ImportError:  # an interpreter without the accelerator: json's own way
        import json

        return json.dumps(text, ensure_ascii=ascii_only)
    return encode_basestring_ascii(text) if ascii_only else encode_basestring(text)


def _xml_escaped(text: str) -> str:
    """What html.escape(text) gives (importing html costs a check its table of 2,000 entities, ~1 ms)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#x27;"))


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


def _bytes(secret: str) -> bytes:
    return secret.encode("utf-8", "surrogateescape")


def hex_pattern(secret: str) -> str | None:
    """A regular expression (matched against lower-cased text) for `secret` in hex, with any common byte prefix
    or separator; None for a secret too long to spell out byte by byte, or one with nothing to leak."""
    raw = _bytes(secret)
    if not raw.strip() or len(raw) > MAX_CORE_SECRET:
        return None
    return (_HEX_SEPARATOR + _HEX_PREFIX).join(f"{byte:02x}" for byte in raw)


def hex_forms(secret: str) -> list[str]:
    """`secret` in plain hex, lower and upper case: literal masks, for a log that matches exactly (the runner's)."""
    raw = _bytes(secret)
    if not raw.strip() or len(raw) > MAX_CORE_SECRET:
        return []
    return [raw.hex(), raw.hex().upper()]


def secret_forms(secret: str, user: str | None = None) -> set[str]:
    """Every text under which `secret` (a password, an API key, an OAuth2 token) can reach an output,
    at least `MIN_SECRET` long (a short secret's own short forms become `Redactor.tokens`)."""
    return {f for f in _all_forms(secret, user) if len(f) >= MIN_SECRET}


def _all_forms(secret: str, user: str | None) -> set[str]:
    if not secret:
        return set()
    forms = {secret, secret.strip()}
    if len(secret) <= MAX_CORE_SECRET:
        forms.add(secret[::-1])  # a server that echoes what it was sent backwards
    raw = _bytes(secret)
    forms |= {quote(secret, safe=""), quote(secret), quote_plus(secret), quote(secret, safe="").lower()}
    forms.add(_json_string(secret, ascii_only=False)[1:-1])  # inside a JSON document
    forms.add(_json_string(secret, ascii_only=True)[1:-1])
    forms.add(_xml_escaped(secret))  # inside XML
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
    # A whitespace-only text has nothing to leak, and masking it would eat the output's own spacing.
    return {form for form in forms if form.strip()}


# The scheme is tried only where a word starts: from every letter of a long run it would rescan the run (quadratic).
_URL_USERINFO = re.compile(r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://([^\s/?#]*)@")


def url_passwords(value: str, bare: bool = False) -> list[str]:
    """The passwords in `value`'s URLs (`smtp://user:PASS@host`), as written and percent-decoded. `bare`: the
    value is a host, so `user:PASS@host` without a scheme counts too. The user part is no secret."""
    infos = [m.group(1) for m in _URL_USERINFO.finditer(value)]
    if bare and not infos and "@" in value:
        infos.append(value.strip().rsplit("@", 1)[0])
    found = []
    for info in infos:
        _, colon, password = info.partition(":")
        if colon and password:
            found += [password, unquote(password)]
    return found


@cache
def _own_text() -> str:
    """Every text smtpdoctor itself prints: the shipped data (messages in both languages, the catalog,
    providers) and the renderers' own keys and labels (their source)."""
    package = Path(__file__).parent
    parts = []
    # providers.toml lies in the package (a wheel) or at the repository's top level (a checkout)
    for path in [*sorted((package / "knowledge").rglob("*.toml")), package.parent / "providers.toml",
                 *sorted((package / "render").glob("*.py")), package / "report.py",
                 *sorted((package / "render" / "templates").rglob("*.html")),  # --format html's markup
                 *sorted((package / "web" / "templates").rglob("*.html"))]:
        try:
            parts.append(path.read_text(encoding="utf-8"))
        except OSError:
            continue
    return "\n".join(parts)


@cache
def _own_bytes_folded() -> bytes:
    # bytes.lower() folds ASCII only, but fast (str.lower() of mixed Cyrillic text takes ~30 ms); an ASCII
    # needle never matches inside a UTF-8 sequence, whose bytes are all above 0x7F
    return _own_text().encode("utf-8").lower()


@cache
def _own_text_folded() -> str:
    return _own_text().lower()


def is_own_words(text: str) -> bool:
    """Does `text` (in any case) occur in what smtpdoctor itself says? Read only when a secret's form was
    found in the output stream, to tell our own words from a leak."""
    wanted = text.lower()
    if wanted.isascii():
        return wanted.encode("ascii") in _own_bytes_folded()
    return wanted in _own_text_folded()


_Field = tuple[str, bool, "frozenset[str] | None", "frozenset[str] | None", bool]
_FIELDS: dict[type, tuple[_Field, ...]] = {}


def _fields_of(cls: type) -> tuple[_Field, ...]:
    """(name, ours, own parameter names, own words, server words) of each init field of a dataclass, per class."""
    known = _FIELDS.get(cls)
    if known is None:
        known = tuple((f.name, bool(f.metadata.get("ours")), f.metadata.get("own_params"), f.metadata.get("own_words"),
                       bool(f.metadata.get("server_words"))) for f in dataclasses.fields(cls) if f.init)
        _FIELDS[cls] = known
    return known


def _mask_found(text: str, folded: str, wanted: str, keep: Callable[[str], bool] | None) -> tuple[str, str]:
    """Every `wanted` (lower case) in `folded` (`text.lower()`, offset for offset) masked in both, unless
    `keep` says the text found there is to stay; both returned, still aligned."""
    start = folded.find(wanted)
    if start == -1:
        return text, folded
    pieces, lowered, end = [], [], 0
    while start != -1:
        stop = start + len(wanted)
        found = text[start:stop]
        shown = found if keep is not None and keep(found) else MASK
        pieces += [text[end:start], shown]
        lowered += [folded[end:start], shown.lower()]
        end = stop
        start = folded.find(wanted, end)
    return "".join(pieces) + text[end:], "".join(lowered) + folded[end:]


class Redactor:
    """Masks a fixed set of texts in strings, in finished results (any dataclass tree) and in a stream.

    `forms` are masked anywhere, `tokens` (short secrets) only as whole tokens in the other side's words,
    `patterns` (regular expressions: hex spellings) anywhere; `runner` are extra literal spellings only
    for the GitHub Actions runner's masks (which match exactly: case variants, plain hex).

    Case is ignored by looking for the lower-cased forms in the lower-cased text: `str.find` per form
    (a C search that skips ahead) is several times faster than one alternation of them all, and
    re.IGNORECASE would slow that alternation six times more. The offsets of a text and of its lower
    case are the same whenever lower() keeps its length, which is all but always; for a text with a
    character whose lower case is longer (İ), one case-insensitive alternation (`_rx`) runs instead."""

    def __init__(self, forms: Iterable[str] = (), tokens: Iterable[str] = (), patterns: Iterable[str] = (),
                 runner: Iterable[str] = ()) -> None:
        self.forms = tuple(sorted({f for f in forms if f and f.strip()}, key=len, reverse=True))
        self.tokens = tuple(sorted({t for t in tokens if t and t.strip()} - set(self.forms), key=len, reverse=True))
        self.patterns = tuple(sorted({p for p in patterns if p}))
        self.runner = tuple(dict.fromkeys(r for r in runner if r and r.strip()))
        self._ours_seen: dict[str, bool] = {}

    @cached_property
    def _folded(self) -> tuple[str, ...]:
        return tuple(sorted({f.lower() for f in self.forms}, key=len, reverse=True))

    @cached_property
    def _hex_rx(self) -> re.Pattern[str] | None:
        # each pattern starts with its first byte's two digits: the search skips ahead on that literal
        return re.compile("|".join(self.patterns)) if self.patterns else None

    @cached_property
    def _hex_heads(self) -> frozenset[str]:
        """Each hex pattern's first two digits, which any match begins with: a text without them needs no
        search, and a run whose outputs never have them never compiles the patterns (~2 ms for a password)."""
        return frozenset(pattern[:2] for pattern in self.patterns)

    @cached_property
    def _long(self) -> tuple[str, ...]:
        return tuple(f for f in self.forms if len(f) > REPLACE_ABOVE)

    @cached_property
    def _rx(self) -> re.Pattern[str] | None:
        """Every form up to REPLACE_ABOVE long and every pattern, in any case: for the rare text whose
        lower case is longer than itself (a regex of a few 40 kB alternatives takes seconds to compile)."""
        alternatives = [*map(re.escape, (f for f in self.forms if len(f) <= REPLACE_ABOVE)), *self.patterns]
        return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None

    @cached_property
    def _token_rx(self) -> re.Pattern[str] | None:
        if not self.tokens:
            return None
        return re.compile(_TOKEN_EDGE_BEFORE + "(?:" + "|".join(map(re.escape, self.tokens)) + ")" + _TOKEN_EDGE_AFTER,
                          re.IGNORECASE)

    @classmethod
    def for_secrets(cls, secrets: Iterable[str | Secret | None], user: str | None = None) -> Redactor:
        forms: set[str] = set()
        tokens: set[str] = set()
        patterns: set[str] = set()
        runner: list[str] = []
        for secret in secrets:
            value = secret.get_secret_value() if isinstance(secret, Secret) else secret
            if not value:
                continue
            for who in {user, user.strip()} if user else {user}:
                forms |= _all_forms(value, who)
            if len(value) >= MIN_SECRET:
                spelled = hex_pattern(value)
                if spelled:
                    patterns.add(spelled)
            else:  # a short secret's hex ("616263") is a whole token, like the secret itself
                tokens |= set(hex_forms(value))
            runner += [value.upper(), value.lower(), value.swapcase(), *hex_forms(value)]
        return cls({f for f in forms if len(f) >= MIN_SECRET}, tokens | {f for f in forms if len(f) < MIN_SECRET},
                   patterns, runner)

    @classmethod
    def for_input(cls, inp: Any) -> Redactor:
        """From a settings.model.SettingsInput: the password as given and as cleaned (quotes, spaces off), and
        the password of any URL in a setting (`SMTP_HOST=smtp://me:PASS@host`, `me:PASS@host` too)."""
        from smtpdoctor.settings.model import clean_text

        def raw(name: str) -> str | None:
            given = getattr(inp, name, None)
            return given.value if given is not None else None

        password, user = raw("password"), raw("user")
        in_urls = [found for name in ("host", "port", "secure", "user", "sender", "sender_name") if raw(name)
                   for found in url_passwords(raw(name), bare=name == "host")]
        secrets = [s for s in (password, *in_urls) if s]
        if not secrets:
            return cls()
        cleaned = [clean_text(s) for s in secrets]
        cleaned_user = clean_text(user) if user else None
        return cls.for_secrets([*secrets, *cleaned], cleaned_user).merged(cls.for_secrets(cleaned, user))

    def merged(self, other: Redactor) -> Redactor:
        return Redactor((*self.forms, *other.forms), (*self.tokens, *other.tokens), (*self.patterns, *other.patterns),
                        (*self.runner, *other.runner))

    def __bool__(self) -> bool:
        return bool(self.forms or self.tokens or self.patterns)

    def text(self, text: str) -> str:
        """Every long form masked wherever it occurs, in any case (for a value from outside, whole or a part)."""
        return self._masked(text, None)

    def server_text(self, text: str) -> str:
        """The other side's words: long forms anywhere, and a short secret wherever it stands as a whole token."""
        text = self.text(text)
        return self._token_rx.sub(MASK, text) if self._token_rx is not None and text else text

    def stream_text(self, text: str) -> str:
        """A finished output (a report, a JSON document): every form masked, except where what matched is our
        own text — a label, a JSON key, punctuation — which no value of the Report put there (those are
        redacted as data already) and which masking would break (`"password": ` as `"********": `)."""
        return self._masked(text, self._ours)

    def _masked(self, text: str, keep: Callable[[str], bool] | None) -> str:
        if not text or not (self.forms or self.patterns):
            return text
        folded = text.lower()
        if len(folded) != len(text):  # no shared offsets: the slower way
            for form in self._long:
                text = text.replace(form, MASK)
            rx = self._rx
            return text if rx is None else rx.sub(lambda m: m.group() if keep and keep(m.group()) else MASK, text)
        for wanted in self._folded:
            if wanted in folded:
                text, folded = _mask_found(text, folded, wanted, keep)
        if not any(head in folded for head in self._hex_heads):
            return text
        pieces, end = [], 0
        for m in self._hex_rx.finditer(folded):
            start, stop = m.span()
            found = text[start:stop]
            pieces += [text[end:start], found if keep is not None and keep(found) else MASK]
            end = stop
        return "".join(pieces) + text[end:] if pieces else text

    def _ours(self, found: str) -> bool:
        """Is this match our own text? Punctuation and spaces are; so is anything our messages, catalog or
        renderers say (read once, and only when a form matched in the stream at all)."""
        key = found.lower()
        ours = self._ours_seen.get(key)
        if ours is None:
            ours = not any(ch.isalnum() for ch in found) or is_own_words(found)
            self._ours_seen[key] = ours
        return ours

    def apply(self, value: T) -> T:
        """`value` with every string from outside redacted: Reports, findings, steps, phrases, evidence."""
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
            for name, ours, own_params, own_words, words in _fields_of(type(value)):
                if ours:
                    continue
                old = getattr(value, name)
                if own_words and isinstance(old, str) and old in own_words:  # one of our words in a field that otherwise holds outside values
                    continue
                if own_params and isinstance(old, Mapping):
                    new = self._walk_params(old, own_params, server_words or words)
                else:
                    new = self._walk(old, server_words or words)
                if new is not old:
                    changes[name] = new
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

    def _walk_params(self, params: Mapping, own: frozenset[str], server_words: bool):
        """A phrase's parameters: those that name things of ours (a variable, an option) stay as they are."""
        items = {k: v if k in own else self._walk(v, server_words) for k, v in params.items()}
        return items if any(items[k] is not params[k] for k in items) else params

    def callback(self, fn: Callable[[T], None] | None) -> Callable[[T], None] | None:
        """A step callback that only ever sees redacted results (the live terminal view)."""
        if fn is None or not self:
            return fn
        return lambda item: fn(self.apply(item))

    def writer(self, stream):
        return RedactingWriter(stream, self) if self.forms or self.patterns else stream

    def mask_values(self) -> list[str]:
        """What the GitHub Actions runner should mask: every form and token, and the exact spellings the runner
        cannot match by pattern (other cases, plain hex). It masks its own log, where a short secret hidden
        inside a longer word costs nothing."""
        return list(dict.fromkeys([*self.forms, *self.tokens, *self.runner]))

    def mask_commands(self) -> list[str]:
        """GitHub Actions `::add-mask::` lines, one per form (the value escaped as the runner expects)."""
        return [f"::add-mask::{f.replace('%', '%25').replace(chr(13), '%0D').replace(chr(10), '%0A')}"
                for f in self.mask_values()]


class RedactingWriter:
    """A text stream that redacts what is written through it (`Redactor.stream_text`).

    A GitHub Actions `::add-mask::` line carries the secret on purpose, for the runner, which reads its
    commands from standard output only: written anywhere else (an `--output` file, uploaded as an artifact)
    it is the secret in clear. So a mask line is never written through here: it goes to the runner's
    standard output directly (smtpdoctor.render.ci.mask_lines), and one that reaches this writer is redacted."""

    def __init__(self, stream, redactor: Redactor) -> None:
        self._stream = stream
        self._redactor = redactor

    def write(self, text: str) -> int:
        self._stream.write(self._redactor.stream_text(text))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)
