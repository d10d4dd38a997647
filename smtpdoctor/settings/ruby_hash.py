"""A small, safe reader of the Ruby that configures ActionMailer, never evaluated.

It finds `config.action_mailer.smtp_settings = { ... }` (or `ActionMailer::Base.smtp_settings = { ... }`),
`delivery_method = :x`, `perform_deliveries = false` and `default_options = { from: ... }` in a file such as
config/environments/production.rb, and reads the hash literal. Values it understands: string literals (without
`#{}`), symbols, integers, true/false/nil, `ENV["X"]`, `ENV.fetch("X")`, `ENV.fetch("X", default)`,
`ENV.fetch("X") { default }`, `a || b`, `Integer(...)`, `.to_i`/`.to_s`/`.to_sym`/`.presence`/`.strip`, and
`ENV["X"] == "true"`. Anything else (Rails credentials, a method call, interpolation) is an `Unknown` that says
what kind of thing it was, so the caller can say it could not read it rather than guess.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

# -- values ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lit:
    value: object  # str, int, bool or None (nil)
    symbol: bool = False  # :auto rather than "auto"


@dataclass(frozen=True)
class Env:
    name: str
    default: object | None = None  # a value node, used when the variable is not set
    required: bool = False  # ENV.fetch("X") without a default: the application does not start without X


@dataclass(frozen=True)
class Either:  # a || b
    first: object
    second: object


@dataclass(frozen=True)
class Equals:  # a == b, a != b
    left: object
    right: object
    negate: bool = False


@dataclass(frozen=True)
class Convert:  # .to_i, .to_sym, .presence, Integer(...)
    inner: object
    how: str  # int | str | sym | presence


@dataclass(frozen=True)
class Unknown:
    kind: str  # credentials | expression


@dataclass(frozen=True)
class Resolved:
    """A value as the application would have it, given the environment."""

    value: object | None  # str, int, bool, or None (nil: the key is as good as absent)
    symbol: bool = False
    env: tuple[str, ...] = ()  # ENV names it read
    missing: tuple[str, ...] = ()  # ENV names it needed without a default, and that are not set
    unknown: str | None = None  # credentials | expression: not readable without running the application


def resolve(node: object, lookup: Callable[[str], str | None]) -> Resolved:
    if isinstance(node, Lit):
        return Resolved(node.value, node.symbol)
    if isinstance(node, Unknown):
        return Resolved(None, unknown=node.kind)
    if isinstance(node, Env):
        value = lookup(node.name)
        if value is not None:
            return Resolved(value, env=(node.name,))
        if node.default is not None:
            inner = resolve(node.default, lookup)
            return Resolved(inner.value, inner.symbol, (node.name, *inner.env), inner.missing, inner.unknown)
        return Resolved(None, env=(node.name,), missing=(node.name,))
    if isinstance(node, Either):
        first = resolve(node.first, lookup)
        if first.unknown or (first.value is not None and first.value is not False):
            return first
        second = resolve(node.second, lookup)
        return Resolved(second.value, second.symbol, first.env + second.env, second.missing, second.unknown)
    if isinstance(node, Equals):
        left, right = resolve(node.left, lookup), resolve(node.right, lookup)
        unknown = left.unknown or right.unknown
        same = left.value == right.value and left.symbol == right.symbol
        return Resolved(None if unknown else (same != node.negate), env=left.env + right.env, unknown=unknown)
    if isinstance(node, Convert):
        inner = resolve(node.inner, lookup)
        value, symbol = inner.value, inner.symbol
        if inner.unknown:
            return inner
        if node.how == "int":
            value = _to_int(value)
        elif node.how == "sym" and isinstance(value, str):
            symbol = True
        elif node.how == "presence" and (value is None or (isinstance(value, str) and not value.strip())):
            value = None
        elif node.how == "str":
            value = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
            symbol = False
        return Resolved(value, symbol, inner.env, inner.missing)
    return Resolved(None, unknown="expression")


def _to_int(value: object) -> object:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    m = re.match(r"\s*([+-]?\d+)", str(value))
    return int(m.group(1)) if m and len(m.group(1)) < 10 else 0  # Ruby's "abc".to_i is 0


def truthy(value: object) -> bool:
    """Ruby truthiness: only nil and false are false; "false" and 0 are true."""
    return value is not None and value is not False


# -- tokens ------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
  (?P<space>[ \t\r\f\v]+|\\\n|\n)
| (?P<comment>\#[^\n]*)
| (?P<quote>["'])
| (?P<label>[A-Za-z_]\w*[?!]?:(?![:\w]))
| (?P<sym>:(?:[A-Za-z_]\w*[?!]?|(?=["'])))
| (?P<word>[A-Za-z_]\w*[?!]?)
| (?P<int>\d[\d_]*(?:\.\d+)?)
| (?P<op>=>|==|!=|\|\||&&|::|\*\*|[{}()\[\],.=+\-*/<>!?:|&%;])
| (?P<other>.)
""", re.S | re.X)

