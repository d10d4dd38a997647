"""A prescription: what to change in the user's own settings, in the terms of the source it came from.

Language-free data, like findings. A `Change` speaks of the effective settings (port, TLS mode, host...);
an `Edit` is that change spelt in the source the value came from (a .env line, a Spring property, the
Symfony DSN as a whole, a key of Supabase's config.toml), so it can be applied to the file as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from smtpdoctor.report import OURS, Phrase
from smtpdoctor.secret import Secret


class Field(StrEnum):
    """The effective settings a change can touch (settings.model.SmtpSettings)."""

    HOST = "host"
    PORT = "port"
    SECURE = "secure"  # True: TLS from the first byte; False: plain, upgraded with STARTTLS
    USER = "user"
    SENDER = "sender"
    URL = "url"  # SMTP_URL / MAILER_DSN re-spelt as a whole (its parts percent-encoded)


@dataclass(frozen=True)
class Change:
    """One effective setting to change: `value` as the settings model holds it ("587", "true", a host)."""

    field: Field
    value: str | None  # None: remove (let the framework's default apply)


@dataclass(frozen=True)
class Edit:
    """A change spelt in the user's source.

    file   the file the value came from, as the user gave it (None: an environment variable / a platform's
           env-var screen)
    key    the name in that source: SMTP_SECURE, MAIL_ENCRYPTION, EMAIL_USE_SSL,
           spring.mail.properties.mail.smtp.ssl.enable, "[auth.email.smtp] port", MAILER_DSN (the DSN as a whole)
    value  the value as the app reads it, unquoted ("false", "587", a whole DSN with percent-encoding done);
           None: remove the line
    line   the line as the file should hold it, with the format's own quoting ("port = 587",
           'host = "mail.smtp2go.com"', "SMTP_SECURE=false"); None when the edit removes the line
    """

    file: str | None
    key: str = field(metadata=OURS)
    value: str | None
    line: str | None = None
    # `value` in clear when it holds a secret (the DSN as a whole, with its percent-encoded password): the
    # Report is redacted before any output, which masks the password inside `value` and `line`; only
    # `fix --write` reads this, to write back a secret the file already holds. A Secret is never printed.
    clear: Secret | None = None
    at: int | None = None  # the line of `file` the key is on now (None: a key to add, or an environment variable)

    @property
    def clear_value(self) -> str | None:
        return self.clear.get_secret_value() if self.clear is not None else self.value


class Verified(StrEnum):
    PROBE = "probe"  # the probe already showed this works (the other TLS mode it tried, the port that answered)
    SETTINGS = "settings"  # the static checks, run again on the edited settings, find nothing left of it


@dataclass(frozen=True)
class Recheck:
    """`check --verify-fix`: the probe run again with the edited settings. `codes`: the errors and warnings
    it still found (empty: none, the edit works against the server)."""

    codes: tuple[str, ...] = field(default=(), metadata=OURS)

    @property
    def passed(self) -> bool:
        return not self.codes


@dataclass(frozen=True)
class Prescription:
    """The proven edits that cure one finding (by its position's code), and how they were proven.

    `steps` replace the catalog's fix steps for this finding: what only a person can do, shown after the
    edits (None: the catalog's steps stay as they are; () with edits: the edits say it all). A finding no
    edit can cure may still get `steps` (no edits, verified None): the catalog's generic steps that the
    run has already ruled out (a silent server the probe tried in both TLS modes)."""

    code: str = field(metadata=OURS)
    edits: tuple[Edit, ...] = ()
    verified: Verified | None = None  # None only when `edits` is empty
    alternatives: tuple[tuple[Edit, ...], ...] = field(default=())  # other valid cures, for this provider too
    steps: tuple[Phrase, ...] | None = None
    recheck: Recheck | None = None  # --verify-fix
    proof: Phrase | None = None  # with "probe": what the probe saw that proves it (the port answered in this mode)
