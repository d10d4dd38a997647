"""s-nail (Debian 14.9.24, OpenSSL 3) sending through its built-in SMTP client (`-S mta=smtp[s]://...`).

styles: stderr  = what `s-nail -s ... to` prints on stderr (the cron mail / script log a support request quotes)
        vv      = the last 10 lines of `s-nail -vv` stderr (the SMTP conversation)
s-nail has no reply timeout: a run still waiting after 30 s is killed and records nothing (it reported nothing).
The password is given in the mta URL (never printed). -:/ keeps any rc file out, nosave keeps dead.letter off.
"""
import subprocess
import sys
from urllib.parse import quote

from common import FROM, HOST, PASSWORD, RUN, SCENARIOS, TIMEOUT, TO, USER, ports, save


def command(mode, port, verbose):
    scheme = "smtps" if mode == "ssl" else "smtp"
    cred = "" if mode.endswith("noauth") else f"{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@"
    cmd = ["s-nail", "-:/", "-Sv15-compat", "-Snosave", "-Sexpandaddr", "-Ssendwait",
           f"-Smta={scheme}://{cred}{HOST}:{port}", f"-Ssocket-connect-timeout={TIMEOUT}",
           f"-Stls-ca-file={RUN / 'ca.pem'}", "-Stls-ca-no-defaults", f"-Sfrom={FROM}", "-s", "capture"]
    if mode.startswith("starttls"):
        cmd.append("-Ssmtp-use-starttls")
    cmd.append("-Ssmtp-auth=none" if mode.endswith("noauth") else "-Ssmtp-auth=plain")
    if verbose:
        cmd.append("-vv")
    return cmd + [TO]


def run(cmd):
    try:
        p = subprocess.run(cmd, input="hello\n", capture_output=True, text=True, timeout=30)
        return p.returncode, p.stderr
    except subprocess.TimeoutExpired as e:  # s-nail has no reply timeout: killed after 30 s
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        return "killed", err


def main(only=None):
    p = ports()
    for name, sc in SCENARIOS.items():
        if only and name not in only:
            continue
        rc, err = run(command(sc["mode"], p[name], False))
        if rc not in (0, "killed") and err.strip():
            save("snail", "stderr", name, err.rstrip("\n"))
        rc, err = run(command(sc["mode"], p[name], True))
        lines = [l for l in err.splitlines() if l.strip()]
        if lines and rc != "killed":
            save("snail", "vv", name, "\n".join(lines[-10:]))
        print(name, rc, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
