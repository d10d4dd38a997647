"""Mutt (Debian 2.2.12, GnuTLS, GNU SASL) sending in batch mode through its built-in SMTP client (`smtp_url`).

    mutt -n -F /dev/null -e 'set smtp_url=smtp[s]://USER@localhost:PORT/' -e 'set smtp_pass=...'
         -e 'set ssl_starttls=yes' -e 'set ssl_force_tls=yes' -e 'set ssl_ca_certificates_file=CA' ... -s capture TO

styles: out    = what `mutt -s ... TO < body` prints, stderr and stdout as one stream in the order written (the
                 error on stderr, then "Could not send the message." on stdout: a cron mail / script log)
        debug  = the last 12 lines of ~/.muttdebug0 written by `mutt -d 2` (the SMTP conversation), up to the line
                 before mutt's own clean-up lines (`mutt_free_body: unlinking /var/tmp/...`)
Modes: ssl = smtps://; starttls* = smtp:// with ssl_starttls and ssl_force_tls; plain = smtp:// with both off.
Mutt 2.2 has `connect_timeout` (4 s here) but no reply timeout: a run still going after 15 s is killed and records
nothing. HOME is an empty directory of the run dir, so no muttrc is read and nothing is saved.
"""
import shutil
import subprocess
import sys

from common import FROM, HOST, PASSWORD, RUN, TIMEOUT, TO, USER, capture_two_styles

HOME = RUN / "mutthome"
KILL_AFTER = 15


def command(mode, port, debug):
    scheme = "smtps" if mode == "ssl" else "smtp"
    user = "" if mode.endswith("noauth") else USER.replace("@", "%40") + "@"
    tls = "no" if mode == "plain" else "yes"
    sets = [f"smtp_url={scheme}://{user}{HOST}:{port}/", f"ssl_starttls={tls}", f"ssl_force_tls={tls}",
            f"ssl_ca_certificates_file={RUN / 'ca.pem'}", f"from={FROM}", "record=", "copy=no",
            f"connect_timeout={TIMEOUT}"]
    if user:
        sets.append(f"smtp_pass={PASSWORD}")
    cmd = ["mutt", "-n", "-F", "/dev/null"]
    if debug:
        cmd += ["-d", "2"]
    for s in sets:
        cmd += ["-e", f"set {s}"]
    return cmd + ["-s", "capture", TO]


def run(cmd):
    try:
        p = subprocess.run(cmd, input="hello\n", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=KILL_AFTER,
                           env={"HOME": str(HOME), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "dumb"})
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired:
        return "killed", ""


def debug_tail():
    f = HOME / ".muttdebug0"
    if not f.exists():
        return ""
    lines = f.read_text(errors="replace").split("\n")
    end = next((i for i, l in enumerate(lines) if "] mutt_free_body: " in l), len(lines))
    return "\n".join(l for l in lines[max(0, end - 12):end]).rstrip("\n")


def attempt(sc, port, debug):
    shutil.rmtree(HOME, ignore_errors=True)  # no muttrc, no debug file of an earlier run
    HOME.mkdir(parents=True)
    rc, out = run(command(sc["mode"], port, debug))
    return rc, debug_tail() if debug else out


def main(only=None):
    capture_two_styles("mutt", "out", "debug", attempt, only=only)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
