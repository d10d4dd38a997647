"""yagmail (PyPI yagmail 0.16.0, on smtplib) against each scenario: `yagmail.SMTP(...).send(...)`.

    yagmail.SMTP(USER, PASS, host="localhost", port=PORT, smtp_ssl=ssl, smtp_starttls=starttls, timeout=4)

ssl = implicit TLS (SMTP_SSL), starttls = smtp_ssl=False with smtp_starttls=True, plain = neither; *-noauth with
smtp_skip_login=True. The `timeout` keyword goes to smtplib.SMTP. style exc = the last traceback line.
"""
import sys

from wrapper_loop import child, main


def send(mode, port):
    import yagmail
    from common import FROM, HOST, PASSWORD, TIMEOUT, TO, USER
    yag = yagmail.SMTP(USER, PASSWORD, host=HOST, port=port, smtp_ssl=mode == "ssl",
                       smtp_starttls=mode.startswith("starttls"), smtp_skip_login=mode.endswith("noauth"),
                       timeout=TIMEOUT)
    yag.send(to=TO, subject="capture", contents="hello", headers={"From": FROM})


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(send)
    else:
        main("yagmail", __file__)
