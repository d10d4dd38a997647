"""One evidence engine for server replies (`check`, which knows the command) and log records (`explain`,
which reads the command from the record): collect every piece of evidence, decide by strength.

Strength, strongest first (each level is a kind of evidence; the first level with a reading decides):
  1. provider_phrase   a provider's own wording (diagnoses.toml patterns with `provider`)
  2. enhanced_code     an exact enhanced status code with a defined meaning, in its command's context
                       (enhanced_codes.toml: RFC 3463, the IANA registry, provider-documented codes)
  3. phrase            a generic phrase of the catalog, or a standard wording (vocabularies.toml:
                       errno names and texts, timeouts, TLS library errors, client libraries' messages)
  4. enhanced_class    the registry meaning of the code's subject (X.1.* addresses, X.7.* security...)
  5. reply_code        the basic reply code after its command (reply_codes.toml: RFC 5321, 3207, 4954)
  6. wrapper           a client's wrapper token that only says which layer failed (EAUTH, ETLS...)
  7. generic           smtp.reply_error: an error reply with nothing more specific, quoting its meaning
The runner-up (the strongest reading with another code) is kept, so a report can say what competed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.knowledge.matcher import Matcher, status_meaning
from smtpdoctor.knowledge.status import StatusKnowledge
from smtpdoctor.report import Param

LEVELS = ("provider_phrase", "enhanced_code", "phrase", "enhanced_class", "reply_code", "wrapper", "generic")


@dataclass(frozen=True)
class Reply:
    """A status found in a record: the basic code and/or the enhanced code, as written."""

    basic: int | None
    enhanced: str | None  # "5.7.8"

    @property
    def klass(self) -> str:
        return self.enhanced[0] if self.enhanced else str(self.basic)[0]

    @property
    def failed(self) -> bool:
        return self.klass in "45"

    def shown(self) -> str:
        return " ".join(str(p) for p in (self.basic, self.enhanced) if p)


@dataclass(frozen=True)
class Reading:
    code: str
    kind: str  # one of LEVELS
    value: str  # what decided: the code, the phrase's id, the term
    command: str | None = None
    provider: str | None = None
    certain: bool = True
    params: dict[str, Param] = field(default_factory=dict)
    runner_up: Reading | None = None
    variant: str | None = None  # the catalog variant that explains this reading
    reply_code: int | None = None  # the basic code of the first failure reply the record quotes
    reply_status: str | None = None  # the enhanced code of the first failure reply that has one ("5.4.5")
    # Order among readings (not shown): a reply's own words that name the cause (a strong wording) come right after
    # a provider's phrase and before any status code, the longer wording first ("Sender verify failed" over the
    # "Unrouteable address" it quotes).
    rank: tuple[float, int] = (0.0, 0)

    @property
    def level(self) -> int:
        return LEVELS.index(self.kind)

    @property
    def order(self) -> tuple[float, int]:
        return self.rank if self.rank[0] else (float(self.level), 0)


# -- extraction ------------------------------------------------------------------------------------

# A reply as servers write it: "535 5.7.8 text", "535-5.7.8 text", "550 text". Not inside a word, a
# version ("nodemailer@4.7.0"), a path or an address; a unit after the number ("421 ms") disqualifies.
_REPLY = re.compile(r"(?<![\w.@/:=#+-])([245][0-5]\d)([ -]|$)(?:([245]\.\d{1,3}\.\d{1,3})(?![\w.]))?"
                    r"(?!\s*(?:ms|msec|s|sec|seconds?|bytes?|[kmg]b|%|px)\b)")
# Where a reply code without an enhanced code may stand: at the start of the text or a line, after
# punctuation that introduces a quote or a value (": 550", "'550", "(550", "<- 550", "| 550"), or after
# a word that announces it ("said 550", "reply 550", "response 550", "code 550", "failed 550").
_REPLY_LEAD = re.compile(r"(?:^|[:'\"(\[<>|*=]|\b(?:said|reply|response|responded|answered|code|failed|error|rejected|"
                         r"got|returned|S|smtp|SMTP))\W{0,3}$")
# Other ways logs carry the code: smtplib's tuple "(535, b'5.7.8 ...')", "code: 550", "responseCode: 535",
# Symfony's 'got code "530"', a bare "(535)", JavaMail's "nested exception ... 535", MailKit's
# "AuthenticationException: 535: text" (only after MailKit's own type names: "Error: 503: Service
# Unavailable" is an HTTP client's), nodemailer's "Invalid greeting. response=554 5.7.1 …".
# RFC 5321 §4.2.1 defines second digits 0-5 only: "TLS alert, unknown CA (560)" is curl's, not a reply.
_CODE_FORMS = re.compile(
    r"\((\d{3}),\s*b?['\"](?:([245]\.\d{1,3}\.\d{1,3})\b)?"
    r"|(?:responseCode|smtpCode|reply_?code|\bcode)\W{0,3}[:=]\s*['\"]?([2-5][0-5]\d)\b"
    r"|(?:got code \"?|smtp-server response: |failed: |code |(?:SmtpCommandException|SmtpProtocolException|AuthenticationException|ServiceNotAuthenticatedException): (?=[45]\d\d: ))([2-5][0-5]\d)\b"
    r"|(?:^|[\s(\[])\(([45][0-5]\d)\)"
    r"|\bresponse=([2-5][0-5]\d)(?:[ -]([245]\.\d{1,3}\.\d{1,3})(?![\w.]))?",
    re.I)
# curl's verbose trace of TLS records: "* TLSv1.3 (OUT), TLS alert, certificate expired (557):" (lib/vtls/openssl.c
# ossl_trace: the number is curl's own, the TLS content and message type).
_CURL_TLS_TRACE = re.compile(r"\((?:IN|OUT)\), TLS [\w ]{1,40}, [^\n]{0,80}$")
_ENHANCED = re.compile(r"(?<![\w.@/:=#+-])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.%-])")  # "5.4.5SMTP": PHPMailer glues
# An HTTP API's answer (a sending API's SDK error, a logged response): its 401/403/429 is an HTTP status, never an
# SMTP reply (RFC 9110 status codes share the numbers). The record says so by its shape or by the words around the
# number; an enhanced status code (X.Y.Z) is SMTP's own and still counts.
_HTTP_RECORD = re.compile(r'"?statusCode"?\s*[:=]|"ErrorCode"\s*:|"error_code"\s*:|\bResponseError\b|MailgunAPIError|'
                          r'BrevoError|\bHTTPError\b|\bHTTP Error \d{3}|An error occurred \(\w+\) when calling the|'
                          r'\bAPI error\b|\bapi error\b|\bStatus code: \d{3}', re.I)
_HTTP_BEFORE = re.compile(r"(?:\bHTTP(?:/[\d.]+)?|\bstatus(?:[ _]?code)?)\W{0,3}$", re.I)
_HTTP_AFTER = re.compile(r"\W{0,3}(?:Unauthorized|Forbidden|Not Found|Too Many Requests|Bad Request|Payment Required|"
                         r"Unprocessable Entity|Client Error)\b", re.I)
_SMTP_CONTEXT = re.compile(r"smtp|mail|auth|rcpt|starttls|ehlo|helo|postfix|exim|gsmtp|relay|mailbox|sender|"
                           r"recipient|response|reply|server", re.I)
# Perl's Net::Cmd invents "421 [Net::SMTP] Connection closed" when the socket ends: no server said it.
_INVENTED = re.compile(r"\s{0,8}\[Net::")
_SILENT_FAILURES = {"net.greeting_timeout", "net.reset"}
_IMPLICIT_TLS_PORT = re.compile(r"(?:port\W{0,3}|:)465\b(?![.\d])", re.I)
_WORDS = {"MAIL FROM": "MAIL", "RCPT TO": "RCPT", "END OF DATA": "DATA_END", "DATA END": "DATA_END", "CONN": "GREETING"}


# What the patterns read of one reply or log record: its first READ_LIMIT characters once multi-line replies
# are joined. A reply says what it means at its start; a hostile one ("551-5.1.1 5.1.1 ..." for 200 lines of
# 8 KiB) must not make every pattern run over megabytes. The raw text is cut first, at RAW_LIMIT characters
# (repeated reply codes and indentation are dropped by the join, so the raw text may be longer).
READ_LIMIT = 8 * 1024
RAW_LIMIT = 4 * READ_LIMIT
# A JSON log's "\ud83d" (JSON.stringify cutting a message mid-emoji) decodes to a lone surrogate: the reading
# sees U+FFFD there; what is shown is the log line as written, escape and all.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTINUED = re.compile(r"^(\d{3})[ -](?:([245]\.\d{1,3}\.\d{1,3})\s*)?")
_OPENS = re.compile(r"(?<!\d)(\d{3})-")  # "535-": a reply whose next line ("535 ...") continues it


def unwrap(text: str, limit: int = READ_LIMIT) -> str:
    """One line of text, at most `limit` characters: multi-line replies ("535-..." + "535 ...") and soft wraps
    joined with spaces."""
    out: list[list[str]] = []
    opened: set[str] = set()  # the codes written "NNN-" in out[-1]: a line starting with one continues it
    size = 0
    for line in text[:RAW_LIMIT].replace("\r", "").split("\n"):
        line = line.strip()
        if not line:
            continue
        m = _CONTINUED.match(line)
        if out and m and m.group(1) in opened:
            piece = line[m.end():]  # the same reply continues: drop the repeated code
            out[-1].append(piece)
        else:
            piece = line
            out.append([piece])
            opened = set()
        opened.update(_OPENS.findall(piece))
        size += len(piece) + 1
        if size > limit:
            break
    return " ".join(" ".join(parts) for parts in out)[:limit]


class _Spans:
    """Non-overlapping (start, end) spans, sorted: does a new one overlap any? (bisect, not a scan of all)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_right(self.starts, start)
        return (i > 0 and self.ends[i - 1] > start) or (i < len(self.starts) and self.starts[i] < end)

    def covers(self, pos: int) -> bool:
        i = bisect_right(self.starts, pos)
        return i > 0 and self.ends[i - 1] > pos

    def add(self, start: int, end: int) -> None:
        i = bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def replies_in(text: str) -> list[Reply]:
    """Every status in the record, in order of appearance; an enhanced code alone counts only in an SMTP context."""
    found: list[tuple[int, Reply]] = []
    taken = _Spans()
    http = _HTTP_RECORD.search(text) is not None
    for m in _REPLY.finditer(text):
        if _INVENTED.match(text, m.end()):
            continue
        basic = int(m.group(1))
        if m.group(3) is None and (http or _HTTP_BEFORE.search(text[max(0, m.start() - 16):m.start()])
                                   or _HTTP_AFTER.match(text, m.end(1))):
            taken.add(*m.span())
            continue  # an HTTP status
        if m.group(3) is None:
            if not (basic >= 400 or basic in (220, 221, 235, 250, 251, 334, 354)):
                continue
            if not _REPLY_LEAD.search(text[max(0, m.start() - 12):m.start()]):
                continue  # "the list has 530 entries": a number in a sentence, not a reply
        found.append((m.start(), Reply(basic, m.group(3))))
        taken.add(*m.span())
    for m in _CODE_FORMS.finditer(text):
        if taken.overlaps(*m.span()):
            continue  # the same code, already read in its plain form
        if _INVENTED.match(text, m.end()):
            continue
        enhanced = m.group(2) or m.group(7)
        if http and enhanced is None:
            continue  # an HTTP status in an API's answer
        if m.group(5) and _CURL_TLS_TRACE.search(text, max(0, m.start() - 160), m.start()):
            continue  # curl's trace numbers TLS messages: "TLS alert, certificate expired (557)"
        basic = next(int(g) for g in (m.group(1), m.group(3), m.group(4), m.group(5), m.group(6)) if g)
        found.append((m.start(), Reply(basic, enhanced)))
        taken.add(*m.span())
    context = None
    for m in _ENHANCED.finditer(text):
        if taken.covers(m.start()):
            continue
        if context is None:
            context = bool(found) or bool(_SMTP_CONTEXT.search(text))
        if context:
            found.append((m.start(), Reply(None, m.group(0))))
    found.sort(key=lambda item: item[0])
    # The same reply quoted twice in one record (message and responseCode) is one piece of evidence.
    return list(dict.fromkeys(reply for _, reply in found))


