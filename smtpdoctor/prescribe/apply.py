"""Edits -> the user's own files, every untouched byte kept; the unified diff of them; an atomic write.

One function per format, each working on the file's text exactly as it is (comments, order, quoting,
`export `, CRLF, a BOM, a missing final newline all stay): it replaces only the span that holds the
value, adds the key where the format wants it, or removes the key's line. Every edited text is read
back with the format's parser before it is accepted: an edit whose result does not read as intended,
or that changes any other value of the file, is refused rather than written.

A secret is never put into a file that did not already hold it: an edit whose value is a password,
holds a URL's password, or holds one of the run's secrets is refused unless the file already held that
secret (a DSN re-spelt with percent-encoding is fine; an environment variable's password is not).

Language-free: refusals carry a reason id (`fix.refused.*`), worded by render/.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote

from smtpdoctor.prescribe.model import Edit
from smtpdoctor.prescribe.textedit import Refused, split_line_end

MASK = "********"
BOM = "\ufeff"


class FileKind(StrEnum):
    ENV = "env"  # .env: nodemailer SMTP_*, Django, Laravel, Symfony MAILER_DSN, GoTrue
    PROPERTIES = "properties"  # Spring application.properties
    YAML = "yaml"  # Spring application.yml
    TOML = "toml"  # Supabase supabase/config.toml


def kind_of(path: str) -> FileKind:
    name = Path(path).name.lower()
    if name.endswith(".toml"):
        return FileKind.TOML
    if name.endswith(".properties"):
        return FileKind.PROPERTIES
    if name.endswith((".yml", ".yaml")):
        return FileKind.YAML
    return FileKind.ENV


@dataclass(frozen=True)
class FilePlan:
    """One file: its bytes as read, as they would be after the edits, and which edits did (not) apply."""

    path: str
    kind: FileKind
    before: bytes
    after: bytes
    applied: tuple[Edit, ...] = ()
    refused: tuple[tuple[Edit, str], ...] = ()  # (edit, reason id)

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class Plan:
    files: tuple[FilePlan, ...] = ()
    env: tuple[Edit, ...] = ()  # environment variables to set (file None)
    refused: tuple[tuple[Edit, str], ...] = field(default=())  # all refusals, files' included

    @property
    def empty(self) -> bool:
        return not self.env and not any(f.changed for f in self.files)


# -- secrets --------------------------------------------------------------------------------------------

_SECRET_PART = re.compile(r"(?:^|[._\-\[\] ])(pass|password|passwd|pwd|secret|token|apikey|api_key|key|private|credentials?)"
                          r"(?:$|[._\-\[\] ])", re.I)


def is_secret_key(key: str) -> bool:
    """SMTP_PASS, EMAIL_HOST_PASSWORD, spring.mail.password, `[auth.email.smtp] pass`, STRIPE_SECRET_KEY..."""
    return bool(_SECRET_PART.search(key))


def _url_passwords(value: str) -> list[str]:
    from smtpdoctor.redact import url_passwords

    return [unquote(p) for p in url_passwords(value)]


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), quote(secret, safe="").lower()}


def _secrets_written(edit: Edit, run_secrets: Iterable[str]) -> list[str]:
    """The secrets the edit's value would put into the file: itself for a password key, a URL's password,
    and any of the run's secrets it contains in any spelling."""
    value = edit.value or ""
    found = [value] if value and is_secret_key(edit.key) else []
    found += [p for p in _url_passwords(value) if p]
    found += [s for s in run_secrets if s and any(f in value for f in _forms(s))]
    return found


def _holds(original: str, secret: str) -> bool:
    return any(form in original for form in _forms(secret))


# -- one file -------------------------------------------------------------------------------------------

def _format(kind: FileKind):
    from smtpdoctor.prescribe import envfile, propertiesfile, tomlfile, yamlfile

    return {FileKind.ENV: envfile, FileKind.PROPERTIES: propertiesfile, FileKind.YAML: yamlfile,
            FileKind.TOML: tomlfile}[kind]


_MISSING = object()


def _reads_as(key: str, value: str | None, before: dict, after: dict) -> bool:
    """The edited text reads as intended: the key holds the new value (or is gone), nothing else changed."""
    if value is None:
        if key in after:
            return False
    else:
        got = after.get(key, _MISSING)
        if got is _MISSING:
            return False
        shown = ("true" if got else "false") if isinstance(got, bool) else str(got)
        if shown != value:
            return False
    # An empty parent (`mail:` with nothing under it) that now holds the key is no other value changed.
    before = {k: v for k, v in before.items() if k != key and not (v in ("", None) and key.startswith(k + "."))}
    return before == {k: v for k, v in after.items() if k != key}


def _in_clear(edit: Edit) -> Edit:
    """The edit with the value to write: `clear_value` when the report's value is redacted (a DSN's password)."""
    clear = getattr(edit, "clear_value", edit.value)
    return edit if clear == edit.value else Edit(edit.file, edit.key, clear, None)


def apply_edits(data: bytes, kind: FileKind, edits: Sequence[Edit], secrets: Iterable[str] = ()
                ) -> tuple[bytes, tuple[Edit, ...], tuple[tuple[Edit, str], ...]]:
    """`data` with the edits applied one by one; each either applies whole (and reads back as intended) or
    is refused with a reason id. Bytes that are not valid UTF-8 survive untouched (surrogateescape)."""
    text = data.decode("utf-8", "surrogateescape")
    bom = BOM if text.startswith(BOM) else ""
    text = text[len(bom):]
    original = text
    secrets = [s for s in secrets if s]
    applied: list[Edit] = []
    refused: list[tuple[Edit, str]] = []
    for given in edits:
        edit = _in_clear(given)
        try:
            if edit.value is not None and MASK in edit.value:  # a redacted report's edit: the real value is not in it
                raise Refused("masked")
            if any(not _holds(original, s) for s in _secrets_written(edit, secrets)):
                raise Refused("secret")
            fmt = _format(kind)
            edited = fmt.edit(text, edit)
            key = fmt.normal_key(edit.key) if hasattr(fmt, "normal_key") else edit.key
            if not _reads_as(key, edit.value, fmt.values(text), fmt.values(edited)):
                raise Refused("not_as_intended")
        except Refused as refusal:
            refused.append((given, refusal.reason))
            continue
        text = edited
        applied.append(given)
    return (bom + text).encode("utf-8", "surrogateescape"), tuple(applied), tuple(refused)


