"""aiosmtplib (PyPI 5.1.3, in its own venv outside the repo) `aiosmtplib.send` against each scenario.

styles: exc = traceback.format_exception_only (the last line of an uncaught traceback)
        str = str(e)  (what `logger.error("... %s", e)` shows)
Run: /tmp/capture/aiovenv/bin/python drive_aiosmtplib.py [scenario...]
"""
import asyncio
import sys
import traceback
from email.message import EmailMessage

import aiosmtplib

from common import FROM, HOST, PASSWORD, RUN, SCENARIOS, TIMEOUT, TO, USER, ports, save


async def send(port: int, mode: str):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = FROM, TO, "capture"
    msg.set_content("hello")
    kw = dict(hostname=HOST, port=port, timeout=TIMEOUT, cert_bundle=str(RUN / "ca.pem"))
    if mode == "ssl":
        kw["use_tls"] = True
    elif mode.startswith("starttls"):
        kw["start_tls"] = True
    else:
        kw["start_tls"] = False
    if not mode.endswith("noauth"):
        kw.update(username=USER, password=PASSWORD)
    return await aiosmtplib.send(msg, **kw)


def main(only=None):
    p = ports()
    for name, sc in SCENARIOS.items():
        if only and name not in only:
            continue
        try:
            asyncio.run(send(p[name], sc["mode"]))
        except Exception as e:  # noqa: BLE001
            save("aiosmtplib", "exc", name, "".join(traceback.format_exception_only(type(e), e)).rstrip("\n"))
            save("aiosmtplib", "str", name, str(e))
        print(name, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