def command_in(text: str, knowledge: StatusKnowledge, cues=None) -> str | None:
    """The command a record's reply answered, from the last cue found in it (`cues`: those worth trying, all
    by default). QUIT is never that command: a client sends it after a refusal (a transcript's " -> QUIT"
    follows the reply it is leaving over)."""
    best: tuple[int, str] | None = None
    for cue in knowledge.commands if cues is None else cues:
        for m in cue.regex.finditer(text):
            word = cue.command or _command_word(m.group(cue.group))
            if word and word != "QUIT" and (best is None or m.end() >= best[0]):
                best = (m.end(), word)
    return best[1] if best else None


def _command_word(raw: str) -> str | None:
    word = " ".join(raw.upper().split())
    if word in _WORDS:
        return _WORDS[word]
    if word.startswith("AUTH"):
        return "AUTH"
    return word if word in ("GREETING", "EHLO", "HELO", "STARTTLS", "MAIL", "RCPT", "DATA", "QUIT") else None


# -- the engine ------------------------------------------------------------------------------------


class EvidenceEngine:
    def __init__(self, catalog: Catalog, knowledge: StatusKnowledge) -> None:
        from smtpdoctor.knowledge.matcher import needle_finder
        from smtpdoctor.logs.needles import needles_for, needles_of

        self.catalog = catalog
        self.knowledge = knowledge
        # Every regex's needles at once (the catalog's, the vocabulary's, the cues'): one read of the parsed-data cache
        derived = needles_of([*(p.regex for entry in catalog.entries.values() for p in entry.patterns if not p.needles),
                              *(t.regex.pattern for t in knowledge.terms if t.literal is None),
                              *(cue.regex.pattern for cue in knowledge.commands)])
        self.matcher = Matcher(catalog)
        # Each vocabulary term with the literals any match of it contains: only terms whose literals
        # occur in a record are tried (one Aho-Corasick pass instead of 180 searches).
        self._term_needles = [(term, frozenset([term.literal] if term.literal is not None
                                               else derived[term.regex.pattern] or needles_for(term.regex.pattern)))
                              for term in knowledge.terms]
        self._term_present = needle_finder(sorted({n for _, ns in self._term_needles for n in ns}))
        # needle -> the terms that contain it (their index, so that candidates keep the files' order): a record's few
        # needles name its few candidate terms, instead of every term being asked
        self._terms_of: dict[str, list[int]] = {}
        for index, (_, needles) in enumerate(self._term_needles):
            for needle in needles:
                self._terms_of.setdefault(needle, []).append(index)
        # The same for the command cues; a cue without a literal of its own (" ~> .") is always tried.
        self._cue_needles = [(cue, None if (found := derived[cue.regex.pattern]) is None else frozenset(found))
                             for cue in knowledge.commands]
        self._cue_present = needle_finder(sorted({n for _, ns in self._cue_needles if ns for n in ns}))

    def needles(self) -> set[str]:
        return self.matcher.all_needles() | self.knowledge.needles()

    def read(self, text: str, command: str | None = None, areas: tuple[str, ...] | None = None,
             frames: str | None = None) -> Reading | None:
        """The decisive reading of one record or reply; `command` when the caller knows it (the probe).

        `areas` (probe only) prefers codes of those areas among readings of the SAME strength: a reply
        to AUTH is read as an auth problem when the evidence is equally strong either way."""
        text = text[:RAW_LIMIT]
        if not text.isascii():
            text = _LONE_SURROGATE.sub("\ufffd", text)  # the matchers read UTF-8, which has no lone surrogate
        if '\\"' in text:
            text = text.replace('\\"', '"')  # a quoted log line's escaped quotes: the reply inside reads as written
        flat = unwrap(text)
        replies = replies_in(flat)
        if command is None and replies:  # the command only changes what a status code means
            present = self._cue_present(text.lower())
            command = command_in(text, self.knowledge, [cue for cue, needles in self._cue_needles
                                                        if needles is None or not present.isdisjoint(needles)])
        readings: list[Reading] = []
        self._phrases(flat, command, readings)
        self._statuses(flat, replies, command, readings)
        failure = any(not r.code.startswith("ok.") for r in readings) or any(r.failed for r in replies)
        self._terms(flat, command, readings, failure)
        if not readings:
            return None
        # Strongest kind first; among equals, the caller's areas, then the wording that says the most.
        # Strongest kind first; among equals, the caller's areas, then the catalog's own order (its patterns
        # are ordered by priority, provider first), then the vocabulary's. (Ordering equals by how much of
        # the record the wording covers was measured: it loses 1 point on the corpus, so it is not used.)
        readings.sort(key=lambda r: (r.order, 0 if areas is None or r.code.split(".")[0] in areas else 1))
        best = readings[0]
        if best.rank[0] and best.variant is None:
            # The reply's words come first only to overrule its number; where the exact code says the same,
            # the code (a registry meaning) is named as what decided.
            best = next((r for r in readings if r.kind == "enhanced_code" and r.code == best.code), best)
        if best.code.startswith("ok."):
            # A success must be unambiguous: a record that also says what went wrong ("Expected response code
            # 354 but got code 250", "250 Accepted … Connection closed unexpectedly") reports a failure.
            # A dropped or reset connection next to it is not enough: "250 … queued (after 1 failed attempt:
            # Connection reset by peer)" was sent.
            failure = next((r for r in readings if not r.code.startswith("ok.") and r.level <= _PHRASE_LEVEL
                            and r.code not in _CONNECTION_ENDS), None)
            best = failure or best
        if best.kind == "enhanced_code":
            # The code fixes the area ("5.7.8: credentials invalid"); a phrase of the same area may name the
            # cause more precisely ("... account is disabled"): the phrase refines, it does not contradict.
            area = best.code.split(".")[0]
            refinement = next((r for r in readings if r.kind == "phrase" and r.code != best.code
                               and r.code.split(".")[0] == area), None)
            if refinement is not None:
                best = replace(refinement, params={**best.params, **refinement.params})
        if best.code in _SILENT_FAILURES and _IMPLICIT_TLS_PORT.search(text):
            # RFC 8314: port 465 speaks TLS from the first byte. A client that waits there for a plain
            # greeting (or is dropped) is in the wrong TLS mode; the record names the port, so it decides.
            best = Reading("tls.wrong_mode", best.kind, best.value, best.command, best.provider, best.certain,
                           best.params)
        if best.variant is None:
            # The reply's code after its command may say more of the same finding than the wording or the enhanced
            # code that decided (a 554 greeting, "5.7.1 … not accepting messages": a refusal of the session, not an
            # outage): its variant is kept.
            told = next((r for r in readings if r.kind == "reply_code" and r.code == best.code and r.variant), None)
            if told is not None:
                best = replace(best, variant=told.variant)
        best = _structure(best, flat if frames is None else frames + "\n" + flat)
        if best.variant == "listed_ip":
            listed = _LIST_NAME.search(flat)
            if listed:
                best = replace(best, params={**best.params, "list": next(g for g in listed.groups() if g)})
            else:
                best = replace(best, variant="listed_unnamed")
        runner_up = next((r for r in readings if r.code != best.code), None)
        failed = next((r.basic for r in replies if r.failed and r.basic), None)
        status = next((r.enhanced for r in replies if r.failed and r.enhanced), None)
        return replace(best, runner_up=runner_up, reply_code=failed, reply_status=status)

    def _phrases(self, text: str, command: str | None, out: list[Reading]) -> None:
        for hit in self.matcher.all_matches(text):
            if hit.provider:
                kind = "provider_phrase"
            elif hit.weak:
                kind = "wrapper"  # a client's wrapper wording: the layer, not the cause
            else:
                kind = "phrase"
            out.append(Reading(hit.code, kind, hit.pattern, command, hit.provider, hit.certain and kind != "wrapper",
                               variant=hit.variant))

    def _statuses(self, text: str, replies: list[Reply], command: str | None, out: list[Reading]) -> None:
        failures = [r for r in replies if r.failed] or replies
        for reply in failures:
            if reply.enhanced:
                for entry in self.knowledge.enhanced_entries(reply.enhanced):
                    if entry.regex is not None and not entry.regex.search(text):
                        continue
                    if entry.registered is False and entry.regex is None and entry.code != reply.enhanced:
                        continue
                    finding = entry.finding_for(command)
                    if finding:
                        # A code whose meaning comes only from the command it answered (X.7.1 "not authorized":
                        # a sender at MAIL, a message at DATA_END) is weaker than a phrase naming the cause.
                        kind = "enhanced_code" if entry.finding else "enhanced_class"
                        out.append(Reading(finding, kind, reply.enhanced, command, entry.provider,
                                           certain=kind == "enhanced_code", params=self._params(reply)))
                        break
                klass, subject, _ = reply.enhanced.split(".")
                rule = self.knowledge.subjects.get(subject)
                finding = (rule.by_command.get(command or "") or rule.finding) if rule else None
                if finding:
                    out.append(Reading(finding, "enhanced_class", reply.enhanced, command, certain=False,
                                       params=self._params(reply)))
            if reply.basic is not None:
                rule = self.knowledge.reply_rule(reply.basic, command)
                if rule is not None and rule.finding and rule.finding != "smtp.reply_error":
                    exact = rule.code == str(reply.basic)
                    out.append(Reading(rule.finding, "reply_code", str(reply.basic), command,
                                       certain=exact and rule.command != "*", params=self._params(reply),
                                       variant=rule.variant))
            if reply.failed:
                out.append(Reading("smtp.reply_error", "generic", reply.shown(), command, certain=False,
                                   params=self._params(reply)))

    def _terms(self, text: str, command: str | None, out: list[Reading], failure: bool = True) -> None:
        lowered = text.lower()
        present = self._term_present(lowered)
        if not present:
            return
        pending: list[Reading] = []  # reply wordings: kept when the record reports a failure
        candidates = sorted({index for needle in present for index in self._terms_of.get(needle, ())})
        found = [(term, span) for term, _ in map(self._term_needles.__getitem__, candidates)
                 if (span := term.span_in(text, lowered)) is not None]
        for term, (start, end) in found:
            rank = (0.0, 0)
            if term.strong:
                # A strong wording inside a longer one is that one's word, not the reply's: Exim's own
                # "authentication required but server did not advertise AUTH support" is no "Authentication
                # required" from a server.
                if any(s <= start and end <= e and e - s > end - start for _, (s, e) in found):
                    continue
                rank = (0.5, start - end)
            kind = "provider_phrase" if term.provider else "wrapper" if term.weak else "phrase"
            reading = Reading(term.finding, kind, term.literal or term.regex.pattern, command, term.provider,
                              certain=not term.weak, variant=term.variant, rank=rank)
            (pending if term.needs_failure else out).append(reading)
        if pending and (failure or any(not r.code.startswith("ok.") for r in out)):
            out.extend(pending)  # "spam", "user unknown" in a line that reports no failure are just words

    @staticmethod
    def _params(reply: Reply) -> dict[str, Param]:
        subject = reply.enhanced.split(".")[1] if reply.enhanced else ""
        return {"reply": reply.shown(), "meaning": status_meaning(reply.klass, subject)}


