"""Turn the raw captures (OUT/<client>/<style>/<scenario>.txt) into tests/corpus/captured.jsonl, then validate it.

    python3 build_corpus.py [OUT] [JSONL]
    python3 build_corpus.py --append OUT [JSONL]

--append (used for the second batch of clients): the records already in JSONL stay byte for byte as they are;
the captures in OUT become new records with the next ids. A new text that normalizes to an existing record's
text is not added (that record cannot be changed to widen its codes).

Labels come from scenarios.py. When the same text (ports, timestamps and session ids aside) came out of
several scenarios, the text cannot tell them apart: the entry keeps the first capture and its expected codes
are the union of those scenarios' codes (plus smtp.connection_failed when they were connection-level faults).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import importlib  # noqa: E402
import os  # noqa: E402

# Round three (README "Round three"): CAPTURE_SCENARIOS=scenarios3, records "r3-NNNN" in round3.jsonl; a text equal
# to one in captured.jsonl is not added again.
SCENARIOS = importlib.import_module(os.environ.get("CAPTURE_SCENARIOS", "scenarios")).SCENARIOS
ROUND3 = os.environ.get("CAPTURE_SCENARIOS") == "scenarios3"

APPEND = "--append" in sys.argv
ARGS = [a for a in sys.argv[1:] if a != "--append"]
OUT = Path(ARGS[0]) if ARGS else Path("/tmp/capture/out")
JSONL = Path(ARGS[1]) if len(ARGS) > 1 else HERE.parent / "captured.jsonl"
CODES_MD = HERE.parents[2] / "docs" / "codes.md"

# out-dir name -> (client field, "<client> <version>"), style -> how it was printed
CLIENTS = {
    "nodemailer": ("nodemailer", "nodemailer 10.6.1"),
    "nodemailer6": ("nodemailer", "nodemailer 6.9.16"),
    "smtplib": ("smtplib", "Python 3.11.7 smtplib"),
    "django": ("django", "Django 5.2.19 (Python 3.11.7)"),
    "swaks": ("swaks", "swaks 20201014.0"),
    "curl": ("curl", "curl 7.88.1"),
    "phpmailer": ("phpmailer", "PHPMailer 6.6.3 (PHP 8.2)"),
    "ruby": ("ruby", "Ruby 3.1.2 net-smtp 0.3.1"),
    "go": ("go", "Go 1.19.8 net/smtp"),
    "javamail": ("javamail", "Jakarta Mail 2.0.0 (OpenJDK 17)"),
    # second batch (--append)
    "postfix": ("postfix", "Postfix 3.7.11 smtp(8) relay client"),
    "exim": ("exim", "Exim 4.96 smarthost client (GnuTLS)"),
    "msmtp": ("msmtp", "msmtp 1.8.23 (GnuTLS)"),
    "snail": ("s-nail", "s-nail 14.9.24"),
    "netsmtp": ("perl-net-smtp", "Perl 5.36 Net::SMTP (libnet 3.14)"),
    "aiosmtplib": ("aiosmtplib", "aiosmtplib 5.1.3 (Python 3.11.7)"),
    "symfony": ("symfony-mailer", "Symfony Mailer 5.4.53 (PHP 8.2)"),
    # round three
    "phpmailer_ru": ("phpmailer", "PHPMailer 6.6.3 (PHP 8.2) with setLanguage('ru')"),
}
NM = [("inspect", "console.error(err)"), ("message", "console.error(err.message)"),
      ("logger", "logger: true, last lines"), ("crash", "uncaught exception that ended the process")]
STYLES = {  # per out-dir, primary style first: a later style is kept only when it shows something new
    "nodemailer": NM, "nodemailer6": NM,
    "smtplib": [("exc", "traceback last line"), ("str", "print(e)"), ("debug", "set_debuglevel(1) tail")],
    "django": [("tb", "logged traceback tail")],
    "swaks": [("tail", "transcript tail")],
    "curl": [("sS", "-sS"), ("v", "-v tail")],
    "phpmailer": [("errorinfo", "Mailer Error: ErrorInfo"), ("debug", "SMTPDebug=2 tail")],
    "ruby": [("full", "uncaught exception"), ("inspect", "e.inspect")],
    "go": [("client", "smtp.NewClient steps, fmt.Println(err)"), ("sendmail", "smtp.SendMail, log.Printf")],
    "javamail": [("tostring", "e.toString()"), ("trace", "printStackTrace head")],
    "postfix": [("log", "maillog lines of the delivery attempt")],
    "exim": [("mainlog", "mainlog lines of the delivery attempt")],
    "msmtp": [("stderr", "stderr"), ("log", "--logfile line")],
    "snail": [("stderr", "stderr"), ("vv", "-vv tail")],
    "netsmtp": [("message", "code + message of the failing step"), ("debug", "Debug => 1 tail")],
    "aiosmtplib": [("exc", "traceback last line"), ("str", "str(e)")],
    "symfony": [("message", "exception message"), ("debug", "getDebug() tail")],
    "phpmailer_ru": [("errorinfo", "Mailer Error: ErrorInfo"), ("debug", "SMTPDebug=2 tail")],
}
# captures whose text shows that something failed but nothing of this fault: not recorded (README rule)
NO_SIGN = {  # (out-dir, style, scenario)
    ("aiosmtplib", "exc", "oldtls-ssl"): "SMTPConnectError with an empty reason: nothing tells it was TLS",
    ("aiosmtplib", "str", "oldtls-ssl"): "the same empty reason",
    ("netsmtp", "message", "pop3-port"): "a bare '421 ' that Net::Cmd makes up: nothing of the POP3 banner "
                                         "(its debug style, which shows the banner, is kept)",
}
PROVIDER_MARKERS = {
    "gmail": r"gsmtp|support\.google\.com",
    "outlook": r"5\.7\.139|5\.7\.3 |5\.7\.30|5\.7\.57|5\.7\.60|SendAsDenied|outlook\.com",
    "yahoo": r"AUTH005",
    "sendgrid": r"Sender Identity|Bad username / password",
    "ses": r"Throttling failure|Email address is not verified",
    "smtp2go": r"Incorrect authentication data|please authenticate|sender domain not verified",
    "brevo": r"Invalid login or password",
    "mailgun": r"Free accounts are for test purposes",
    "mailru": r"mail\.ru",
    "yandex": r"not owned by auth user",
}
SUCCESS = re.compile(r"250 2\.0\.0 Ok: queued as 4F2A1B2C3D")
FAILURE = re.compile(r"(?i)error|fail|refused|denied|reject|timeout|timed out|\*\*\*|<\*\*|exception|could not|curl: \(|(?:^|\s)[45]\d\d[ -]")
CLIENT_ORDER = ["nodemailer", "nodemailer6", "smtplib", "django", "swaks", "curl", "phpmailer", "ruby", "go", "javamail",
                "postfix", "exim", "msmtp", "snail", "netsmtp", "aiosmtplib", "symfony", "phpmailer_ru"]


def adjust(sc: dict, text: str) -> list[str]:
    """A scenario's codes, widened where this client's text shows a different symptom of the same fault."""
    codes = list(sc["expected"])
    if sc["name"] in ("auth-after-tls-only", "exim-auth-not-advertised") and "STARTTLS" not in text.upper():
        codes += [c for c in ("auth.not_supported",) if c not in codes]  # the text does not show STARTTLS offered
    if sc["name"] == "pop3-port" and "+OK" not in text:
        codes += ["net.greeting_timeout", "net.timeout"]  # the client never showed the POP3 banner, only a wait
    return codes


def normalize(text: str) -> str:
    t = re.sub(r"\b30\d{3}\b", "PORT", text)
    t = re.sub(r"\d{4}[-/]\d\d[-/]\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?Z?", "TS", t)
    t = re.sub(r"\[(?:#\d+\] \[)?[A-Za-z0-9+/=_-]{8,12}\]", "[SID]", t)
    t = re.sub(r"<[0-9a-f-]{20,}@[^>]*>", "<MSGID>", t)
    t = re.sub(r"Message-Id: <[^>]*>", "Message-Id: MSGID", t)
    t = re.sub(r"(?m)^(Date|messageTime|messageSize|envelopeTime): .*$", r"\1: X", t)
    t = re.sub(r"(?:Date: |date: ').*", "DATE", t)
    t = re.sub(r"'\<[^>]+@example\.test\>'", "'<MSGID>'", t)
    t = re.sub(r"messageId: '[^']*'", "messageId: X", t)
    t = re.sub(r"(messageTime|messageSize|envelopeTime): \d+", r"\1: N", t)
    t = re.sub(r"after \d+ ms", "after N ms", t)
    t = re.sub(r"\b[0-9A-F]{12,16}:error:", "HEX:error:", t)
    t = re.sub(r"\b(?:10\.6\.1|6\.9\.16)\b", "VER", t)
    t = re.sub(r"\(/tmp/capture/[^)]*\)", "(PATH)", t)
    t = re.sub(r"current time \S+ is after \S+", "current time T is after T", t)
    # second batch: syslog-style stamps, pids, Postfix queue ids and delays, Exim message ids, per-scenario
    # recipient domains, Perl handle addresses, per-run certificate serials and fingerprints
    t = re.sub(r"(?m)^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d", "TS", t)
    t = re.sub(r"\[\d+\]:", "[PID]:", t)
    t = re.sub(r"\b[0-9A-F]{9,14}: ", "QID: ", t)
    t = re.sub(r"delay=[\d.]+, delays=[\d./]+", "delay=N", t)
    t = re.sub(r"\b[0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}\b", "EXIMID", t)
    t = re.sub(r"\bd\d\d\.example\.test", "dNN.example.test", t)
    t = re.sub(r"GLOB\(0x[0-9a-f]+\)", "GLOB", t)
    t = re.sub(r"Testing (cert|CA) #\S+", r"Testing \1 #X", t)
    t = re.sub(r"(?:[0-9A-F]{2}:){31}[0-9A-F]{2}", "FP", t)
    t = re.sub(r"(notBefore|notAfter) = .*", r"\1 = X", t)
    return t


INFO_WORDS = ["refused", "reset", "timed out", "timeout", "certificate", "expired", "self-signed", "self signed",
              "hostname", "mismatch", "wrong version", "greeting", "closed", "eof", "handshake", "protocol",
              "unsupported", "not supported", "not available", "no suitable", "not offered"]


def tokens(text: str) -> set:
    """What a record tells: reply codes, enhanced status codes and error words."""
    low = text.lower()
    found = set(re.findall(r"(?<![\d.])[45]\d\d(?![\d.])", text)) | set(re.findall(r"\b[45]\.\d{1,3}\.\d{1,3}\b", text))
    return found | {w for w in INFO_WORDS if w in low}


def core(text: str) -> str:
    """The normalized text without stack-frame lines, for the 'shows nothing new' test."""
    lines = [l for l in normalize(text).split("\n") if not re.match(r"\s+(at |from )", l)]
    return "\n".join(lines).strip()


def main() -> None:
    known = set(re.findall(r"^\| `([a-z_]+\.[a-z_0-9]+)`", CODES_MD.read_text(), re.M))
    groups: dict[str, dict] = {}
    order: list[str] = []
    skipped = {"not utf-8 / control bytes": 0, "empty": 0, "success outside ok-*": 0}
    scen_names = list(SCENARIOS)
    seen_cores: dict = {}
    existing = [json.loads(line) for line in JSONL.read_text().splitlines()] if APPEND else []
    if ROUND3:  # the first corpus's captures are not recorded again
        first = [json.loads(line) for line in (HERE.parent / "captured.jsonl").read_text().splitlines()]
        existing_keys = {normalize(e["text"]) for e in existing + first}
    else:
        existing_keys = {normalize(e["text"]) for e in existing}
    first_id = max((int(e["id"].split("-")[1]) for e in existing), default=0) + 1
    for outdir in CLIENT_ORDER:
        base = OUT / outdir
        if not base.is_dir():
            continue
        present = {p.name for p in base.iterdir()}
        for style, _ in STYLES[outdir]:
            if style not in present:
                continue
            for name in scen_names:
                f = base / style / f"{name}.txt"
                if not f.exists():
                    continue
                raw = f.read_bytes()
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    skipped["not utf-8 / control bytes"] += 1
                    continue
                if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]", text):  # TLS bytes read as text
                    skipped["not utf-8 / control bytes"] += 1
                    continue
                text = text.rstrip("\r\n")  # only the trailing line end; a CR inside (PHPMailer) is kept
                lines = text.split("\n")
                if len(lines) > 17:  # "at most ~15 lines"
                    text = "\n".join(lines[:15])
                if outdir == "django":  # the excerpt starts at a frame line, not mid-frame
                    while len(lines) > 1 and not lines[0].startswith(("  File", "Traceback")):
                        lines = lines[1:]
                    text = "\n".join(lines)
                if not text.strip():
                    skipped["empty"] += 1
                    continue
                if (outdir, style, name) in NO_SIGN:
                    skipped["no sign of the fault"] = skipped.get("no sign of the fault", 0) + 1
                    continue
                sc = SCENARIOS[name]
                ok_text = bool(SUCCESS.search(text)) and not FAILURE.search(text.split("4F2A1B2C3D", 1)[1])
                if outdir.startswith("nodemailer") and style == "logger" and "] ERROR " not in text:
                    ok_text = True  # nodemailer's info-level log of a send that went through
                if ok_text and not name.startswith("ok-"):
                    skipped["success outside ok-*"] += 1
                    continue
                if name.startswith("ok-") and not ok_text and outdir not in ("nodemailer", "nodemailer6"):
                    skipped["empty"] += 1
                    continue
                key = normalize(text)
                if key in existing_keys:  # another client's record already has this text: not kept for this one
                    skipped["same text as an existing record"] = skipped.get("same text as an existing record", 0) + 1
                    continue
                kept_here = seen_cores.setdefault((outdir, name), [])
                c = core(text)
                if kept_here and (any(c in k for k in kept_here) or not (tokens(c) - set().union(*map(tokens, kept_here)))):
                    skipped["nothing new vs an earlier style"] = skipped.get("nothing new vs an earlier style", 0) + 1
                    continue
                kept_here.append(c)
                if key not in groups:
                    groups[key] = dict(text=text, outdir=outdir, style=style, scenarios=[name])
                    order.append(key)
                elif name not in groups[key]["scenarios"]:
                    groups[key]["scenarios"].append(name)
    entries = []
    for i, key in enumerate(order, first_id):
        g = groups[key]
        scs = [SCENARIOS[n] for n in g["scenarios"]]
        client, label = CLIENTS[g["outdir"]]
        expected: list[str] = []
        for s in scs:
            expected += [c for c in adjust(s, g["text"]) if c not in expected]
        distinct = {tuple(s["expected"]) for s in scs}
        if len(distinct) > 1 and any(c.split(".")[0] in ("net", "tls") for s in scs for c in s["expected"]):
            if "smtp.connection_failed" not in expected:
                expected.append("smtp.connection_failed")
        elif len(distinct) > 1 and len({c.split(".")[0] for c in expected}) > 1 and "smtp.reply_error" not in expected:
            expected.append("smtp.reply_error")  # replies of different kinds that the text cannot tell apart
        providers = {s["provider"] for s in scs}
        provider = None
        if len(providers) == 1:
            p = providers.pop()
            if p and re.search(PROVIDER_MARKERS[p], g["text"]):
                provider = p
        first = scs[0]
        if len(scs) == 1:
            note = first["note"]
        else:
            note = (f"{first['note']}. The same text came out of {len(scs)} scenarios ({', '.join(g['scenarios'])}), "
                    "so the codes of any of them are acceptable")
        entries.append(dict(
            id=f"{'r3' if ROUND3 else 'cap'}-{i:04d}", text=g["text"],
            source=f"captured: {label} [{dict(STYLES[g['outdir']])[g['style']]}] vs {g['scenarios'][0]}",
            client=client, provider=provider, expected=expected, note=note))
    with JSONL.open("a" if APPEND else "w") as fh:  # --append: the existing records are not rewritten
        for e in entries:
            fh.write(json.dumps(e, ensure_ascii=False) + "\n")
    # --- validate ---
    ids, texts = set(), set()
    bad = []
    for n, line in enumerate(JSONL.read_text().splitlines(), 1):
        e = json.loads(line)
        assert set(e) == {"id", "text", "source", "client", "provider", "expected", "note"}, n
        if e["id"] in ids or e["text"] in texts:
            bad.append(("duplicate", n))
        ids.add(e["id"]); texts.add(e["text"])
        for c in e["expected"]:
            if c not in known:
                bad.append(("unknown code", c, n))
        if e["text"].count("\n") >= 17:
            bad.append(("too long", n))
    print(f"{len(entries)} entries, skipped {skipped}, problems: {bad or 'none'}")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
