"""Masking what looks secret in a log line before `explain` echoes it back.

`explain` does not know the log's secrets (unlike `check`, which knows its password): it masks by
layout. A secret is the value of a key from a small vocabulary (`SECRET_KEYS`: pass, password, pwd,
secret, api_key, token...) however the key and the value are written — `key=value`, `key: "two
words"`, PHP `'password' => 'x'`, `print_r`'s `[password] => x`, `var_dump`'s `["password"]=> string(8)
"x"`, Ruby `:password => "x"`, XML `<password>x</password>`, .NET `key="SmtpPassword" value="x"`,
JSON with its quotes escaped, a percent-encoded `=` — or it is the password of a URL
(`smtp://user:PASS@host`, `smtp:\\/\\/...` inside JSON, `user:PASS@host` without a scheme), a command
line's (`swaks --auth-password x`, `-ap x`), an SMTP AUTH exchange's or an HTTP Authorization's
credentials, or a token whose shape a provider documents (SendGrid `SG.`, Resend `re_`...).

Every pattern is built from the same few pieces, and none has a quantifier inside a quantifier: each
runs in time linear in the line (tests/test_hostile_limits.py feeds them adversarial input).
"""

from __future__ import annotations

import base64
import binascii
import re

MASK = "********"

# -- the pieces ------------------------------------------------------------------------------------

# The names a secret goes by (lower case; patterns are compiled case-insensitively). No left boundary:
# SMTP_PASS, mail.password, smtpPassword, client_secret, access_token all end in one of them.
SECRET_KEYS = (r"pass(?:word|wd|phrase)?", r"pwd", r"(?<![a-z])pw", r"secret", r"api[_-]?key", r"access[_-]?key",
               r"private[_-]?key", r"token", r"auth[_-]?(?:pass(?:word)?|key)")
_KEY = "(?:" + "|".join(SECRET_KEYS) + ")"
# A key as a JSON document (walked by scan.json_message) names it: its value is never a message.
SECRET_KEY = re.compile(r"(?i)pass(word|wd|phrase)?$|^pw$|^pwd$|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
                        r"|auth[_-]?(pass|key)|authorization|credential")

# A value as written after its key: quoted (a space inside belongs to it; JSON's \" escapes too), quoted
# with escaped quotes (JSON inside JSON), or a bare word up to the next space or delimiter.
_VALUE = (r"(?:\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|\\\"[^\"\n]*\\\""
          r"|(?!(?:Basic|Bearer|Digest|Negotiate)\s)[^\s\"',;}&)\]<>]+)")
# Between a key and its value: the key's closing quote (escaped in JSON-in-JSON) or bracket, an operator
# (`=`, `:`, `=>`, a percent-encoded `=` or `:`), spaces on the same line.
_ASSIGN = r"(?:\\?[\"'])?[ \t]*(?:=>|[:=]|%3[ad])[ \t]*"


def _url_userinfo(m: re.Match[str]) -> str:
    """smtp://user@example.com:PASS@host: the user may hold an '@'; the password is up to the LAST '@'."""
    user, colon, _ = m.group(2).partition(":")
    return f"{m.group(1)}{user}:{MASK}@" if colon else m.group(0)


# Words that stand before `:addr@host` in logs without being a user name (`to:joe@example.com`).
_NOT_A_USER = r"(?:to|from|cc|bcc|rcpt|mailto|sender|recipient|e?mail|address|addr|reply-to|return-path|for|sip|xmpp)"

# -- the layouts, each (pattern, replacement) ------------------------------------------------------

