"""Capture `providers`, `platforms` and `check` at 80 columns in both languages, as a newcomer's terminal
shows them (issue 24): `python docs/gen_80_columns.py > docs/80-columns.txt`.

`check` twice: offline with Gmail settings that are wrong on purpose (SMTP_SECURE=true on 587, an app password
pasted with spaces), and live against a local aiosmtpd server (loopback, the test CA) that refuses the login
with Gmail's 535 reply (`--no-dns`: nothing leaves the machine)."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from smtpdoctor.testing.server import Pki, ServerSpec, SmtpServer

GMAIL_535 = ("535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
             "535 5.7.8  https://support.google.com/mail/?p=BadCredentials")
OFFLINE = {"SMTP_HOST": "smtp.gmail.com", "SMTP_PORT": "587", "SMTP_SECURE": "true", "SMTP_USER": "me@gmail.com",
           "SMTP_PASS": "abcd efgh ijkl mnop", "SMTP_FROM": "me@gmail.com"}
SMTP_VARS = ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURE", "SMTP_USER", "SMTP_PASS", "SMTP_FROM")


def capture(title: str, args: list[str], env: dict[str, str]) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_")}
    proc = subprocess.run([sys.executable, "-m", "smtpdoctor", *args], capture_output=True, text=True,
                          env={**base, **env, "COLUMNS": "80", "NO_COLOR": "1"})
    out = proc.stdout + proc.stderr
    widest = max((len(line) for line in out.splitlines()), default=0)
    return f"$ COLUMNS=80 smtpdoctor {title}    # exit {proc.returncode}, widest line {widest}\n{'=' * 80}\n{out}\n"


def main() -> None:
    print(__doc__.split("\n\n", 1)[1].replace("\n", " ").strip() + "\n")
    pki = Pki()
    with tempfile.TemporaryDirectory() as tmp, SmtpServer(ServerSpec(auth_failure=GMAIL_535), pki) as server:
        ca = pki.ca_file(Path(tmp))
        live = {"SMTP_HOST": "localhost", "SMTP_PORT": str(server.port), "SMTP_USER": "me@gmail.com",
                "SMTP_PASS": "abcd-wrong-password", "SMTP_FROM": "me@gmail.com"}
        for lang in ("en", "ru"):
            print(capture(f"providers --lang {lang}", ["providers", "--lang", lang], {}))
            print(capture(f"platforms --lang {lang}", ["platforms", "--lang", lang], {}))
            print(capture(f"check --offline --lang {lang}", ["check", "--offline", "--lang", lang], OFFLINE))
            print(capture(f"check --ca-file ca.pem --no-dns --lang {lang}", ["check", "--ca-file", str(ca), "--no-dns", "--lang", lang],
                          live))


if __name__ == "__main__":
    main()
