"""Which failure a log match belongs to: one failure is told on several lines (the server's reply, the
client's wrapper around it, the hang-up after it, the summary at the end), and each failure must be one
diagnosis, not one per line.

A line belongs to the failure before it when it follows at once (adjacency), or, where the log names its
session (a Postfix process, an Exim message id, nodemailer's connection id), when it is a later line of the
same session. A layer-only wrapper printed BEFORE the reply it wraps ("msmtp: authentication failed" and then
"msmtp: server message: 535 …") waits for the next match and joins it; so does a reply read only by its class
when the next line tells the same reply with its command (a transcript's server line, then the client's summary).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from smtpdoctor.logs.scan import LogMatch

# What a client says after a failure it has just reported: RFC 5321 §3.8: a 421 reply announces that the
# server closes the channel; after any final refusal a client QUITs or drops the connection, and libraries
# then report "closed unexpectedly" / "could not connect"; a client's summary line names only the layer
# ("SMTP Error: Could not authenticate.") or repeats the reply code ("curl: (55) MAIL failed: 530"). Right
# after the failure, these lines are that failure's consequence, not a second one.
CONSEQUENCES = frozenset({"net.reset", "smtp.connection_failed"})
# It must follow at once: the next match, at most GAP_LINES after the failure's last line (a client's "-> QUIT"
# may stand between), and, when both lines carry a timestamp, within a minute. A line that only names the
# layer or repeats the failure may come later: after the client's QUIT and the server's 221 (PHPMailer's
# SMTPDebug transcript prints "SMTP Error: Could not authenticate." last, curl its "(67) Login denied").
GAP_LINES = 2
WRAPPER_GAP_LINES = 6
SESSION_GAP_LINES = 100  # lines of one named session, other sessions' lines between them
_STAMP = re.compile(r"^\W{0,2}(\d{4}-\d\d-\d\d[T ]\d\d:\d\d|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d)")
# Readings decided by a status number alone, not by words: a line read so only repeats a code.
_BY_NUMBER = frozenset({"enhanced_code", "enhanced_class", "reply_code", "generic"})
# A session the log names, near the line's start:
#   Postfix: "postfix/smtp[31383]: …" - one delivery agent process delivers one message at a time
#     (https://www.postfix.org/smtp.8.html; its warnings carry no queue id, its status line does);
#   Exim: the message id after the timestamp, "1xWbDq-0001tg-1w" or, from 4.97, "1xWbDq-000000001tg-0001"
#     (https://www.exim.org/exim-html-current/doc/html/spec_html/ch-log_files.html);
#   nodemailer's logger: "[2025-01-01 10:00:00] INFO  [oWBkgCl08xU] …", the connection id
#     (nodemailer lib/shared/index.js getLogger: "[%s] %s %s" with the component's id);
#   sendEmail: "Dec 06 12:59:25 host sendEmail[9134]: …", its process - one run sends one message
#     (http://caspian.dotconf.net/menu/Software/SendEmail/, printmsg).
_SESSION = re.compile(r"\b(postfix[\w.-]*/[\w/.-]+\[\d+\]):|\b((?i:sendemail)\[\d+\]):"
                      r"|^\W{0,2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [+-]\d{4})? (?:\[\d+\] )?"
                      r"(\w{6}-\w{6,11}-\w{2,4}) "
                      r"|\b(?:TRACE|DEBUG|INFO|WARN|ERROR|FATAL) {1,3}\[(#?[\w-]{1,24})\] ")


def session_of(text: str) -> str | None:
    found = _SESSION.search(text[:200])
    return next((g for g in found.groups() if g), None) if found else None


@dataclass
class _Failure:
    cause: LogMatch
    end: int  # the last line told of it so far
    session: str | None


def _same_reply(a: LogMatch, b: LogMatch) -> bool:
    """Do both records quote the same reply? Go's net/smtp prints a multi-line reply's later lines with the
    enhanced code only ("5.4.5 sending limits go to"): the code then decides."""
    ra, rb = a.reading, b.reading
    if ra.reply_status is not None and rb.reply_status is not None and ra.reply_status != rb.reply_status:
        return False  # "550 5.7.1 …" and "550 5.7.26 …" are two replies
    if ra.reply_code is not None and rb.reply_code is not None:
        return ra.reply_code == rb.reply_code
    return ra.reply_status is not None and ra.reply_status == rb.reply_status


def _repeats(m: LogMatch, cause: LogMatch) -> str | None:
    """How `m` repeats `cause`'s failure: "layer" (it names the layer, or says the same failure again, or repeats
    its reply's number), "reply" (the same reply read less well), "after" (the hang-up after a refusal), or None."""
    r, c = m.reading, cause.reading
    # a reply other than the one the failure quoted: another failure
    own_reply = r.reply_code is not None and c.reply_code is not None and not _same_reply(m, cause)
    if r.kind == "wrapper" and not own_reply:
        return "layer"
    if m.code == cause.code and (r.reply_code is None or _same_reply(m, cause)):
        return "layer"  # the same failure, said again ("curl: (67) Login denied" after "535 …")
    if r.kind in _BY_NUMBER and r.order > c.order:
        if c.reply_code is None and r.reply_code is not None and (m.code == cause.code or r.kind == "generic"):
            # the reply's words, then its bare code on the client's next line (PHPMailer's "SMTP code: 554"); a code
            # that means something else (a 535 after a timeout) is a failure of its own
            return "layer"
        if _same_reply(m, cause):
            return "layer"  # the reply's number again ("* Got unexpected smtp-server response: 554")
    if m.code in CONSEQUENCES:
        return "after" if c.reply_code is not None else None  # the hang-up after a server's refusal
    if not _same_reply(m, cause):
        return None
    # The same reply told again and read less well: "535 … basic authentication is disabled" then "535 5.7.3
    # Authentication unsuccessful" are two replies, but the same basic and enhanced code, read no better (a
    # wrapped reply's next lines, PHPMailer's "Detail: …" after its summary), is the same one.
    if r.order > c.order or (r.order == c.order and m.code == cause.code):
        return "reply"
    if r.order >= c.order and r.reply_code == c.reply_code and r.reply_status == c.reply_status:
        return "reply"
    return None


