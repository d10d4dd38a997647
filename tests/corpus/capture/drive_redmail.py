"""Red Mail (PyPI redmail 0.6.0, on smtplib) against each scenario: `EmailSender(...).send(...)`.

    EmailSender(host="localhost", port=PORT, username=USER, password=PASS, use_starttls=starttls,
                cls_smtp=smtplib.SMTP_SSL if ssl else smtplib.SMTP, timeout=4)  # extra keywords go to cls_smtp

*-noauth without username/password. The `timeout` keyword goes to cls_smtp. style exc = the last traceback line.
"""
import sys

from wrapper_loop import child, main


def send(mode, port):
    import smtplib

    from redmail import EmailSender
    from common import FROM, HOST, PASSWORD, TIMEOUT, TO, USER
    noauth = mode.endswith("noauth")
    email = EmailSender(host=HOST, port=port, username=None if noauth else USER,
                        password=None if noauth else PASSWORD, use_starttls=mode.startswith("starttls"),
                        cls_smtp=smtplib.SMTP_SSL if mode == "ssl" else smtplib.SMTP, timeout=TIMEOUT)
    email.send(subject="capture", sender=FROM, receivers=[TO], text="hello")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(send)
    else:
        main("redmail", __file__)
