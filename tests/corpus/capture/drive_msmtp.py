"""msmtp (Debian 1.8.23, GnuTLS) against each scenario, as a sendmail replacement would be run by an app.

styles: stderr = what msmtp prints on stderr (an app's error log, a cron mail)
        log    = the line it appends to its --logfile (the msmtp log a support request quotes)
"""
import subprocess
import sys

from common import FROM, HOST, PASSWORD, RUN, SCENARIOS, TIMEOUT, TO, USER, ports, save

CA = str(RUN / "ca.pem")
MSG = f"From: {FROM}\r\nTo: {TO}\r\nSubject: capture\r\n\r\nhello\r\n"


def msmtp(name, mode, port):
    log = RUN / "msmtp.log"
    log.unlink(missing_ok=True)
    cmd = ["msmtp", f"--host={HOST}", f"--port={port}", f"--from={FROM}", f"--timeout={TIMEOUT}",
           f"--logfile={log}", f"--tls-trust-file={CA}"]
    if mode == "ssl":
        cmd += ["--tls=on", "--tls-starttls=off"]
    elif mode.startswith("starttls"):
        cmd += ["--tls=on", "--tls-starttls=on"]
    else:
        cmd += ["--tls=off"]
    if mode.endswith("noauth"):
        cmd += ["--auth=off"]
    else:  # without TLS msmtp sends a password only when the method is named (--auth=on refuses it)
        method = "plain" if mode == "plain" else "on"
        cmd += [f"--auth={method}", f"--user={USER}", f"--passwordeval=echo {PASSWORD}"]
    try:
        p = subprocess.run(cmd + [TO], input=MSG, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:  # msmtp 1.8.23 ignores --timeout while waiting for a reply inside TLS
        print(f"{name}: msmtp still waiting after 30 s, killed; nothing recorded", flush=True)
        return
    if p.returncode != 0 or p.stderr.strip():
        save("msmtp", "stderr", name, p.stderr.rstrip("\n"))
    if log.exists():
        save("msmtp", "log", name, log.read_text().rstrip("\n"))


def main(only=None):
    p = ports()
    for name, sc in SCENARIOS.items():
        if only and name not in only:
            continue
        msmtp(name, sc["mode"], p[name])
        print(name, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
