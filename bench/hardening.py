"""Issue 14 figures: hostile servers x output variants and bad inputs -> cases tried, crashes, leaks;
peak memory (RSS) of a 100 000-row batch and of `batch -` over an endless stdin.

    python bench/hardening.py [--rows 100000] [--stdin-seconds 20]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

from common import smtpdoctor_cmd

from smtpdoctor.testing import hostile
from smtpdoctor.testing.hostile import HostileServer

SECRET = "Qx9/leak+probe=Staple@77"
USER = "karto@example.com"
FORMS = [SECRET, base64.b64encode(SECRET.encode()).decode(), base64.b64encode(f"\0{USER}\0{SECRET}".encode()).decode(),
         base64.b64encode(f"{USER}\0{SECRET}".encode()).decode(), quote(SECRET, safe="")]
RAW = ["\x1b", "\x9b", "\x00", "\u202e"]


def run(args: list[str], env: dict[str, str], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "GITHUB_", "MAILER_"))}
    return subprocess.run(smtpdoctor_cmd() + args, env={**base, **env}, input=stdin, capture_output=True, timeout=120)


def judge(proc: subprocess.CompletedProcess, tally: dict, label: str, machine: bool) -> None:
    out = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    # ::add-mask:: lines (inside GitHub Actions only) carry the forms on purpose: the runner consumes them
    out = "\n".join(line for line in out.splitlines() if not line.startswith("::add-mask::"))
    tally["cases"] += 1
    if "Traceback" in out or "internal error" in out or proc.returncode not in (0, 1, 2, 130, 141):
        tally["crashes"].append(label)
    if any(form in out for form in FORMS):
        tally["leaks"].append(label)
    if not machine and any(ch in out for ch in RAW):
        tally["raw_controls"].append(label)


def hostile_matrix(tally: dict) -> None:
    servers = {f"echo-{w}": hostile.echoing_server(w) for w in ("535", "login", "2xx", "mail")}
    servers |= {"escapes": hostile.escapes_in_replies, "sup-digits": hostile.odd_digit_greeting("²²⁰"),
                "arabic-digits": hostile.odd_digit_greeting("٢٢٠"), "fullwidth": hostile.odd_digit_greeting("２２０"),
                "cram-garbage": hostile.garbage_cram_challenge, "auth-2xx": hostile.unexpected_auth_success_code,
                "bad-utf8": hostile.invalid_utf8_greeting, "binary": hostile.binary_greeting,
                "close-every": hostile.close_after_every_command, "megabyte-line": hostile.megabyte_reply_line}
    for name, behaviour in servers.items():
        with HostileServer(behaviour) as server:
            env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port), "SMTP_USER": USER, "SMTP_PASS": SECRET,
                   "SMTP_FROM": USER}
            for fmt in ("text", "json", "github", "junit"):
                for transcript in ([], ["--transcript"]):
                    proc = run(["check", "--allow-plaintext-auth", "--no-dns", "--timeout", "2", "-f", fmt, *transcript],
                               env | ({"GITHUB_ACTIONS": "true"} if fmt == "github" else {}))
                    judge(proc, tally, f"{name}/{fmt}{transcript}", fmt == "json")


def bad_inputs(tally: dict, tmp: Path) -> None:
    cases: list[tuple[list[str], dict]] = []
    for pw in ("Hunter2/Secret", "Hunter2#Secret", "Hunter2?Secret"):
        for var in ("SMTP_URL", "MAILER_DSN"):
            cases.append((["check", "--offline"], {var: f"smtp://u:{pw}@h:587"}))
    for port in ("²", "5" * 5000, "٥٨٧", "１２３"):
        cases.append((["check", "--offline"], {"SMTP_HOST": "h.example", "SMTP_PORT": port}))
    files = {"auth1.toml": "auth = 1\n", "email.toml": '[auth]\nemail = "x"\n', "broken.toml": "[auth.email.smtp\n",
             "rec.yml": "a: &a\n  b: *a\n", "deep.yml": "x: " + "[" * 5000 + "]" * 5000 + "\n",
             "laughs.yml": "\n".join(["l0: &l0 {x: 1}"] + [f"l{i}: &l{i} {{a: *l{i-1}, b: *l{i-1}}}" for i in range(1, 30)])}
    for name, text in files.items():
        (tmp / name).write_text(text)
        cases.append((["check", "--offline", "--config", str(tmp / name)], {}))
    for target in ("/dev/zero", str(tmp)):
        cases.append((["check", "--offline", "--env-file", target], {}))
    cases.append((["check", "--offline", "-o", "/dev/full"], {"SMTP_HOST": "h.example"}))
    for opt in (["--send-to", " r@x.com "], ["--ehlo-name", "x MAIL FROM:<z>"], ["--max-time", "0"]):
        cases.append((["check", "--offline", *opt], {"SMTP_HOST": "h.example"}))
    import gzip
    data = gzip.compress(b"Error: Invalid login: 535 Authentication failed\n" * 5000)
    (tmp / "cut.gz").write_bytes(data[: len(data) // 2])
    (tmp / "esc.log").write_bytes(b"535 Authentication failed \x1b[2J\xc2\x9b\n")
    for log in ("cut.gz", "esc.log"):
        cases.append((["explain", str(tmp / log)], {}))
    (tmp / "rows.csv").write_bytes(b"id,host\na,h\nbig,\"" + b"x" * 300_000 + b"\"\nn,\x00\n")
    cases.append((["batch", "--offline", str(tmp / "rows.csv")], {}))
    for args, env in cases:
        judge(run(args, env), tally, " ".join(args)[:60], False)


def peak_rss_of(cmd: list[str], feed=None) -> tuple[float, int]:
    """Peak RSS (MiB) of a child, from wait4's rusage."""
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if feed else subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    if feed:
        threading.Thread(target=feed, args=(proc,), daemon=True).start()
    _, status, usage = os.wait4(proc.pid, 0)
    return usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--stdin-seconds", type=float, default=20)
    args = parser.parse_args()
    tally = {"cases": 0, "crashes": [], "leaks": [], "raw_controls": []}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        hostile_matrix(tally)
        bad_inputs(tally, tmp)
        print(f"cases tried: {tally['cases']}; crashes: {len(tally['crashes'])} {tally['crashes'][:5]}; "
              f"leaks: {len(tally['leaks'])} {tally['leaks'][:5]}; raw control characters in human formats: "
              f"{len(tally['raw_controls'])} {tally['raw_controls'][:5]}")
        rows = tmp / "rows.jsonl"
        with rows.open("w") as handle:
            for i in range(args.rows):
                handle.write(json.dumps({"id": f"t{i}", "host": f"smtp{i % 50}.example", "port": 587, "user": "u",
                                         "password": "p" * 12, "sender": f"a{i}@example.com"}) + "\n")
        started = time.perf_counter()
        rss, code = peak_rss_of(smtpdoctor_cmd() + ["batch", "--offline", str(rows)])
        print(f"batch of {args.rows} rows (--offline): peak RSS {rss:.0f} MiB, exit {code}, "
              f"{time.perf_counter() - started:.0f} s")

        def endless(proc, seconds=args.stdin_seconds):
            end = time.monotonic() + seconds
            i = 0
            try:
                while time.monotonic() < end:
                    proc.stdin.write(b"".join(json.dumps({"id": f"s{i + k}", "host": "h.example"}).encode() + b"\n"
                                              for k in range(500)))
                    proc.stdin.flush()
                    i += 500
                proc.stdin.close()
            except BrokenPipeError:
                pass
            endless.rows = i

        rss, code = peak_rss_of(smtpdoctor_cmd() + ["batch", "--offline", "-"], feed=endless)
        print(f"batch - over an endless stdin ({args.stdin_seconds:.0f} s, {getattr(endless, 'rows', 0)} rows fed): "
              f"peak RSS {rss:.0f} MiB, exit {code}")


if __name__ == "__main__":
    main()
