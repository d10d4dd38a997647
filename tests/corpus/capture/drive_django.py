"""Django send_mail with EMAIL_* settings (run with a venv that has Django; SSL_CERT_FILE=ca.pem for trust).

Records the tail (<= 15 lines) of the traceback a Django error log shows (logger.exception / uncaught)."""
import sys
import traceback

import django
from django.conf import settings

from common import FROM, HOST, PASSWORD, SCENARIOS, TIMEOUT, TO, USER, ports, save


def main(only=None):
    p = ports()
    settings.configure(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST=HOST)
    django.setup()
    from django.core.mail import send_mail
    for name, sc in SCENARIOS.items():
        if only and name not in only:
            continue
        mode = sc["mode"]
        settings.EMAIL_PORT = p[name]
        settings.EMAIL_USE_TLS = mode.startswith("starttls")
        settings.EMAIL_USE_SSL = mode == "ssl"
        settings.EMAIL_TIMEOUT = TIMEOUT
        settings.EMAIL_HOST_USER = "" if mode.endswith("noauth") else USER
        settings.EMAIL_HOST_PASSWORD = "" if mode.endswith("noauth") else PASSWORD
        try:
            send_mail("capture", "hello", FROM, [TO], fail_silently=False)  # success prints nothing
        except Exception:  # noqa: BLE001
            tb = traceback.format_exc().rstrip("\n").splitlines()
            save("django", "tb", name, "\n".join(tb[-15:]))
        print(name, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
