"""fastapi-mail (PyPI fastapi-mail 1.6.8, on aiosmtplib 5.1.3) against each scenario: `FastMail.send_message`.

    ConnectionConfig(MAIL_SERVER=localhost, MAIL_PORT=PORT, MAIL_STARTTLS, MAIL_SSL_TLS, USE_CREDENTIALS,
                     VALIDATE_CERTS=True, TIMEOUT=4)

MAIL_FROM/recipients are @example.com (its EmailStr check refuses the reserved .test domain; the login user
stays demo@example.test). starttls = MAIL_STARTTLS, ssl = MAIL_SSL_TLS, plain = neither; *-noauth with USE_CREDENTIALS=False.
style exc = the last traceback line.
"""
import sys

from wrapper_loop import child, main


def send(mode, port):
    import asyncio

    from fastapi_mail import ConnectionConfig, FastMail, MessageSchema, MessageType
    from common import HOST, PASSWORD, TIMEOUT, USER
    # its pydantic EmailStr refuses the reserved .test names: From and To are example.com here
    FROM, TO = "app@example.com", "user@example.com"
    conf = ConnectionConfig(MAIL_USERNAME=USER, MAIL_PASSWORD=PASSWORD, MAIL_FROM=FROM, MAIL_PORT=port,
                            MAIL_SERVER=HOST, MAIL_STARTTLS=mode.startswith("starttls"), MAIL_SSL_TLS=mode == "ssl",
                            USE_CREDENTIALS=not mode.endswith("noauth"), VALIDATE_CERTS=True, TIMEOUT=TIMEOUT)
    msg = MessageSchema(subject="capture", recipients=[TO], body="hello", subtype=MessageType.plain)
    asyncio.run(FastMail(conf).send_message(msg))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(send)
    else:
        main("fastapi-mail", __file__)