# The list a blocklist refusal names: Postfix "blocked using zen.spamhaus.org", Exim "in a black list at
# zen.spamhaus.org", "listed at/on/in bl.spamcop.net"; Microsoft's own list has no DNS name.
_LIST_NAME = re.compile(r"blocked using ([\w.-]+\.[a-z]{2,})|black ?list at ([\w.-]+\.[a-z]{2,})|"
                        r"listed (?:at|on|in|by) ([\w.-]+\.[a-z]{2,})", re.I)
# EHLO keywords as logs show them: a list with STARTTLS and without AUTH is a server that offers login only after
# TLS (RFC 3207 §4.2: the client must discard what it knew and EHLO again; RFC 4954 §4: AUTH may be offered only then).
_EHLO_STARTTLS = re.compile(r"(?:^|[\s'\\n-])STARTTLS\b")
_EHLO_AUTH = re.compile(r"(?:^|[\s'\\n-])AUTH[ =](?:PLAIN|LOGIN|CRAM|DIGEST|XOAUTH|OAUTH|GSSAPI|NTLM|SCRAM)", re.I)
# A library's own frames name the step that failed: smtplib's connect() reading the greeting in getreply()
# (Lib/smtplib.py: connect -> getreply), JavaMail's readServerResponse from openServer, Net::SMTP's new -> response.
_GREETING_FRAMES = re.compile(r"in connect\b.{0,600}in getreply\b|openServer.{0,300}readServerResponse|"
                              r"Net::SMTP::new.{0,300}response", re.S)