_BLOCK_COMMENT = re.compile(r"(?ms)^=begin\b.*?(?:^=end\b[^\n]*|\Z)")
MAX_DEPTH = 40  # an expression nested deeper than this is nobody's mail config


class Token(NamedTuple):  # a tuple: a megabyte of tokens is built in a fraction of a second
    kind: str  # dq | sq | label | sym | word | int | op | other
    text: str
    pos: int


def _closing(text: str, start: int) -> int:
    """The index of the quote that closes the string opened at `start`, or -1. One pass, no backtracking:
    a file of a million escaped quotes costs a million steps, not a million squared."""
    quote, i, n = text[start], start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == quote:
            return i
        i += 1
    return -1


def tokens(text: str) -> list[Token]:
    # =begin/=end comments are blanked, newlines kept, so positions and line numbers stay true.
    text = _BLOCK_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    out: list[Token] = []
    append, match, skip = out.append, _TOKEN.match, ("space", "comment")
    pos, n = 0, len(text)
    while pos < n:
        m = match(text, pos)
        kind, end = m.lastgroup, m.end()
        if kind == "quote" or (kind == "sym" and end == pos + 1):  # "..." or :"..."
            start = end - 1 if kind == "quote" else pos + 1
            close = _closing(text, start)
            if close < 0:
                append(Token("other", text[pos:], pos))  # an unterminated string: nothing after it is code
                break
            body = text[start:close + 1]
            append(Token("sym", ":" + body, pos) if kind == "sym" else Token("dq" if body[0] == '"' else "sq", body, pos))
            pos = close + 1
            continue
        if kind not in skip:
            append(Token(kind, m.group(), pos))
        pos = end
    return out


def _string(token: Token) -> Lit | Unknown:
    body = token.text[1:-1]
    if token.kind == "dq":
        if "#{" in body:
            return Unknown("expression")  # interpolation: computed when the application runs
        body = re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(m.group(1), m.group(1)), body)
    else:
        body = re.sub(r"\\([\\'])", r"\1", body)
    return Lit(body)


# -- parser ------------------------------------------------------------------------------------------------

class _Unreadable(Exception):
    pass


