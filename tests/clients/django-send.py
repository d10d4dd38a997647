"""A Django project's mail settings and one send_mail, run on its own: Django's SMTP backend, configured from a
.env the way settings.py files read one (python-dotenv; booleans as django-environ reads them).

Usage: python django-send.py PATH/.env RECIPIENT. Exit 0 when the server accepted the message; otherwise
Django's (or smtplib's) own error on stderr, exit 1. Trust for a test CA comes from SSL_CERT_FILE.
"""

import sys

from dotenv import dotenv_values

TRUE = ("true", "on", "ok", "y", "yes", "1")  # django-environ's Env.BOOLEAN_TRUE_STRINGS


def main(env_file: str, recipient: str) -> int:
    env = dotenv_values(env_file)

    import django
    from django.conf import settings

    settings.configure(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=env.get("EMAIL_HOST", "localhost"),
        EMAIL_PORT=int(env.get("EMAIL_PORT") or 25),
        EMAIL_USE_TLS=(env.get("EMAIL_USE_TLS") or "").lower() in TRUE,
        EMAIL_USE_SSL=(env.get("EMAIL_USE_SSL") or "").lower() in TRUE,
        EMAIL_HOST_USER=env.get("EMAIL_HOST_USER", ""),
        EMAIL_HOST_PASSWORD=env.get("EMAIL_HOST_PASSWORD", ""),
        DEFAULT_FROM_EMAIL=env.get("DEFAULT_FROM_EMAIL", "webmaster@localhost"),
    )
    django.setup()
    from django.core.mail import send_mail

    try:
        send_mail("smtpdoctor real-client test", "Sent by Django from tests/clients.", None, [recipient])
    except Exception as exc:  # noqa: BLE001 - the app's failure, reported as the app would see it
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
