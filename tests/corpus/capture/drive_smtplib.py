"""Python smtplib in several call styles; records what a log would show.

styles: exc   = traceback.format_exception_only (the last line of an uncaught traceback)
        str   = print(e)  (str(err), e.g. "Failed to send: %s" % e without the prefix)
        debug = set_debuglevel(1) transcript tail + the exception line
"""
import contextlib
import io
import smtplib
import ssl
import sys
import traceback
from email.message import EmailMessage

from common import FROM, HOST, PASSWORD, RUN, SCENARIOS, TIMEOUT, TO, USER, ports, save

CTX = ssl.create_default_context(cafile=str(RUN / "ca.pem"))


def send(port: int, mode: str, debug: bool):
    if mode == "ssl":
        s = smtplib.SMTP_SSL(HOST, port, timeout=TIMEOUT, context=CTX)
    else:
        s = smtplib.SMTP(HOST, port, timeout=TIMEOUT)
    if debug:
        s.set_debuglevel(1)
    if mode.startswith("starttls"):
        s.ehlo()
        s.starttls(context=CTX)
        s.ehlo()
    if not mode.endswith("noauth"):
        s.login(USER, PASSWORD)
    if mode == "ssl":
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = FROM, TO, "capture"
        msg.set_content("hello")
        r = s.send_message(msg)
    else:
        r = s.sendmail(FROM, [TO], f"From: {FROM}\r\nTo: {TO}\r\nSubject: capture\r\n\r\nhello\r\n")
    s.quit()
    return r


def main(only=None):
    p = ports()
    for name, sc in SCENARIOS.items():
        if only and name not in only:
            continue
        mode = sc["mode"]
        # debug style: smtplib with set_debuglevel(1) prints to stderr
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            try:
                result = send(p[name], mode, True)
                exc_line = None
            except Exception as e:  # noqa: BLE001
                exc_line = "".join(traceback.format_exception_only(type(e), e)).rstrip("\n")
        lines = [l for l in err.getvalue().splitlines() if l.strip()]
        tail = lines[-10:] + ([exc_line] if exc_line else [])
        save("smtplib", "debug", name, "\n".join(tail))
        try:
            send(p[name], mode, False)  # success: nothing an error log would show (debug style has it)
        except Exception as e:  # noqa: BLE001
            save("smtplib", "exc", name, "".join(traceback.format_exception_only(type(e), e)).rstrip("\n"))
            save("smtplib", "str", name, str(e))
        print(name, file=sys.__stdout__, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
