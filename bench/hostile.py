"""Time bound per hostile server: each fault of smtpdoctor.testing.hostile with --timeout 2.

    python bench/hostile.py
"""

import time
import tracemalloc

from smtpdoctor.app import CheckOptions, run_check
from smtpdoctor.knowledge.providers import default_providers_path, load_providers
from smtpdoctor.settings.model import load_settings_input
from smtpdoctor.testing import hostile
from smtpdoctor.testing.hostile import HostileServer
from smtpdoctor.testing.server import Pki

FAULTS = [
    ("greeting one byte per second", hostile.slowloris_greeting, {}, {}),
    ("greeting line that never ends", hostile.endless_greeting_line, {}, {}),
    ("1 MB reply line", hostile.megabyte_reply_line, {}, {}),
    ("endless 250- reply to EHLO", hostile.endless_multiline_ehlo, {}, {}),
    ("binary greeting", hostile.binary_greeting, {}, {}),
    ("invalid UTF-8 replies", hostile.invalid_utf8_greeting, {}, {"allow_plaintext_auth": True}),
    ("closes after a command", hostile.close_after_every_command, {}, {}),
    ("garbage CRAM-MD5 challenge", hostile.garbage_cram_challenge, {}, {"allow_plaintext_auth": True}),
    ("2xx in answer to AUTH", hostile.unexpected_auth_success_code, {}, {"allow_plaintext_auth": True}),
]

if __name__ == "__main__":
    providers = load_providers(default_providers_path())
    pki = Pki()
    runs = [(name, HostileServer(b), s, o) for name, b, s, o in FAULTS]
    runs.append(("TLS, then silence", HostileServer(hostile.silent, tls=pki.server_context()),
                 {"SMTP_SECURE": "true", "SMTP_HOST": "localhost"}, {"insecure": True}))
    for name, server, settings, options in runs:
        with server:
            env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port), "SMTP_USER": "u@example.test",
                   "SMTP_PASS": "p", **settings}
            tracemalloc.start()
            started = time.monotonic()
            result = run_check(load_settings_input({}, env), {}, providers, CheckOptions(timeout=2, check_dns=False, **options))
            elapsed = time.monotonic() - started
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        codes = ", ".join(f.code for f in result.findings)
        print(f"{name:32} {elapsed:5.2f} s  peak {peak / 1048576:5.1f} MiB  {codes}")