# -- many files -----------------------------------------------------------------------------------------

def read_file(path: str) -> bytes:
    from smtpdoctor.settings.model import read_settings_bytes

    return read_settings_bytes(Path(path), "fix.error.unreadable")


def plan_edits(edits: Iterable[Edit], secrets: Iterable[str] = (), read=read_file) -> Plan:
    """Group the edits by file (first one wins for a key edited twice) and apply each file's in memory."""
    by_file: dict[str, list[Edit]] = {}
    env: list[Edit] = []
    seen: set[tuple[str | None, str]] = set()
    for edit in edits:
        if (edit.file, edit.key) in seen:
            continue
        seen.add((edit.file, edit.key))
        if edit.file is None:
            env.append(edit)
        else:
            by_file.setdefault(edit.file, []).append(edit)
    secrets = list(secrets)
    files: list[FilePlan] = []
    refused: list[tuple[Edit, str]] = []
    for path, mine in by_file.items():
        before = read(path)
        kind = kind_of(path)
        after, applied, not_applied = apply_edits(before, kind, mine, secrets)
        files.append(FilePlan(path, kind, before, after, applied, not_applied))
        refused += not_applied
    return Plan(tuple(files), tuple(env), tuple(refused))


# -- showing it -----------------------------------------------------------------------------------------

def masked_line(kind: FileKind, line: str) -> str:
    """A line as it may be shown: the value of a secret-looking key and any URL's password masked."""
    body, end = split_line_end(line)
    if kind is FileKind.ENV:
        from smtpdoctor.prescribe.envfile import HEAD

        m = HEAD.match(body)
        key = m.group("key") if m and m.group("eq") else None
    elif kind is FileKind.PROPERTIES:
        m = re.match(r"[ \t\f]*(?P<key>[^=:\s#!]+)(?P<eq>[ \t\f]*[=:\s][ \t\f]*)", body)
        key = m.group("key") if m else None
    else:
        m = re.match(r"[ \t]*(?:- )?(?P<key>[\"']?[^\s:=#\"']+[\"']?)(?P<eq>[ \t]*[:=][ \t]*)", body)
        key = m.group("key").strip("\"'") if m else None
    if key and m and is_secret_key(key) and body[m.end():].strip():
        return body[:m.end()] + MASK + end
    return _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "@", body) + end


# scheme://user:PASSWORD@host, the password up to the last "@" before a space: a broken DSN whose password holds an
# unencoded "@", "#" or "/" is masked whole, not cut where a URL parser would stop.
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://[^\s:@/]*:)\S*@")


def unified_diff(plan: FilePlan, context: int = 3) -> str:
    """The change as `diff -u` shows it (apply with `patch -p0`), secrets masked; '' when nothing changes.
    The hunks come from the real bytes, so a line whose only change is inside a masked password (a DSN
    percent-encoded) still shows as changed."""
    if not plan.changed:
        return ""

    def lines(data: bytes) -> list[str]:
        return data.decode("utf-8", "replace").removeprefix(BOM).splitlines(keepends=True)

    out = []
    for line in difflib.unified_diff(lines(plan.before), lines(plan.after), plan.path, plan.path, n=context):
        if line[:1] in " -+" and not line.startswith(("--- ", "+++ ")):
            line = line[0] + masked_line(plan.kind, line[1:])
        if not line.endswith(("\n", "\r")):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    return "".join(out)


def env_line(edit: Edit) -> str:
    """`KEY=value` to set in an environment (a platform's settings screen, a shell); secrets masked."""
    if edit.value is None:
        return f"unset {edit.key}"
    return masked_line(FileKind.ENV, f"{edit.key}={edit.value}")


# -- writing it -----------------------------------------------------------------------------------------

def write_atomic(path: str, data: bytes, expected: bytes | None = None) -> None:
    """Replace the file's content at once: a temporary file beside it, fsync, rename over it; the mode (and,
    where allowed, the owner) kept. A symlink is followed (the link stays a link). `expected`: the bytes the
    plan was made from; a file changed meanwhile is not overwritten (Refused("changed"))."""
    target = os.path.realpath(path)
    info = os.stat(target)
    if not stat.S_ISREG(info.st_mode):  # --env-file <(command), a device: nothing to replace in place
        raise Refused("not_a_file")
    if expected is not None and read_file(target) != expected:
        raise Refused("changed")
    directory = os.path.dirname(target) or "."
    fd, temporary = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(target) + ".", suffix=".smtpdoctor")
    try:
        with open(fd, "wb", closefd=True) as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
            try:
                os.fchown(handle.fileno(), info.st_uid, info.st_gid)
            except OSError:
                pass  # not ours to give away: the file keeps the writer's owner, and the mode
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def prescribed_edits(report) -> list[Edit]:
    """The edits of every error and warning of a Report, the most important finding's first."""
    from smtpdoctor.report import Severity

    return [edit for f in report.findings if f.severity in (Severity.ERROR, Severity.WARNING)
            and getattr(f, "prescription", None) is not None for edit in f.prescription.edits]