# Amazon SES's "Email address is not verified. The following identities failed the check in region R: a, b": the
# sender, or — while the account is in the sandbox — a recipient that is no verified identity
# (https://docs.aws.amazon.com/ses/latest/dg/troubleshoot-error-messages.html; .../request-production-access.html).
_SES_IDENTITIES = re.compile(r"identities failed the check in region [\w-]{1,30}:\s{0,4}([^\s,'\"<>()]{1,254})")
# Where a record names its recipients: RCPT TO:<a>, a recipients-refused wrapper keyed by the address (smtplib's
# SMTPRecipientsRefused {'a': (554, ...)}, PHPMailer's "The following recipients failed: a: ..."), "to <a>".
_RECIPIENT_OF = re.compile(r"RCPT TO:\s{0,4}<([^>\s]{1,254})>|\{'([^'\s]{1,254})': \(\d{3}|recipients failed:\s{0,4}([^\s:,]{1,254})|"
                           r"\bto <([^>\s]{1,254})>|\brecipients=([^\s,]{1,254})", re.I)


def _ses_recipient_unverified(best: Reading, text: str) -> bool:
    """The identity SES failed is one of the message's recipients, not its sender: the sandbox's rule."""
    if best.code != "sender.unverified":
        return False
    failed = _SES_IDENTITIES.search(text)
    if failed is None:
        return False
    identity = failed.group(1).rstrip(".").lower()
    recipients = {next(g for g in m.groups() if g).lower() for m in _RECIPIENT_OF.finditer(text)}
    return identity in recipients or best.command == "RCPT"