def _area(m: LogMatch) -> str:
    return m.code.split(".")[0]


def _within_a_minute(a: LogMatch, b: LogMatch) -> bool:
    """Told within about a minute of each other (or not both stamped): the same minute or the next, since two
    lines a second apart can straddle a minute's turn (a client's connect timing out at :58, its hang-up at :02)."""
    stamps = _STAMP.match(a.text), _STAMP.match(b.text)
    if not all(stamps) or stamps[0].group(1) == stamps[1].group(1):
        return True
    first, second = _minute_of(stamps[0].group(1)), _minute_of(stamps[1].group(1))
    return first is not None and second is not None and abs(first - second) <= 1


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _minute_of(stamp: str) -> int | None:
    """A `_STAMP` minute ("2026-12-06 13:21", "Dec  6 13:21") as minutes on one scale where every month has
    31 days: neighbouring minutes are one apart, except across the end of a shorter month and, for syslog
    stamps (no year), the year's turn; those lines are then taken as far apart, the cautious side."""
    if stamp[0].isdigit():
        month, day = int(stamp[5:7]), int(stamp[8:10])
        year, clock = int(stamp[:4]), stamp[11:16]
    elif stamp[:3] in _MONTHS:
        month, day = _MONTHS.index(stamp[:3]) + 1, int(stamp[4:6])
        year, clock = 0, stamp[7:12]
    else:
        return None
    return (((year * 12 + month) * 31 + day) * 24 + int(clock[:2])) * 60 + int(clock[3:5])