class _Parser:
    def __init__(self, toks: list[Token], start: int, end: int):
        self.toks, self.i, self.end, self.depth = toks, start, end, 0

    def peek(self, offset: int = 0) -> Token | None:
        j = self.i + offset
        return self.toks[j] if j < self.end else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise _Unreadable
        self.i += 1
        return tok

    def accept(self, text: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.text == text:
            self.i += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise _Unreadable

    def expr(self) -> object:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Unreadable
        try:
            left = self.compare()
            while self.accept("||"):
                left = Either(left, self.compare())
            return left
        finally:
            self.depth -= 1

    def compare(self) -> object:
        left = self.postfix()
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.text in ("==", "!="):
            self.i += 1
            return Equals(left, self.postfix(), negate=tok.text == "!=")
        return left

    def postfix(self) -> object:
        node = self.primary()
        while True:
            if self.accept("."):
                name = self.take()
                if name.kind != "word":
                    raise _Unreadable
                node = self.method(node, name.text)
            elif self.peek() is not None and self.peek().kind == "op" and self.peek().text == "[":
                self.take()
                key = self.expr()
                self.expect("]")
                if isinstance(node, _EnvConst):
                    node = Env(key.value) if isinstance(key, Lit) and isinstance(key.value, str) else Unknown("expression")
                elif not isinstance(node, Unknown):  # credentials[:smtp] stays what it is
                    node = Unknown("expression")
            else:
                return node.as_unknown() if isinstance(node, (_EnvConst, _RailsChain)) else node

    def method(self, node: object, name: str) -> object:
        args = self.arguments() if self.peek() is not None and self.peek().text == "(" else []
        block = None
        if self.peek() is not None and self.peek().text == "{" and isinstance(node, _EnvConst) and name == "fetch":
            self.take()
            block = self.expr()
            self.expect("}")
        if isinstance(node, _EnvConst):
            if name == "fetch" and args and isinstance(args[0], Lit) and isinstance(args[0].value, str):
                default = args[1] if len(args) > 1 else block
                return Env(args[0].value, default, required=default is None)
            return Unknown("expression")
        if isinstance(node, _RailsChain):
            return node.then(name)
        if isinstance(node, Unknown):
            return node
        conversions = {"to_i": "int", "to_s": "str", "to_str": "str", "to_sym": "sym", "presence": "presence",
                       "strip": "str", "downcase": "str", "freeze": "same", "itself": "same"}
        if name in conversions and not args:
            return node if conversions[name] == "same" else Convert(node, conversions[name])
        return Unknown("expression")

    def arguments(self) -> list[object]:
        self.expect("(")
        args: list[object] = []
        if self.accept(")"):
            return args
        while True:
            args.append(self.expr())
            if self.accept(")"):
                return args
            self.expect(",")

    def primary(self) -> object:
        tok = self.take()
        if tok.kind in ("dq", "sq"):
            return _string(tok)
        if tok.kind == "sym":
            body = tok.text[1:]
            return Lit(body[1:-1] if body[:1] in "\"'" else body, symbol=True)
        if tok.kind == "int":
            text = tok.text.replace("_", "")
            return Lit(int(text)) if text.isdigit() and len(text) < 10 else Unknown("expression")
        if tok.kind == "op" and tok.text == "(":
            inner = self.expr()
            self.expect(")")
            return inner
        if tok.kind == "word":
            word = tok.text
            if word in ("true", "false"):
                return Lit(word == "true")
            if word == "nil":
                return Lit(None)
            if word == "ENV":
                return _EnvConst()
            if word in ("Integer", "String") and self.peek() is not None and self.peek().text == "(":
                args = self.arguments()
                if not args:
                    raise _Unreadable
                return Convert(args[0], "int" if word == "Integer" else "str")
            if word == "Rails":
                return _RailsChain()
            if word == "OpenSSL":
                return self.openssl()
            return Unknown("expression")
        raise _Unreadable

    def openssl(self) -> object:
        """OpenSSL::SSL::VERIFY_NONE / VERIFY_PEER: the constant's name is all the reader needs."""
        names = []
        while self.accept("::"):
            names.append(self.take().text)
        return Lit(names[-1].removeprefix("VERIFY_").lower(), symbol=True) if names and names[-1].startswith("VERIFY_") \
            else Unknown("expression")


@dataclass(frozen=True)
class _EnvConst:
    """`ENV` before `[...]` or `.fetch(...)`."""

    def as_unknown(self) -> Unknown:
        return Unknown("expression")


@dataclass(frozen=True)
class _RailsChain:
    """`Rails.application.credentials...` (or `.secrets`): encrypted, not readable here."""

    seen: tuple[str, ...] = ()

    def as_unknown(self) -> Unknown:
        return Unknown("expression")

    def then(self, name: str) -> object:
        seen = (*self.seen, name)
        if name in ("credentials", "secrets"):
            return Unknown("credentials")
        return _RailsChain(seen) if len(seen) < 3 else Unknown("expression")


# -- the file ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    key: str
    value: object  # a value node (Lit, Env, Either, Equals, Convert, Unknown)
    line: int


@dataclass
class MailerConfig:
    """What a Ruby file says about ActionMailer's SMTP delivery."""

    settings: dict[str, Setting] = field(default_factory=dict)  # smtp_settings keys, as written
    assigned_at: int | None = None  # the line of `smtp_settings =`; None: the file does not set it
    whole: Unknown | None = None  # smtp_settings = <something other than a hash literal>
    delivery_method: Setting | None = None
    perform_deliveries: Setting | None = None
    sender: Setting | None = None  # default_options[:from]


_TARGETS = ("smtp_settings", "delivery_method", "perform_deliveries", "default_options")


def read_mailer_config(text: str) -> MailerConfig:
    """The last assignment of each ActionMailer setting in the file (the one that takes effect)."""
    toks = tokens(text)
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_of(pos: int) -> int:
        return bisect_right(newlines, pos - 1) + 1

    config = MailerConfig()
    for i, tok in enumerate(toks):
        if tok.kind != "word" or tok.text not in _TARGETS or i + 1 >= len(toks):
            continue
        nxt = toks[i + 1]
        if nxt.kind != "op" or nxt.text != "=" or not _is_action_mailer(toks, i):
            continue
        start = i + 2
        if tok.text in ("smtp_settings", "default_options"):
            found = _hash_at(toks, start, line_of)
            if tok.text == "smtp_settings":
                config.assigned_at = line_of(tok.pos)
                config.settings, config.whole = (found, None) if found is not None else ({}, Unknown("expression"))
            elif found is not None and "from" in found:
                config.sender = found["from"]
            continue
        parser = _Parser(toks, start, len(toks))
        try:
            value = parser.expr()
        except _Unreadable:
            value = Unknown("expression")
        setting = Setting(tok.text, value, line_of(tok.pos))
        if tok.text == "delivery_method":
            config.delivery_method = setting
        else:
            config.perform_deliveries = setting
    return config


def _is_action_mailer(toks: list[Token], i: int) -> bool:
    """`config.action_mailer.X =`, `Rails.application.config.action_mailer.X =` or `ActionMailer::Base.X =`."""
    if i < 2 or toks[i - 1].text != ".":
        return False
    owner = toks[i - 2].text
    return owner == "action_mailer" or (owner == "Base" and i >= 4 and toks[i - 4].text == "ActionMailer")


def _hash_at(toks: list[Token], start: int, line_of: Callable[[int], int]) -> dict[str, Setting] | None:
    """The pairs of the hash literal starting at toks[start] (`{` ... `}`), or None when it is not one."""
    if start >= len(toks) or toks[start].text != "{":
        return None
    end = _matching(toks, start)
    if end is None:
        return None
    pairs: dict[str, Setting] = {}
    i = start + 1
    while i < end:
        key, i = _key_at(toks, i, end)
        value_end = _value_end(toks, i, end)
        if key is not None:
            parser = _Parser(toks, i, value_end)
            try:
                value = parser.expr()
                if parser.i != value_end:
                    value = Unknown("expression")
            except (_Unreadable, RecursionError):
                value = Unknown("expression")
            pairs[key] = Setting(key, value, line_of(toks[i].pos) if i < len(toks) else 0)
        i = value_end + 1  # past the comma
    return pairs


def _key_at(toks: list[Token], i: int, end: int) -> tuple[str | None, int]:
    tok = toks[i]
    if tok.kind == "label":
        return tok.text[:-1], i + 1
    if tok.kind == "sym" and i + 1 < end and toks[i + 1].text == "=>":
        body = tok.text[1:]
        return (body[1:-1] if body[:1] in "\"'" else body), i + 2
    if tok.kind in ("dq", "sq") and i + 1 < end and toks[i + 1].text in ("=>", ":"):
        return tok.text[1:-1], i + 2
    return None, i  # a splat (**other) or something else: its value is skipped


def _value_end(toks: list[Token], i: int, end: int) -> int:
    """The index of the comma that ends this pair (or of the closing brace), nesting respected."""
    depth = 0
    while i < end:
        text = toks[i].text if toks[i].kind == "op" else ""
        if text in ("(", "[", "{"):
            depth += 1
        elif text in (")", "]", "}"):
            depth -= 1
        elif text == "," and depth == 0:
            return i
        i += 1
    return end


def _matching(toks: list[Token], start: int) -> int | None:
    depth = 0
    for j in range(start, len(toks)):
        text = toks[j].text if toks[j].kind == "op" else ""
        if text in ("(", "[", "{"):
            depth += 1
        elif text in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return j
    return None
