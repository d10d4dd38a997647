"""Issue 21 figures: a hostile run wider than the issue's list -> cases, crashes, leaks, hangs, false greens,
peak memory. Every case runs the installed CLI as a subprocess against loopback servers only.

    python bench/hostile_round3.py            # the whole matrix (a few minutes on two cores)
    python bench/hostile_round3.py --quick    # one language, fewer formats

A *crash* is a traceback, "internal error" or an exit code outside the documented ones; a *leak* is any
8-character window of the secret in the output, in any case, reversed, or in hex (either case, with or
without separators), or its base64 forms; a *hang* is a case past its time budget; a *false green* is
exit 0 where the input holds a problem a user must fix.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, smtpdoctor_cmd

sys.path.insert(0, str(ROOT / "tests"))  # the loopback DNS server the tests use

from smtpdoctor.testing import hostile  # noqa: E402
from smtpdoctor.testing.hostile import HostileServer  # noqa: E402

SECRET = "Qx9leakProbeStaple77"
USER = "karto@example.com"
OWN_WORDS = ("password", "config", "format", "provider", "starttls", "connected", "extensions", "code", "error",
             "true", "null", "smtp", "gmail", "severity", "        ", "\t")
DOCUMENTED_EXITS = {0, 1, 2, 130, 141}


def windows(text: str, width: int = 8) -> set[str]:
    return {text[i:i + width] for i in range(len(text) - width + 1)}


def secret_spellings(secret: str) -> tuple[set[str], list[str]]:
    """(case-insensitive needles, exact needles) that betray `secret` or a part of it."""
    raw = secret.encode()
    folded = windows(secret.lower()) | windows(secret[::-1].lower()) | windows(raw.hex(), 16)
    folded |= {":".join(f"{b:02x}" for b in raw[i:i + 8]) for i in range(len(raw) - 7)}
    folded |= {"".join(f"\\x{b:02x}" for b in raw[i:i + 8]) for i in range(len(raw) - 7)}
    exact = [base64.b64encode(raw).decode(), base64.b64encode(f"\0{USER}\0{secret}".encode()).decode()]
    return folded, exact


NEEDLES = secret_spellings(SECRET)


class Tally:
    def __init__(self) -> None:
        self.cases = 0
        self.crashes: list[str] = []
        self.leaks: list[str] = []
        self.hangs: list[str] = []
        self.false_green: list[str] = []
        self.wrong_exit: list[str] = []
        self.peak_rss_mib = 0.0

    def summary(self) -> str:
        def part(name: str, items: list[str]) -> str:
            return f"{name}: {len(items)}" + (f" {items[:4]}" if items else "")

        return "; ".join([f"cases: {self.cases}", part("crashes", self.crashes), part("leaks", self.leaks),
                          part("hangs", self.hangs), part("false greens", self.false_green),
                          part("unexpected exit codes", self.wrong_exit),
                          f"peak RSS of explain on a 200 MiB log: {self.peak_rss_mib:.0f} MiB"])


def run(tally: Tally, label: str, args: list[str], env: dict[str, str], *, stdin: bytes | None = None,
        budget: float = 30.0, secret: str | None = SECRET, expect: set[int] | None = None,
        problem: bool = False, stdout=None) -> subprocess.CompletedProcess | None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "GITHUB_", "MAILER_", "MAIL_", "EMAIL_"))}
    tally.cases += 1
    started = time.monotonic()
    proc = subprocess.Popen(smtpdoctor_cmd() + args, env={**base, "NO_COLOR": "1", **env},
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=stdout if stdout is not None else subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(stdin, timeout=budget)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        tally.hangs.append(f"{label} (> {budget:.0f} s)")
        return None
    elapsed = time.monotonic() - started
    text = ((out or b"") + (err or b"")).decode("utf-8", "replace")
    shown = "\n".join(line for line in text.splitlines() if not line.startswith("::add-mask::"))
    if "Traceback" in text or "internal error" in text or proc.returncode not in DOCUMENTED_EXITS:
        tally.crashes.append(f"{label} (exit {proc.returncode})")
    if secret is not None:
        low = shown.lower()
        folded, exact = NEEDLES if secret == SECRET else secret_spellings(secret)
        if any(n in low for n in folded) or any(n in shown for n in exact):
            tally.leaks.append(label)
    if expect is not None and proc.returncode not in expect:
        tally.wrong_exit.append(f"{label} (exit {proc.returncode}, expected {sorted(expect)})")
    if problem and proc.returncode == 0:
        tally.false_green.append(label)
    if elapsed > budget * 0.9:
        tally.hangs.append(f"{label} ({elapsed:.1f} s)")
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def echo_forms_server():
    """Echoes the password it was sent in every spelling: case, reversed, hex, in EHLO and in the 535."""

    async def behaviour(reader, writer) -> None:
        await hostile._send(writer, b"220 forms.example ESMTP\r\n")
        while line := await reader.readline():
            verb = line.split(b" ")[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                await hostile._send(writer, b"250-forms.example\r\n250-X-" + SECRET.encode() + b"%PW\r\n250 AUTH PLAIN\r\n")
            elif verb == b"AUTH":
                pw = hostile._decoded_auth(line).split(b"\0")[-1].decode()
                forms = [pw.upper(), pw.lower(), pw.swapcase(), pw[::-1], pw.encode().hex(), pw.encode().hex().upper(),
                         ":".join(f"{b:02x}" for b in pw.encode()), "".join(f"\\x{b:02x}" for b in pw.encode())]
                await hostile._send(writer, b"535 5.7.8 no: " + " | ".join(forms).encode() + b"\r\n")
            elif verb == b"QUIT":
                await hostile._send(writer, b"221 bye\r\n")
                return
            else:
                await hostile._send(writer, b"250 ok\r\n")

    return behaviour


def placeholder_passwords(tally: Tally, tmp: Path, langs: list[str], formats: list[str]) -> None:
    for pw in OWN_WORDS:
        env = {"SMTP_HOST": "smtp.gmail.com", "SMTP_PORT": "587", "SMTP_USER": "a@gmail.com", "SMTP_PASS": pw}
        for lang in langs:
            for fmt in formats:
                proc = run(tally, f"pw={pw!r}/check/{fmt}/{lang}", ["check", "--offline", "-f", fmt, "--lang", lang],
                           env, secret=None)
                if proc is not None and fmt == "json":
                    try:
                        json.loads(proc.stdout)
                    except ValueError:
                        tally.crashes.append(f"pw={pw!r}: invalid JSON")
        example = tmp / f"pw-{abs(hash(pw))}.env.example"
        example.write_text(f"SMTP_HOST=smtp.gmail.com\nSMTP_USER=a@gmail.com\nSMTP_PASS={pw}\n")
        run(tally, f"pw={pw!r}/lint", ["lint", str(example)], {}, secret=None)
        rows = tmp / f"pw-{abs(hash(pw))}.jsonl"
        rows.write_text(json.dumps({"id": "r", "host": "smtp.gmail.com", "user": "a@gmail.com", "password": pw}) + "\n")
        run(tally, f"pw={pw!r}/batch", ["batch", "--offline", "-f", "json", str(rows)], {}, secret=None)
        run(tally, f"pw={pw!r}/fix", ["fix", "--offline"], env, secret=None)


def echoes(tally: Tally, langs: list[str], formats: list[str]) -> None:
    servers = {"forms": echo_forms_server(), "padded": hostile.echo_at((119, 159, 199)),
               "padded-mail": hostile.echo_at((119, 159, 199), where="mail")}
    servers |= {f"echo-{w}": hostile.echoing_server(w) for w in ("535", "login", "2xx", "mail")}
    for name, behaviour in servers.items():
        with HostileServer(behaviour) as server:
            env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port), "SMTP_USER": USER, "SMTP_PASS": SECRET,
                   "SMTP_FROM": USER}
            for lang in langs:
                for fmt in formats:
                    for extra in ([], ["--transcript"]):
                        ci = {"GITHUB_ACTIONS": "true"} if fmt == "github" else {}
                        run(tally, f"{name}/{fmt}/{lang}{extra}", ["check", "--allow-plaintext-auth", "--no-dns",
                            "--timeout", "3", "--max-time", "15", "-f", fmt, "--lang", lang, *extra], {**env, **ci})


def secrets_in_settings(tally: Tally, tmp: Path, formats: list[str]) -> None:
    for host in (f"smtp://me:{SECRET}@smtp.example.com:465", f"me:{SECRET}@smtp.example.com",
                 f"smtps://me%40x.com:{SECRET}@smtp.example.com"):
        for fmt in formats:
            run(tally, f"host-creds/{fmt}", ["check", "--offline", "-f", fmt], {"SMTP_HOST": host, "SMTP_USER": "me@x.com"},
                problem=True)
    for var in ("SMTP_URL", "MAILER_DSN"):
        # "/" and "#" end the authority of a URL (WHATWG, PHP parse_url); a raw "@" is read up to the last one
        # by both, so that URL works as written and is no problem to report
        for pw, broken in ((SECRET + "/x", True), (SECRET + "#x", True), (SECRET + "@x", False)):
            run(tally, f"{var}-unencoded {pw[-2:]}", ["check", "--offline"], {var: f"smtp://u:{pw}@h.example:587"},
                secret=pw, problem=broken)
    out = tmp / "gh.txt"
    run(tally, "github --output", ["check", "--offline", "-f", "github", "-o", str(out)],
        {"GITHUB_ACTIONS": "true", "SMTP_HOST": "smtp.gmail.com", "SMTP_USER": "a@gmail.com", "SMTP_PASS": SECRET})
    if SECRET.lower() in out.read_text(errors="replace").lower():
        tally.leaks.append("github --output file")
    logs = {
        "php-array": f"'password' => '{SECRET}',\n535 5.7.8 Authentication failed\n",
        "print_r": f"[password] => {SECRET}\n535 5.7.8 Authentication failed\n",
        "var_dump": f'["password"]=>\n  string(20) "{SECRET}"\n535 5.7.8 Authentication failed\n',
        "ruby": f':password => "{SECRET}", 535 5.7.8 Authentication failed\n',
        "xml": f"<password>{SECRET}</password> 535 5.7.8 Authentication failed\n",
        "json-escaped": f'{{"dsn":"smtp:\\/\\/me:{SECRET}@smtp.x.com","err":"535 5.7.8 Authentication failed"}}\n',
        "bare": f"connecting me:{SECRET}@smtp.x.com: 535 5.7.8 Authentication failed\n",
        "swaks": f"swaks --auth-password {SECRET} --to a@b.c\n*** 535 5.7.8 Authentication failed\n",
        "spaced": f'password="{SECRET} and more"\n535 5.7.8 Authentication failed\n',
        "long-line": "535 5.7.8 auth failed " + "x" * 1962 + f" smtp://me:{SECRET}@smtp.example.com end\n",
    }
    for name, text in logs.items():
        path = tmp / f"{name}.log"
        path.write_text(text)
        for fmt in ("text", "json"):
            run(tally, f"explain/{name}/{fmt}", ["explain", "-f", fmt, str(path)], {}, expect={1})


def false_greens(tally: Tally, tmp: Path) -> None:
    base = {"SMTP_USER": "me@gmail.com", "SMTP_PASS": "abcdefghijklmnop", "SMTP_FROM": "me@gmail.com"}
    run(tally, "no SMTP_HOST", ["check", "--offline"], base, problem=True)
    run(tally, "SMTP_HOTS", ["check", "--offline"], {**base, "SMTP_HOTS": "smtp.gmail.com"}, problem=True)
    env_file = tmp / "typos.env"
    env_file.write_text("SMTP_HOTS=smtp.gmail.com\nSMTP_PASWORD=abcdefghijklmnop\nSMTP_USER=me@gmail.com\n")
    run(tally, "misspelled .env", ["check", "--offline", "--env-file", str(env_file)], {}, problem=True)
    run(tally, "--config .env", ["check", "--offline", "--config", str(env_file)], {}, problem=True)
    mixed = tmp / "mixed.env"
    mixed.write_text("MAIL_MAILER=smtp\nMAIL_HOST=smtp.gmail.com\nMAIL_PORT=465\nMAIL_ENCRYPTION=tls\nSMTP_HOST=old.example\n")
    run(tally, "mixed .env", ["check", "--offline", "--env-file", str(mixed)], {}, secret=None)
    import dns_server

    zone = "example.org. 60 IN A 127.0.0.1\n"
    with dns_server.LoopbackDns(zone) as dns:  # answers NXDOMAIN for everything else, root servers included
        run(tally, "NXDOMAIN resolver", ["check", "--nameserver", dns.address, "--timeout", "2", "--max-time", "10"],
            {**base, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": "9"}, problem=True)
    for host, port in (("smtp.gmail.com", "465"), ("smtp.office365.com", "465")):
        run(tally, f"{host}:{port} secure=false", ["check", "--offline"],
            {**base, "SMTP_HOST": host, "SMTP_PORT": port, "SMTP_SECURE": "false"}, problem=True)


def limits(tally: Tally, tmp: Path) -> None:
    for lines in (12, 200):
        reply = b"".join(b"551-5.1.1 5.1.1 5.1.1 " * 20 + b"\r\n" for _ in range(lines - 1)) + b"551 5.1.1 end\r\n"
        with HostileServer(hostile.replying(b"220 ok\r\n", ehlo=b"250-x\r\n250 AUTH PLAIN\r\n", auth=reply)) as server:
            run(tally, f"regex bomb {lines} lines", ["check", "--allow-plaintext-auth", "--no-dns", "--timeout", "3",
                "--max-time", "5"], {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port), "SMTP_USER": USER,
                                     "SMTP_PASS": SECRET}, budget=12)
    for mib in (1, 4):
        path = tmp / f"line{mib}.log"
        path.write_bytes(b"535 5.7.8 " + b"a 5.1.1 " * (mib * 131072) + b"\n")
        run(tally, f"explain {mib} MiB line", ["explain", str(path)], {}, budget=10)
    import dns_server

    with dns_server.SilentDns() as silent:
        run(tally, "silent resolver --max-time 3", ["check", "--nameserver", silent.address, "--dns-timeout", "8",
            "--max-time", "3"], {"SMTP_HOST": "smtp.example.com", "SMTP_FROM": "a@example.com"}, budget=8)
        run(tally, "dns --max-time 2, silent resolver", ["dns", "example.com", "--nameserver", silent.address,
            "--max-time", "2"], {}, budget=6)
    with HostileServer(hostile.silent_on_quit()) as server:
        run(tally, "QUIT never answered", ["check", "--allow-plaintext-auth", "--no-dns", "--timeout", "8",
            "--max-time", "4"], {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port), "SMTP_USER": USER,
                                 "SMTP_PASS": SECRET}, budget=9)
    big = b"x" * (100 << 20) + b"\n"
    for option in ("--password-stdin", "--oauth2-token-stdin"):
        run(tally, f"{option} 100 MB", ["check", "--offline", option], {"SMTP_HOST": "h.example", "SMTP_USER": USER},
            stdin=big, expect={2}, budget=20)
    run(tally, "--providers /dev/zero", ["check", "--offline", "--providers", "/dev/zero"], {}, expect={2}, budget=10)
    for device in ("/dev/zero", "/dev/urandom"):
        run(tally, f"explain {device}", ["explain", device], {}, expect={2}, budget=10)


def sinks_and_batches(tally: Tally, tmp: Path) -> None:
    env = {"SMTP_HOST": "smtp.gmail.com", "SMTP_USER": "a@gmail.com", "SMTP_PASS": SECRET}
    commands = [["check", "--offline"], ["providers"], ["platforms"], ["lint", str(tmp / "typos.env")],
                ["dns", "example.test"], ["demo", "--scenario", "bad-password"]]
    for args in commands:
        with open("/dev/full", "wb") as full:
            run(tally, f"{args[0]} > /dev/full", args, env, expect={2}, stdout=full)
    run(tally, "check -o /dev/full", ["check", "--offline", "-o", "/dev/full"], env, expect={2})
    rows = tmp / "rows.jsonl"
    rows.write_text("\n".join([
        json.dumps({"id": "x" * 300_000, "host": "h.example"}),
        json.dumps({"id": "env", "host": "127.0.0.1", "password": "env:HOME"}),
        '{"id": "\\ud800", "host": "h.example"}',
        '{"id": "big", "host": "h.example", "port": ' + "9" * 5000 + "}",
        json.dumps({"id": "ok", "host": "h.example", "port": 587}),
    ]) + "\n")
    proc = run(tally, "batch hostile rows", ["batch", "--offline", "-f", "json", str(rows)], {}, secret=os.environ.get("HOME"))
    if proc is not None and b'"ok"' not in proc.stdout:
        tally.wrong_exit.append("batch hostile rows: the healthy row was lost")
    with open("/dev/full", "wb") as full:
        run(tally, "batch > /dev/full", ["batch", "--offline", str(rows)], {}, expect={2}, stdout=full, budget=20)


def peak_memory(tally: Tally, tmp: Path) -> None:
    path = tmp / "big.log"  # 200 lines of 1 MiB each: explain's memory must not follow the file's size
    with path.open("wb") as handle:
        for _ in range(200):
            handle.write(b"535 5.7.8 " + b"z" * (1 << 20) + b"\n")
    proc = subprocess.Popen(smtpdoctor_cmd() + ["explain", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    tally.cases += 1
    tally.peak_rss_mib = max(tally.peak_rss_mib, usage.ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    langs = ["en"] if args.quick else ["en", "ru"]
    formats = ["text", "json"] if args.quick else ["text", "json", "github", "junit"]
    tally = Tally()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        peak_memory(tally, tmp)  # first: a child's ru_maxrss starts from the parent's size at fork
        placeholder_passwords(tally, tmp, langs, formats)
        echoes(tally, langs, formats)
        secrets_in_settings(tally, tmp, formats)
        false_greens(tally, tmp)
        limits(tally, tmp)
        sinks_and_batches(tally, tmp)
    print(tally.summary())
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