class FailureThreads:
    """Feed every match in order; each call returns the (owner, line) pairs settled by it, in line order: a
    line whose owner is itself is a diagnosis of its own, any other owner means "one more line of that one"."""

    def __init__(self, can_cause: Callable[[LogMatch], bool]) -> None:
        self.can_cause = can_cause  # a failure the text states (no wrapper): one that later lines may repeat
        self._latest: _Failure | None = None
        self._by_session: dict[str, _Failure] = {}
        self._waiting: LogMatch | None = None  # a wrapper or a bare reply that the next line may tell better

    def feed(self, m: LogMatch) -> list[tuple[LogMatch, LogMatch]]:
        out: list[tuple[LogMatch, LogMatch]] = []
        session = session_of(m.text)
        failure = self._failure_for(session)
        waiting, self._waiting = self._waiting, None
        if failure is not None and self._continues(m, failure, session):
            if waiting is not None:
                out.append((waiting, waiting))
            failure.end = max(failure.end, m.line + m.lines - 1)
            out.append((failure.cause, m))
            return out
        if waiting is not None:
            if self.can_cause(m) and self._introduces(waiting, m, session) and (
                    waiting.reading.kind == "wrapper" or _same_reply(waiting, m)):
                out += [(m, waiting), (m, m)]
                self._remember(m, session)
                return out
            if (m.reading is not None and m.reading.kind == "wrapper" == waiting.reading.kind
                    and _area(m) == _area(waiting) and self._introduces(waiting, m, session)):
                # The same layer named again with no reply between (PHPMailer prints "Could not authenticate." after
                # its QUIT and once more in ErrorInfo): one failure, which later wrappers of that layer repeat too.
                out += [(waiting, waiting), (waiting, m)]
                self._remember(waiting, session_of(waiting.text))
                self._latest.end = m.line + m.lines - 1
                return out
            out.append((waiting, waiting))
            if waiting.reading.kind == "generic" and self.can_cause(waiting):
                # told no better on the next line: a failure of its own, which this line may repeat (its hang-up)
                self._remember(waiting, session_of(waiting.text))
                failure = self._failure_for(session)
                if failure is not None and self._continues(m, failure, session):
                    failure.end = max(failure.end, m.line + m.lines - 1)
                    out.append((failure.cause, m))
                    return out
            else:
                self._forget(session_of(waiting.text))
        if m.reading is not None and m.reading.kind in ("wrapper", "generic"):
            # A wrapper may name the layer of the reply on the next lines; a reply read only by its class may be
            # the one the next line tells with its command (a transcript's "SERVER -> CLIENT: 550 5.7.1 …", then
            # PHPMailer's "SMTP ERROR: MAIL FROM command failed: 550 5.7.1 …"): both wait for that line.
            self._waiting = m
            return out
        out.append((m, m))
        if self.can_cause(m):
            self._remember(m, session)
        else:
            self._forget(session)  # a success or a guess between: what follows is not the earlier failure's
        return out

    def flush(self) -> list[tuple[LogMatch, LogMatch]]:
        """At a file's end: a wrapper or a bare reply still waiting is a diagnosis of its own."""
        waiting, self._waiting = self._waiting, None
        self._latest = None
        self._by_session.clear()
        return [(waiting, waiting)] if waiting is not None else []

    def _forget(self, session: str | None) -> None:
        self._latest = None
        if session is not None:
            self._by_session.pop(session, None)

    def _remember(self, m: LogMatch, session: str | None) -> None:
        failure = _Failure(m, m.line + m.lines - 1, session)
        self._latest = failure
        if session is not None:
            self._by_session[session] = failure
            if len(self._by_session) > 4096:  # a long log's sessions: only recent ones can still continue
                for key in list(self._by_session)[:2048]:
                    del self._by_session[key]

    def _failure_for(self, session: str | None) -> _Failure | None:
        latest = self._latest
        if session is not None and session in self._by_session:
            return self._by_session[session]
        if latest is None or (session is not None and latest.session is not None):
            return None  # another session's failure
        return latest

    def _continues(self, m: LogMatch, failure: _Failure, session: str | None) -> bool:
        cause = failure.cause
        if m.file != cause.file or m.reading is None or cause.reading is None or not _within_a_minute(m, cause):
            return False
        if cause.reading.kind == "wrapper" and m.reading.kind != "wrapper":
            return False  # a stated failure is never hidden under a wrapper's diagnosis
        gap = m.line - failure.end
        if gap <= 0:
            return False
        if session is not None and session == failure.session and gap <= SESSION_GAP_LINES:
            # One session, one failure at a time: a later line that quotes no other reply and reads no
            # stronger (Postfix's "status=deferred (Cannot start TLS: handshake failure)" after its TLS warning)
            # tells the same failure.
            if _repeats(m, cause) or (m.reading.order >= cause.reading.order
                                      and (m.reading.reply_code is None or _same_reply(m, cause))):
                return True
        how = _repeats(m, cause)
        if how is None:
            return False
        if how == "layer" and m.reading.kind == "wrapper" and _area(m) == _area(cause):
            # A client's wrapper of the same layer, with no success or other failure between (either would have ended
            # this thread): PHPMailer at SMTPDebug 3-4 prints its QUIT exchange and low-level reads before "SMTP Error:
            # Could not authenticate.", further than adjacency reaches.
            return gap <= SESSION_GAP_LINES
        return gap <= (WRAPPER_GAP_LINES if how == "layer" else GAP_LINES)

    @staticmethod
    def _introduces(wrapper: LogMatch, m: LogMatch, session: str | None) -> bool:
        """Is `m` the reply `wrapper` announced: right after it, in the same session when both name one?"""
        if wrapper.file != m.file or not _within_a_minute(wrapper, m):
            return False
        other = session_of(wrapper.text)
        if session is not None and other is not None and session != other:
            return False
        return 0 < m.line - (wrapper.line + wrapper.lines - 1) <= WRAPPER_GAP_LINES
