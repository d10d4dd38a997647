"""Append the command-line mail clients of round three's second capture to tests/corpus/round3.jsonl.

    python3 build_round3_cli.py OUT1 OUT3 [JSONL]

OUT1 holds captures against scenarios.py's servers, OUT3 against scenarios3.py's (each OUT/<client>/<style>/
<scenario>.txt, as the drivers write them). The rules are build_corpus.py's (README "How records are chosen and
labelled"), with its normalize/tokens/core/adjust: byte-for-byte text, at most ~15 lines, a later style only when it
shows something new, a text equal (normalized) to one already in captured.jsonl or round3.jsonl is not added, and a
text that came out of several scenarios (of either set) is one record whose codes are the union of theirs. Labels come
from the scenario definitions only. The records already in JSONL stay byte for byte; new ids continue "r3-NNNN".
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import build_corpus as bc  # noqa: E402
import scenarios  # noqa: E402
import scenarios3  # noqa: E402

SETS = {"1": scenarios.SCENARIOS, "3": scenarios3.SCENARIOS}
# out-dir -> (client field, "<client> <version>"), styles in order (the first is primary)
CLIENTS = {
    "mutt": ("mutt", "Mutt 2.2.12 (GnuTLS, GNU SASL)", [("out", "stderr+stdout"), ("debug", "-d 2 debug file tail")]),
    "sendemail": ("sendemail", "sendEmail 1.56 (IO::Socket::SSL 2.081)", [("out", "stdout+stderr"), ("v", "-v tail")]),
    "mailutils": ("mailutils", "GNU Mailutils 3.15 mail", [("stderr", "stderr"),
                                                           ("prot", "--debug-level=mailer.prot tail")]),
    "msmtp": ("msmtp", "msmtp 1.8.23 (GnuTLS)", [("stderr", "stderr"), ("log", "--logfile line")]),
    "snail": ("s-nail", "s-nail 14.9.24", [("stderr", "stderr"), ("vv", "-vv tail")]),
    # the wrapper libraries (README "Round three: mail wrapper libraries")
    "yagmail": ("yagmail", "yagmail 0.16.0 (smtplib, Python 3.11)", [("exc", "last traceback line")]),
    "flask-mail": ("flask-mail", "Flask-Mail 0.10.0 (Flask 3.1.3, smtplib)", [("exc", "last traceback line")]),
    "fastapi-mail": ("fastapi-mail", "fastapi-mail 1.6.8 (aiosmtplib 5.1.3)", [("exc", "last traceback line")]),
    "redmail": ("redmail", "Red Mail 0.6.0 (smtplib)", [("exc", "last traceback line")]),
    "emailjs": ("emailjs", "emailjs 5.0.3 (Node 20)", [("message", "console.error(err.message)"),
                                                      ("inspect", "console.error(err)")]),
    "commons-email": ("commons-email", "Apache Commons Email 1.5 (javax.mail 1.6.5)",
                      [("log", "e.toString() + getCause() chain first lines")]),
}
# captures whose text shows that something failed but nothing of the fault (README rule): not recorded
NO_SIGN: dict[tuple[str, str, str], str] = {
    ("sendemail", "out", "hang-after-ehlo"): "only IO::Socket::SSL's 'Use of uninitialized value' warning: sendEmail "
                                             "printed no error when its read timed out",
    ("sendemail", "v", "hang-after-ehlo"): "the -v log just stops after 'Sending: MAIL FROM': no error line at all",
    ("fastapi-mail", "exc", "oldtls-ssl"): "aiosmtplib's connect error with an empty reason ('on port N: , check your "
                                           "credentials'): nothing says the TLS handshake failed",
}

# a mutt debug excerpt of nothing but its start-up and the connect: the failure (a TLS handshake) left no line
MUTT_STARTUP = re.compile(r"\[[\d: -]+\] (?:Mutt/|Reading configuration file|Setting \$hostname|\$hostname set to|"
                          r"Connected to \S+ on fd=\d+$)")


def normalize(text: str) -> str:
    """build_corpus's normalizing, plus round three's ports (31000 on) and the clients' own per-run bits."""
    t = re.sub(r"\b3[01]\d{3}\b", "PORT", text)
    t = re.sub(r"/var/tmp/mutt-\S+", "MUTTTMP", t)
    t = re.sub(r"\bfd=\d+", "fd=N", t)
    t = re.sub(r"file:///tmp/\S+?/node_modules/", "file:///NM/", t)  # the install dir of the npm package
    return bc.normalize(t)


