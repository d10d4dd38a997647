"""GNU Mailutils `mail` (Debian mailutils 3.15, GnuTLS, GNU SASL) sending through its SMTP mailer.

    mail -E 'set sendmail=smtp[s]://USER:PASS@localhost:PORT' -a 'From: FROM' -s capture TO < body

styles: stderr = what `mail` prints on stderr ("mail: ..." lines: a cron mail / script log)
        prot   = the last 12 lines of the same run with --debug-level=mailer.prot (the "S: / C:" conversation)
Modes: ssl = smtps://; every other mode smtp:// (Mailutils upgrades with STARTTLS whenever it is offered and has no
setting to require it or to turn it off). *-noauth have no user in the URL. Mailutils' SMTP client does not check
the server certificate (no CA file to give), so the certificate scenarios end in success and record nothing. It has
no reply timeout: a run still going after 15 s is killed and records nothing. HOME is an empty directory.
"""
import subprocess
import sys
from urllib.parse import quote

from common import FROM, HOST, PASSWORD, RUN, TO, USER, capture_two_styles

HOME = RUN / "mailutilshome"
KILL_AFTER = 15


def command(mode, port, prot):
    scheme = "smtps" if mode == "ssl" else "smtp"
    cred = "" if mode.endswith("noauth") else f"{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@"
    cmd = ["mail"]
    if prot:
        cmd.append("--debug-level=mailer.prot")
    return cmd + ["-E", f"set sendmail={scheme}://{cred}{HOST}:{port}", "-a", f"From: {FROM}", "-s", "capture", TO]


def run(cmd):
    try:
        p = subprocess.run(cmd, input="hello\n", capture_output=True, text=True, timeout=KILL_AFTER,
                           env={"HOME": str(HOME), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        return p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        return "killed", ""


def attempt(sc, port, prot):
    rc, err = run(command(sc["mode"], port, prot))
    return rc, "\n".join(err.rstrip("\n").splitlines()[-12:]) if prot else err


def main(only=None):
    HOME.mkdir(parents=True, exist_ok=True)
    capture_two_styles("mailutils", "stderr", "prot", attempt, only=only)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