def _structure(best: Reading, text: str) -> Reading:
    """What the record's structure says of the step: an EHLO list offering STARTTLS and no AUTH means TLS first
    (a client told "no AUTH" there never started TLS); frames of the greeting read mean a wait for the greeting."""
    if _ses_recipient_unverified(best, text):
        return replace(best, code="delivery.sandbox_restricted", variant=None)
    if best.code == "auth.not_supported" and _EHLO_STARTTLS.search(text) and not _EHLO_AUTH.search(text):
        return replace(best, code="auth.requires_tls", variant=None)
    if best.code in ("net.timeout", "net.egress_blocked") and _GREETING_FRAMES.search(text):
        return replace(best, code="net.greeting_timeout", variant=None)
    return best


_PHRASE_LEVEL = LEVELS.index("phrase")
_CONNECTION_ENDS = frozenset({"net.reset", "net.timeout", "smtp.connection_failed"})
_ENGINE: EvidenceEngine | None = None


def engine_for(catalog: Catalog) -> EvidenceEngine:
    global _ENGINE
    if _ENGINE is None or _ENGINE.catalog is not catalog:
        from smtpdoctor.knowledge.status import load_status_knowledge

        _ENGINE = EvidenceEngine(catalog, load_status_knowledge())
    return _ENGINE