def main() -> None:
    out1, out3 = Path(sys.argv[1]), Path(sys.argv[2])
    jsonl = Path(sys.argv[3]) if len(sys.argv) > 3 else HERE.parent / "round3.jsonl"
    known = set(re.findall(r"^\| `([a-z_]+\.[a-z_0-9]+)`", bc.CODES_MD.read_text(), re.M))
    existing = [json.loads(line) for line in jsonl.read_text().splitlines() if line.strip()]
    first = [json.loads(line) for line in (HERE.parent / "captured.jsonl").read_text().splitlines() if line.strip()]
    existing_keys = {normalize(e["text"]) for e in existing + first}
    first_id = max(int(m.group(1)) for e in existing if (m := re.fullmatch(r"r3-(\d+)", e["id"]))) + 1
    groups: dict[str, dict] = {}
    order: list[str] = []
    skipped: dict[str, int] = {}
    seen_cores: dict = {}

    def skip(why):
        skipped[why] = skipped.get(why, 0) + 1

    # round three's own scenarios first, then scenarios.py's: each set one block of ids, client by client
    for setname, out in (("3", out3), ("1", out1)):
        for outdir, (_, _, styles) in CLIENTS.items():
            for style, _ in styles:
                for name, sc in SETS[setname].items():
                    f = out / outdir / style / f"{name}.txt"
                    if not f.exists():
                        continue
                    try:
                        text = f.read_bytes().decode("utf-8")
                    except UnicodeDecodeError:
                        skip("not utf-8 / control bytes")
                        continue
                    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]", text):
                        skip("not utf-8 / control bytes")
                        continue
                    text = text.rstrip("\r\n")
                    lines = text.split("\n")
                    if len(lines) > 17:
                        text = "\n".join(lines[:15])
                    if not text.strip():
                        skip("empty")
                        continue
                    mutt_startup_only = outdir == "mutt" and all(map(MUTT_STARTUP.match, text.split("\n")))
                    if (outdir, style, name) in NO_SIGN or mutt_startup_only:
                        skip("no sign of the fault")
                        continue
                    if name.startswith("ok-"):
                        skip("ok scenario")
                        continue
                    if bc.SUCCESS.search(text) and not bc.FAILURE.search(text.split("4F2A1B2C3D", 1)[1]):
                        skip("success for a fault")
                        continue
                    key = normalize(text)
                    kept_here = seen_cores.setdefault((outdir, setname, name), [])
                    c = bc.core(text)
                    if key in existing_keys:  # (still what this client showed: a later style must add to it)
                        kept_here.append(c)
                        skip("same text as an existing record")
                        continue
                    if kept_here and (any(c in k for k in kept_here)
                                      or not (bc.tokens(c) - set().union(*map(bc.tokens, kept_here)))):
                        skip("nothing new vs an earlier style")
                        continue
                    kept_here.append(c)
                    if key not in groups:
                        groups[key] = dict(text=text, outdir=outdir, style=style, scenarios=[(setname, name)])
                        order.append(key)
                    elif (setname, name) not in groups[key]["scenarios"]:
                        groups[key]["scenarios"].append((setname, name))
    entries = []
    for i, key in enumerate(order, first_id):
        g = groups[key]
        scs = [SETS[s][n] for s, n in g["scenarios"]]
        client, label, styles = CLIENTS[g["outdir"]]
        expected: list[str] = []
        for s in scs:
            expected += [c for c in bc.adjust(s, g["text"]) if c not in expected]
        distinct = {tuple(s["expected"]) for s in scs}
        if len(distinct) > 1 and any(c.split(".")[0] in ("net", "tls") for s in scs for c in s["expected"]):
            if "smtp.connection_failed" not in expected:
                expected.append("smtp.connection_failed")
        elif len(distinct) > 1 and len({c.split(".")[0] for c in expected}) > 1 and "smtp.reply_error" not in expected:
            expected.append("smtp.reply_error")
        providers = {s["provider"] for s in scs}
        provider = None
        if len(providers) == 1:
            p = providers.pop()
            if p and re.search(bc.PROVIDER_MARKERS[p], g["text"]):
                provider = p
        names = [n for _, n in g["scenarios"]]
        note = scs[0]["note"]
        if len(scs) > 1:
            note = (f"{note}. The same text came out of {len(scs)} scenarios ({', '.join(names)}), "
                    "so the codes of any of them are acceptable")
        entries.append(dict(id=f"r3-{i:04d}", text=g["text"],
                            source=f"captured: {label} [{dict(styles)[g['style']]}] vs {names[0]}",
                            client=client, provider=provider, expected=expected, note=note))
    with jsonl.open("a") as fh:  # the existing records are not rewritten
        for e in entries:
            fh.write(json.dumps(e, ensure_ascii=False) + "\n")
    ids, texts, bad = set(), set(), []
    for n, line in enumerate(jsonl.read_text().splitlines(), 1):
        e = json.loads(line)
        if e["id"] in ids or e["text"] in texts:
            bad.append(("duplicate", n))
        ids.add(e["id"])
        texts.add(e["text"])
        if e["id"].startswith("r3-0") or e["id"] in {x["id"] for x in entries}:
            bad += [("unknown code", c, n) for c in e["expected"] if c not in known]
        if e["text"].count("\n") >= 17:
            bad.append(("too long", n))
    print(f"{len(entries)} entries appended, skipped {skipped}, problems: {bad or 'none'}")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
