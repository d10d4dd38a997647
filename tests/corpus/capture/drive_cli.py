"""swaks and curl (smtp:// / smtps://) against each scenario.

swaks: the last 12 lines of its transcript (stdout+stderr), where the failing command and reply show.
curl:  sS    = `curl -sS ...` stderr (the one-line "curl: (NN) ..." message)
       v     = the last 10 lines of `curl -v --no-progress-meter ...` stderr
"""
import subprocess
import sys

from common import FROM, HOST, PASSWORD, RUN, SCENARIOS, TO, USER, ports, save

CA = str(RUN / "ca.pem")
MSG = RUN / "msg.eml"


def swaks(name, mode, port):
    cmd = ["swaks", "--server", HOST, "--port", str(port), "--from", FROM, "--to", TO, "--timeout", "4",
           "--header", "Subject: capture", "--body", "hello"]
    if mode == "ssl":
        cmd += ["--tls-on-connect", "--tls-verify", "--tls-ca-path", CA]
    elif mode.startswith("starttls"):
        cmd += ["--tls", "--tls-verify", "--tls-ca-path", CA]
    if not mode.endswith("noauth"):
        cmd += ["--auth-user", USER, "--auth-password", PASSWORD]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    out = (p.stdout + p.stderr).rstrip("\n").splitlines()
    save("swaks", "tail", name, "\n".join(out[-12:]))


def curl(name, mode, port):
    scheme = "smtps" if mode == "ssl" else "smtp"
    base = ["curl", "--url", f"{scheme}://{HOST}:{port}", "--mail-from", FROM, "--mail-rcpt", TO,
            "--upload-file", str(MSG), "--cacert", CA, "--connect-timeout", "4", "--max-time", "8"]
    if mode.startswith("starttls"):
        base.append("--ssl-reqd")
    if not mode.endswith("noauth"):
        base += ["--user", f"{USER}:{PASSWORD}"]
    p = subprocess.run(base + ["-sS"], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        save("curl", "sS", name, p.stderr.rstrip("\n"))
    p = subprocess.run(base + ["-v", "--no-progress-meter"], capture_output=True, text=True, timeout=60)
    lines = p.stderr.rstrip("\n").splitlines()
    save("curl", "v", name, "\n".join(lines[-10:]))


def main(only=None):
    MSG.write_text(f"From: {FROM}\r\nTo: {TO}\r\nSubject: capture\r\n\r\nhello\r\n")
    p = ports()
    for name, sc in SCENARIOS.items():
        if only and name not in only:
            continue
        swaks(name, sc["mode"], p[name])
        curl(name, sc["mode"], p[name])
        print(name, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
