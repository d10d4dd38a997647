"""Postfix (Debian 3.7) as a relay client: its smtp(8) delivery agent's log lines for each scenario.

A throwaway Postfix instance under $CAPTURE_RUN/postfix (own config_directory, queue, maillog_file;
nothing of the system's mail setup is used). Every scenario gets a recipient domain dNN.example.test that
transport_maps sends to [localhost]:PORT of that scenario, through one of four smtp(8) transports:
  starttls         smtp_tls_security_level = secure (STARTTLS required, certificate checked), SASL on
  starttls-noauth  the same without SASL (no smtp_sasl_auth_enable)
  ssl              smtp_tls_wrappermode = yes (implicit TLS, port-465 style), secure, SASL on
  plain            smtp_tls_security_level = none, SASL on
The mails are handed in over SMTP on 127.0.0.1:2525 (NOTIFY=NEVER, so no bounces); everything else goes to
the error transport, so nothing leaves loopback. Run as root; `python3 drive_postfix.py [scenario...]`.

style: log = the lines the smtp process logged for that one delivery attempt (warnings, then the status line)
"""
import os
import re
import shutil
import smtplib
import subprocess
import sys
import time

from common import FROM, PASSWORD, RUN, SCENARIOS, USER, ports, save

PF = RUN / "postfix"
ETC, SPOOL, DATA, LOG = PF / "etc", PF / "spool", PF / "data", PF / "maillog"
SUBMIT_PORT = 2525
TIMEOUT = "4s"

MAIN_CF = f"""\
compatibility_level = 3.6
config_directory = {ETC}
queue_directory = {SPOOL}
data_directory = {DATA}
maillog_file = {LOG}
maillog_file_prefixes = {PF}
myhostname = app-host.example.test
mydomain = example.test
myorigin = $myhostname
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = $transport_maps
transport_maps = texthash:{ETC}/transport
default_transport = error:this capture instance delivers to loopback only
relayhost =
smtp_host_lookup = native
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = static:{USER}:{PASSWORD}
smtp_sasl_security_options = noanonymous
smtp_sasl_tls_security_options = noanonymous
smtp_tls_CAfile = {RUN}/ca.pem
smtp_tls_mandatory_protocols = >=TLSv1.2
smtp_tls_loglevel = 1
smtp_connect_timeout = {TIMEOUT}
smtp_helo_timeout = {TIMEOUT}
smtp_starttls_timeout = {TIMEOUT}
smtp_mail_timeout = {TIMEOUT}
smtp_rcpt_timeout = {TIMEOUT}
smtp_data_init_timeout = {TIMEOUT}
smtp_data_xfer_timeout = {TIMEOUT}
smtp_data_done_timeout = {TIMEOUT}
smtp_quit_timeout = {TIMEOUT}
default_destination_concurrency_limit = 1
initial_destination_concurrency = 1
smtp_connection_cache_on_demand = no
notify_classes =
"""

MASTER_CF = """\
127.0.0.1:2525 inet n - n - - smtpd
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
cap-starttls unix - - n - - smtp
  -o syslog_name=postfix -o smtp_tls_security_level=secure -o smtp_tls_secure_cert_match=nexthop
cap-starttls-noauth unix - - n - - smtp
  -o syslog_name=postfix -o smtp_tls_security_level=secure -o smtp_tls_secure_cert_match=nexthop
  -o smtp_sasl_auth_enable=no
cap-ssl unix - - n - - smtp
  -o syslog_name=postfix -o smtp_tls_wrappermode=yes -o smtp_tls_security_level=secure
  -o smtp_tls_secure_cert_match=nexthop
cap-plain unix - - n - - smtp
  -o syslog_name=postfix -o smtp_tls_security_level=none
"""


def postfix(*args):
    return subprocess.run(["postfix", "-c", str(ETC), *args], capture_output=True, text=True)


def setup(selected):
    postfix("stop")
    shutil.rmtree(PF, ignore_errors=True)
    for d in (ETC, SPOOL, DATA):
        d.mkdir(parents=True)
    shutil.chown(DATA, "postfix")
    (ETC / "main.cf").write_text(MAIN_CF)
    (ETC / "master.cf").write_text(MASTER_CF)
    p = ports()
    rows = [f"d{i:02d}.example.test cap-{SCENARIOS[n]['mode']}:[localhost]:{p[n]}" for i, n in selected]
    (ETC / "transport").write_text("\n".join(rows) + "\n")
    for step in (["set-permissions"], ["check"], ["start"]):
        r = postfix(*step)
        if r.returncode:
            sys.exit(f"postfix {step[0]} failed: {r.stderr}")
    time.sleep(2)


def submit(selected):
    s = smtplib.SMTP("127.0.0.1", SUBMIT_PORT, timeout=30)
    for i, name in selected:
        s.sendmail(FROM, [f"user@d{i:02d}.example.test"],
                   f"From: {FROM}\r\nTo: user@d{i:02d}.example.test\r\nSubject: capture\r\n\r\nhello\r\n",
                   rcpt_options=["NOTIFY=NEVER"])
    s.quit()


def attempts():
    """maillog -> {domain number: lines of the first delivery attempt}. An smtp process logs warnings
    without a queue id, so each attempt is that pid's lines since its previous status line."""
    pending, found = {}, {}
    line_re = re.compile(r"^\S+ +\d+ [\d:]+ \S+ postfix/(?:[\w-]+/)?smtp\[(\d+)\]: (.*)$")
    for line in LOG.read_text().splitlines():
        m = line_re.match(line)
        if not m:
            continue
        pid, rest = m.groups()
        pending.setdefault(pid, []).append(line)
        st = re.search(r"to=<user@d(\d\d)\.example\.test>.* status=", rest)
        if st:
            found.setdefault(int(st.group(1)), pending.pop(pid))
    return found


def main(only=None):
    selected = [(i, n) for i, n in enumerate(SCENARIOS) if not only or n in only]
    setup(selected)
    try:
        submit(selected)
        deadline = time.time() + 90
        while time.time() < deadline and len(attempts()) < len(selected):
            time.sleep(2)
        got = attempts()
        for i, name in selected:
            if i in got:
                save("postfix", "log", name, "\n".join(got[i]))
            print(name, "logged" if i in got else "NO STATUS LINE", flush=True)
    finally:
        if not os.environ.get("KEEP_POSTFIX"):
            postfix("stop")


if __name__ == "__main__":
    main(sys.argv[1:] or None)
