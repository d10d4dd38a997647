"""A throwaway real Postfix on loopback for the benchmarks (issue 10: the verdict against a real server).

`PostfixServer` is a context manager. On enter it builds a private instance in a fresh directory under
/tmp — its own config_directory (main.cf, master.cf, Cyrus SASL smtpd.conf, sasldb), queue_directory,
data_directory and maillog_file — and starts it with `postfix -c <dir> start`. On exit (also after an
error) it runs `postfix -c <dir> stop`, waits for that instance's master process to end and removes the
directory. The system's own Postfix (/etc/postfix, /var/spool/postfix, port 25) is never read for
settings, written or started.

What the instance serves, on 127.0.0.1 only (a free high port, 2587 if it is free):
  * one submission-like smtpd service in its own master.cf, no chroot;
  * STARTTLS offered (smtpd_tls_security_level = may) with a certificate for "localhost" issued by a
    throwaway trustme CA; the CA is written to `ca_file` for the clients;
  * SMTP AUTH PLAIN/LOGIN through Cyrus SASL (auxprop sasldb) for `USER` / `PASSWORD`, offered only
    after STARTTLS (smtpd_tls_auth_only = yes);
  * relaying for authenticated clients only; every recipient domain is remote (mydestination empty)
    and goes to the discard transport, so MAIL FROM / RCPT TO get 250 and nothing is ever delivered;
  * no artificial delay: no reverse lookup of the client (smtpd_peername_lookup = no), no connection
    rate or count limits, no DNS-based restrictions, no arrival throttling (in_flow_delay = 0).

Needs root (Postfix's master runs as root and drops to the `postfix` user) and these Debian packages:
postfix, libsasl2-modules (PLAIN, LOGIN), libsasl2-modules-db (the sasldb plugin), sasl2-bin
(saslpasswd2). `unavailable_reason()` says in one line what is missing.

    python bench/postfix.py      # start the instance, check it answers as described, stop it
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

USER = "demo@example.test"
PASSWORD = "bench-postfix-2024"
REALM = "example.test"
PREFERRED_PORT = 2587
START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0

MAIN_CF = """\
compatibility_level = 3.6
config_directory = {etc}
queue_directory = {spool}
data_directory = {data}
maillog_file = {log}
# maillog_file must lie under one of these prefixes; the default (/var, /dev/stdout) excludes /tmp.
maillog_file_prefixes = {root}
myhostname = bench-postfix.example.test
mydomain = example.test
myorigin = $myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4

# Nothing is local and nothing is delivered: every domain is remote, and remote mail is discarded.
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
relayhost =
default_transport = discard:benchmark instance, nothing is delivered
relay_transport = $default_transport

# Relaying for authenticated clients only. mynetworks is named by no restriction below; loopback is
# listed only so that the anvil limits (smtpd_client_event_limit_exceptions = $mynetworks) skip it.
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =

# No artificial delay by Postfix itself.
smtpd_peername_lookup = no
smtpd_client_connection_rate_limit = 0
smtpd_client_connection_count_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_client_recipient_rate_limit = 0
smtpd_client_auth_rate_limit = 0
smtpd_delay_open_until_valid_rcpt = yes
# Postfix's default (1s) delays each message arrival once the instance's delivery tokens run out, which a
# benchmark run back to back soon does: a second added to MAIL/RCPT that no real submission service has.
in_flow_delay = 0

smtpd_tls_security_level = may
smtpd_tls_chain_files = {keycert}
smtpd_tls_loglevel = 0
smtpd_tls_auth_only = yes
smtpd_tls_session_cache_database =

smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = {etc}/sasl
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
broken_sasl_auth_clients = no
notify_classes =
"""

# The usual internal services (no chroot) plus one submission-like smtpd on the benchmark port.
MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
  -o syslog_name=postfix/bench-submission
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

# Cyrus SASL's configuration for the application name "smtpd" (smtpd_sasl_path): passwords come from our
# own sasldb, not from saslauthd or the system. It lives in <config_directory>/sasl/smtpd.conf because
# Debian's Postfix hands Cyrus "$config_directory/sasl:/usr/lib/sasl2" as the search path and that wins
# over cyrus_sasl_config_path (set to the same directory all the same).
SASL_CONF = """\
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: {sasldb}
mech_list: PLAIN LOGIN
"""


class PostfixError(RuntimeError):
    """The instance could not be built or started; the message is one line for the user."""


def _sasl_plugin(name: str) -> bool:
    return any(glob.glob(f"/usr/lib/*/sasl2/lib{name}.so*") + glob.glob(f"/usr/lib/sasl2/lib{name}.so*"))


def unavailable_reason() -> str | None:
    """Why a private Postfix cannot run here, in one line; None when it can."""
    if os.geteuid() != 0:
        return "a private Postfix instance needs root (its master process starts as root)"
    if not shutil.which("postfix") or not shutil.which("postconf"):
        return "Postfix is not installed (apt-get install postfix)"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "the 'postfix' system user is missing (reinstall the postfix package)"
    if not shutil.which("saslpasswd2"):
        return "saslpasswd2 is not installed (apt-get install sasl2-bin)"
    if "cyrus" not in subprocess.run(["postconf", "-a"], capture_output=True, text=True).stdout.split():
        return "this Postfix has no Cyrus SASL server support (postconf -a)"
    for plugin, package in (("plain", "libsasl2-modules"), ("login", "libsasl2-modules"),
                            ("sasldb", "libsasl2-modules-db")):
        if not _sasl_plugin(plugin):
            return f"the Cyrus SASL {plugin} plugin is missing (apt-get install {package})"
    if importlib.util.find_spec("trustme") is None:
        return "trustme is not installed in this Python"
    return None


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Postfix's master binds it
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    for port in range(PREFERRED_PORT, PREFERRED_PORT + 100):
        if _port_is_free(port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PostfixServer:
    """A private Postfix on 127.0.0.1:`port` with STARTTLS and AUTH; see the module docstring."""

    def __init__(self, port: int | None = None) -> None:
        self.requested_port = port
        self.port = 0
        self.user = USER
        self.password = PASSWORD
        self.root: Path | None = None
        self.master_pid: int | None = None
        self._started = False

    # -- paths --------------------------------------------------------------------------------------

    @property
    def etc(self) -> Path:
        assert self.root is not None
        return self.root / "etc"

    @property
    def spool(self) -> Path:
        assert self.root is not None
        return self.root / "spool"

    @property
    def ca_file(self) -> Path:
        assert self.root is not None
        return self.root / "ca.pem"

    @property
    def log_file(self) -> Path:
        assert self.root is not None
        return self.root / "maillog"

    # -- lifecycle ----------------------------------------------------------------------------------

    def __enter__(self) -> "PostfixServer":
        reason = unavailable_reason()
        if reason:
            raise PostfixError(reason)
        try:
            self._build()
            self._start()
        except BaseException:
            self._stop_and_remove()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._stop_and_remove()

    def _postfix(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["postfix", "-c", str(self.etc), *args], capture_output=True, text=True,
                              timeout=60)

    def _build(self) -> None:
        import trustme

        self.root = Path(tempfile.mkdtemp(prefix="bench-postfix-"))
        self.root.chmod(0o755)  # the unprivileged postfix user must reach the sasldb and its data dir
        data = self.root / "data"
        for directory in (self.etc, self.spool, data):
            directory.mkdir()
        postfix_user = pwd.getpwnam("postfix")
        os.chown(data, postfix_user.pw_uid, postfix_user.pw_gid)

        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(self.ca_file))
        self.ca_file.chmod(0o644)
        keycert = self.etc / "localhost-key-and-chain.pem"
        ca.issue_cert("localhost").private_key_and_cert_chain_pem.write_to_path(str(keycert))
        keycert.chmod(0o600)  # smtpd reads it as root before dropping privileges

        sasldb = self.etc / "sasldb2"
        login = self.user.split("@", 1)[0]
        made = subprocess.run(["saslpasswd2", "-c", "-p", "-f", str(sasldb), "-u", REALM, login],
                              input=self.password + "\n", capture_output=True, text=True, timeout=30)
        if made.returncode or not sasldb.exists():
            raise PostfixError(f"saslpasswd2 failed: {(made.stderr or made.stdout).strip()[:200]}")
        os.chown(sasldb, 0, postfix_user.pw_gid)
        sasldb.chmod(0o640)  # smtpd checks passwords as the postfix user
        (self.etc / "sasl").mkdir()
        (self.etc / "sasl" / "smtpd.conf").write_text(SASL_CONF.format(sasldb=sasldb))

        self.port = self.requested_port or free_port()
        (self.etc / "main.cf").write_text(MAIN_CF.format(
            etc=self.etc, spool=self.spool, data=data, log=self.log_file, root=self.root, keycert=keycert))
        (self.etc / "master.cf").write_text(MASTER_CF.format(port=self.port))

    def _start(self) -> None:
        for step in ("check", "start"):
            self._started = step == "start"  # from here on a half-started master is stopped on the way out
            result = self._postfix(step)
            if result.returncode:
                said = " ".join((result.stderr or result.stdout).split()) or "; ".join(self.log_problems())
                raise PostfixError(f"postfix {step} failed: {said[:300] or 'no reason given'}")
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self._read_master_pid()
            if self._banner():
                return
            time.sleep(0.1)
        raise PostfixError(f"Postfix did not answer on 127.0.0.1:{self.port} within {START_TIMEOUT:.0f} s: "
                           + ("; ".join(self.log_problems()) or "nothing logged")[:300])

    def log_problems(self, last: int = 3) -> list[str]:
        """The instance's last warning/fatal log lines, without the timestamp and host prefix."""
        if self.root is None or not self.log_file.exists():
            return []
        lines = self.log_file.read_text(errors="replace").splitlines()
        return [line.split("]: ", 1)[-1] for line in lines if "warning:" in line or "fatal:" in line][-last:]

    def _read_master_pid(self) -> None:
        pid_file = self.spool / "pid" / "master.pid"
        if self.master_pid is None and pid_file.exists():
            text = pid_file.read_text().strip()
            self.master_pid = int(text) if text.isdigit() else None

    def _banner(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                greeting = sock.recv(512)
                sock.sendall(b"QUIT\r\n")
                return greeting.startswith(b"220")
        except OSError:
            return False

    def _stop_and_remove(self) -> None:
        if self.root is None:
            return
        if self._started:
            self._read_master_pid()
            self._postfix("stop")
            deadline = time.monotonic() + STOP_TIMEOUT
            while self.master_pid and _pid_alive(self.master_pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if self.master_pid and _pid_alive(self.master_pid):
                self._postfix("abort")  # kills this instance's master and its children only
                time.sleep(0.5)
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None


def self_check() -> None:
    """Start the instance and show that it behaves as documented above."""
    import smtplib
    import ssl

    with PostfixServer() as server:
        print(f"Postfix on 127.0.0.1:{server.port}, CA {server.ca_file}, master pid {server.master_pid}")
        context = ssl.create_default_context(cafile=str(server.ca_file))
        with smtplib.SMTP("localhost", server.port, timeout=10) as plain:
            plain.ehlo()
            print("before STARTTLS:", sorted(plain.esmtp_features))
            code, reply = plain.docmd("MAIL FROM:<someone@example.test>")
            code, reply = plain.docmd("RCPT TO:<someone@elsewhere.test>")
            print("unauthenticated relay:", code, reply.decode())
        with smtplib.SMTP("localhost", server.port, timeout=10) as client:
            client.starttls(context=context)
            client.ehlo()
            print("after STARTTLS: ", sorted(client.esmtp_features), client.esmtp_features.get("auth"))
            try:
                client.login(server.user, "wrong-password")
            except smtplib.SMTPAuthenticationError as exc:
                print("wrong password:", exc.smtp_code)
            print("login:", client.login(server.user, server.password)[0])
            print("MAIL:", client.docmd(f"MAIL FROM:<{server.user}>")[0],
                  "RCPT:", client.docmd(f"RCPT TO:<{server.user}>")[0],
                  "RCPT elsewhere:", client.docmd("RCPT TO:<someone@elsewhere.test>")[0])
            client.rset()
        log = server.log_file.read_text() if server.log_file.exists() else ""
        print(f"maillog: {len(log.splitlines())} lines, warnings: "
              f"{[line for line in log.splitlines() if 'warning' in line or 'fatal' in line or 'error' in line][:5]}")
        root = server.root
    print("stopped; directory removed:", root is not None and not root.exists())


if __name__ == "__main__":
    import sys

    why = unavailable_reason()
    if why:
        print(f"Postfix benchmark skipped: {why}")
        sys.exit(0)
    self_check()