_SECRET_PATTERNS = [
    # every token after the mechanism: AUTH LOGIN <b64 user> <b64 password> logs both
    (re.compile(r"(?i)(?<!-)\b(AUTH[ \t]+(?:PLAIN|LOGIN|XOAUTH2|OAUTHBEARER|CRAM-MD5))[ \t][A-Za-z0-9+/=_.~ \t-]*"
                r"[A-Za-z0-9+/=_.~-]"), rf"\1 {MASK}"),
    # Authorization: Basic <base64 user:pass> / Bearer <token>: the scheme stays, the credentials go
    (re.compile(r"(?i)\b((?:Basic|Bearer|Digest|Negotiate)\s+)[A-Za-z0-9+/=_.~-]{6,}"), rf"\1{MASK}"),
    # var_dump: ["password"]=> string(8) "x" (the value may be on the next line); print_r: [password] => x y
    (re.compile(r"(?i)(\[[\"']?[\w.-]*?" + _KEY + r"[\"']?(?::[^\]\n]*)?\]\s*=>\s*string\(\d+\)\s*)\"[^\n]*"),
     rf'\1"{MASK}"'),
    (re.compile(r"(?i)(\[[\"']?[\w.-]*?" + _KEY + r"[\"']?(?::[^\]\n]*)?\][ \t]*=>[ \t]*)"
                r"(?!Array\b|array\(|object\(|string\(\d+\) \"\*)[^\s\n][^\n]*"), rf"\1{MASK}"),
    # XML: <password>x</password>, <smtp:password>x</smtp:password>
    (re.compile(r"(?i)(<(?:[\w-]+:)?[\w.-]*?" + _KEY + r"(?:[ \t][^<>\n]*)?>)[^<\n]+(?=</)"), rf"\1{MASK}"),
    # .NET config: <add key="SmtpPassword" value="x" />
    (re.compile(r"(?i)(\bkey=[\"'][\w.:-]*?" + _KEY + r"[\"'][ \t]+value=)(\"[^\"\n]*\"|'[^'\n]*')"), rf'\1"{MASK}"'),
    # a command line: swaks --auth-password x / -ap x, --password=x, --api-key "x y"
    (re.compile(r"(?i)((?<![\w-])(?:--[\w-]*?" + _KEY + r"|-ap)(?:[ \t]+|=))" + _VALUE), rf"\1{MASK}"),
    # key = value, key: "two words", 'password' => 'x', :password => "x", \"pass\":\"x\", secret%3D<value>
    (re.compile(r"(?i)(" + _KEY + _ASSIGN + r")" + _VALUE), rf"\1{MASK}"),
    (re.compile(r"(?i)(authorization[\"']?[ \t]*(?:[:=]|%3[ad])[ \t]*[\"']?)(?!(?:Basic|Bearer|Digest|Negotiate)\s)"
                r"[^\s\"',;}]+"), rf"\1{MASK}"),
    # a URL's userinfo, also with JSON's escaped slashes (smtp:\/\/user:pass@host)
    (re.compile(r"(:\\?/\\?/)((?:[^\s/\\]|\\(?!/))*)@(?=[^\s@/]*(?:[/\s?#\\]|$))"), _url_userinfo),
    # user:pass@host without a scheme (the user may be an address: me@example.com:pass@host)
    (re.compile(r"(?i)(?<![\w.+%@:/\\-])(?!" + _NOT_A_USER + r":)([\w.+%-]+(?:@[\w.-]+)?):([^\s:@/\"'<>\\]+)@"
                r"(?=[A-Za-z0-9\[])"), rf"\1:{MASK}@"),
    (re.compile(r"\bSG\.[\w-]{8,}\.[\w-]{8,}"), f"SG.{MASK}"),
    (re.compile(r"\bre_[A-Za-z0-9_]{8,}"), f"re_{MASK}"),
    (re.compile(r"\bx(?:keysib|smtpsib)-[\w-]{8,}"), f"x***sib-{MASK}"),
    (re.compile(r"\bkey-[0-9a-f]{32}\b"), f"key-{MASK}"),
    (re.compile(r"(\b[CS]:\s+)[A-Za-z0-9+/]{8,}={0,2}(?=\s|$)"), rf"\1{MASK}"),
]
_B64_TOKEN = re.compile(r"(?<![\w+/=])[A-Za-z0-9+/]{12,}={0,2}(?![\w+/=])")


def _b64_credentials(m: re.Match[str]) -> str:
    token = m.group(0)
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except (binascii.Error, ValueError):
        return token
    return MASK if b"\0" in raw else token  # AUTH PLAIN's \0user\0password


def mask_secrets(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return _B64_TOKEN.sub(_b64_credentials, text)
