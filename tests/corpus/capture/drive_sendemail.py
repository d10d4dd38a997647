"""sendEmail (Debian sendemail 1.56, Perl with IO::Socket::SSL 2.081) against each scenario.

    sendemail -f FROM -t TO -u capture -m hello -s localhost:PORT -xu USER -xp PASS -o tls=yes|no -o timeout=4

styles: out = what it prints (stdout and stderr as one stream, in the order written: Perl warnings from
              IO::Socket::SSL, then its syslog-style "... sendemail[PID]: ERROR => ..." line)
        v   = the last 10 lines of the same run with -v (its DEBUG/INFO/SUCCESS conversation log)
sendEmail has STARTTLS only (no implicit TLS): the `ssl` scenarios are not run. starttls* = `-o tls=yes`,
plain = `-o tls=no`; *-noauth without -xu/-xp. The capture CA is trusted through SSL_CERT_FILE (OpenSSL's
default verify paths, which IO::Socket::SSL uses when no CA is given). A run still going after 15 s is killed and
records nothing.
"""
import os
import subprocess
import sys

from common import FROM, HOST, PASSWORD, RUN, TIMEOUT, TO, USER, capture_two_styles

KILL_AFTER = 15


def command(mode, port, verbose):
    cmd = ["sendemail", "-f", FROM, "-t", TO, "-u", "capture", "-m", "hello", "-s", f"{HOST}:{port}",
           "-o", f"tls={'no' if mode == 'plain' else 'yes'}", "-o", f"timeout={TIMEOUT}"]
    if not mode.endswith("noauth"):
        cmd += ["-xu", USER, "-xp", PASSWORD]
    return cmd + (["-v"] if verbose else [])


def run(cmd):
    env = dict(os.environ, SSL_CERT_FILE=str(RUN / "ca.pem"))
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=KILL_AFTER,
                           env=env)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired:
        return "killed", ""


def attempt(sc, port, verbose):
    rc, out = run(command(sc["mode"], port, verbose))
    return rc, "\n".join(out.rstrip("\n").splitlines()[-10:]) if verbose else out


def main(only=None):
    capture_two_styles("sendemail", "out", "v", attempt, wanted=lambda sc: sc["mode"] != "ssl", only=only)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
