"""The run loop shared by the round-three wrapper-library drivers (drive_yagmail.py, drive_flask_mail.py, ...).

Each driver runs itself once per scenario in a child process, with the interpreter of the venv the library is
installed in (CAPTURE_PY, default python3) and `--child MODE PORT`; the child prints what an app's log shows for
the exception the library raised (the last line of the traceback it would print: traceback.format_exception_only)
and exits 1, or exits 0 on success. The capture CA is trusted through SSL_CERT_FILE (OpenSSL's default verify
paths, which every `ssl.create_default_context()` loads). A child still going after 15 s is killed and records
nothing; a success records nothing.
"""
import os
import subprocess
import sys
import traceback

from common import RUN, SCENARIOS, ports, save

KILL_AFTER = 15


def child(send) -> None:
    """In the child: `send(mode, port)`; print the exception as the last traceback line shows it."""
    mode, port = sys.argv[2], int(sys.argv[3])
    try:
        send(mode, port)
    except BaseException as e:  # noqa: BLE001 - what the app would log is the point
        sys.stdout.write("".join(traceback.format_exception_only(type(e), e)))
        sys.exit(1)


def main(client: str, script: str, modes=("starttls", "ssl", "plain", "starttls-noauth")) -> None:
    only = sys.argv[1:] or None
    p = ports()
    env = dict(os.environ, SSL_CERT_FILE=str(RUN / "ca.pem"), PYTHONWARNINGS="ignore")
    for name, sc in SCENARIOS.items():
        if (only and name not in only) or sc["mode"] not in modes:
            continue
        cmd = [os.environ.get("CAPTURE_PY", "python3"), script, "--child", sc["mode"], str(p[name])]
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=KILL_AFTER, env=env)
        except subprocess.TimeoutExpired:
            print(f"{name}: {client} still going after {KILL_AFTER} s, killed; nothing recorded", flush=True)
            continue
        if r.returncode != 0 and r.stdout.strip():
            save(client, "exc", name, r.stdout.rstrip("\n"))
        print(name, r.returncode, r.stderr.strip().splitlines()[-1:] if r.returncode and not r.stdout else "",
              flush=True)
