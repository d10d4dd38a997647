"""Flask-Mail (PyPI Flask-Mail 0.10.0, Flask 3.1, on smtplib) against each scenario, inside a minimal app context.

    MAIL_SERVER=localhost MAIL_PORT=PORT MAIL_USE_TLS (starttls) / MAIL_USE_SSL (ssl) MAIL_USERNAME/MAIL_PASSWORD
    Mail(app).send(Message(...))

*-noauth without username/password. Flask-Mail has no timeout setting: the app sets socket.setdefaulttimeout(4).
style exc = the last traceback line.
"""
import sys

from wrapper_loop import child, main


def send(mode, port):
    import socket

    from flask import Flask
    from flask_mail import Mail, Message
    from common import FROM, HOST, PASSWORD, TIMEOUT, TO, USER
    socket.setdefaulttimeout(TIMEOUT)
    app = Flask("capture")
    app.config.update(MAIL_SERVER=HOST, MAIL_PORT=port, MAIL_USE_TLS=mode.startswith("starttls"),
                      MAIL_USE_SSL=mode == "ssl", MAIL_DEFAULT_SENDER=FROM)
    if not mode.endswith("noauth"):
        app.config.update(MAIL_USERNAME=USER, MAIL_PASSWORD=PASSWORD)
    mail = Mail(app)
    with app.app_context():
        mail.send(Message("capture", recipients=[TO], body="hello"))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(send)
    else:
        main("flask-mail", __file__)
