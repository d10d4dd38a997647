"""Scripted fault-injecting SMTP servers on 127.0.0.1, one port per scenario in scenarios.py.

Run with the project's venv (trustme, cryptography):
    /work/main/.venv/bin/python faultserver.py OUTDIR [BASE_PORT]
It writes OUTDIR/ca.pem (the trusted test CA), OUTDIR/ports.json (scenario -> port) and serves until killed.

A raw asyncio SMTP state machine (not aiosmtpd) so that every byte of every reply, multi-line replies,
STARTTLS, implicit TLS, FIN/RST drops and silences are exactly as scripted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import ssl
import struct
import sys
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import importlib, os
SCENARIOS = importlib.import_module(os.environ.get("CAPTURE_SCENARIOS", "scenarios")).SCENARIOS  # scenarios3: round three

HOSTNAME = "mail.example.test"


class Pki:
    def __init__(self, outdir: Path) -> None:
        self.ca = trustme.CA(organization_name="smtpdoctor capture CA")
        self.other = trustme.CA(organization_name="Untrusted Other CA")
        self.outdir = outdir
        self.ca.cert_pem.write_to_path(str(outdir / "ca.pem"))
        self._selfsigned = self._make_selfsigned()

    def _make_selfsigned(self) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = dt.datetime.now(dt.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=365))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
                .sign(key, hashes.SHA256()))
        c, k = self.outdir / "selfsigned.pem", self.outdir / "selfsigned.key"
        c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        k.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
        return c, k

    def context(self, kind: str = "good", tls_max: str | None = None) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if kind == "selfsigned":
            ctx.load_cert_chain(*self._selfsigned)
        else:
            names = ("localhost", "127.0.0.1")
            if kind == "unknown_ca":
                cert = self.other.issue_cert(*names)
            elif kind == "wrong_name":
                cert = self.ca.issue_cert("mail.other-domain.test")
            elif kind == "expired":
                now = dt.datetime.now(dt.timezone.utc)
                cert = self.ca.issue_cert(*names, not_before=now - dt.timedelta(days=400),
                                          not_after=now - dt.timedelta(days=30))
            else:
                cert = self.ca.issue_cert(*names)
            cert.configure_cert(ctx)
        if tls_max == "TLSv1":  # (Python warns that TLSv1 is deprecated: that is the point)
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1
        return ctx


def crlf(reply: str) -> bytes:
    return (reply.replace("\n", "\r\n") + "\r\n").encode()


class Session:
    def __init__(self, cfg: dict, pki: Pki, reader, writer) -> None:
        self.cfg, self.pki, self.r, self.w = cfg, pki, reader, writer
        self.tls = cfg.get("tls") == "implicit"
        self.replies = cfg.get("replies", {})

    async def send(self, reply: str) -> None:
        self.w.write(crlf(reply))
        await self.w.drain()

    def rst(self) -> None:
        sock = self.w.get_extra_info("socket")
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.w.transport.abort()

    async def readline(self) -> bytes:
        return await asyncio.wait_for(self.r.readline(), 120)

    def ehlo_lines(self, arg: str) -> str:
        lines = [f"250-{HOSTNAME} Hello {arg}", "250-PIPELINING", "250-SIZE 35882577", "250-8BITMIME"]
        if self.cfg.get("starttls", True) and not self.tls and self.cfg.get("tls") != "implicit":
            lines.append("250-STARTTLS")
        auth = self.cfg.get("auth", "PLAIN LOGIN")
        if self.cfg.get("auth_after_tls") and not self.tls:
            auth = None  # AUTH offered only once the session is encrypted (Exim's and Postfix's usual set-up)
        if auth:
            lines.append(f"250-AUTH {auth}")
        lines += ["250-ENHANCEDSTATUSCODES", "250 SMTPUTF8"]
        return "\n".join(lines)

    async def run(self) -> None:
        cfg = self.cfg
        greeting = cfg.get("greeting", f"220 {HOSTNAME} ESMTP ready")
        await self.send(greeting)
        if cfg.get("close_after_greeting"):
            await asyncio.sleep(0.2)
            self.w.close()
            return
        while True:
            line = await self.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = text.split(" ", 1)[0].upper()
            if verb == "MAIL" or verb == "RCPT":
                pass
            if cfg.get("hang_at") == verb:
                while await self.r.read(4096):
                    pass
                return
            if cfg.get("drop_at") == verb:
                self.w.close()
                return
            if cfg.get("rst_at") == verb:
                self.rst()
                return
            if verb in ("EHLO",):
                await self.send(self.ehlo_lines(text[5:].strip() or "client"))
            elif verb == "HELO":
                await self.send(f"250 {HOSTNAME}")
            elif verb == "STARTTLS":
                if "STARTTLS" in self.replies:
                    await self.send(self.replies["STARTTLS"])
                    continue
                if not cfg.get("starttls", True) or self.tls:
                    await self.send("502 5.5.1 Error: command not implemented")
                    continue
                await self.send("220 2.0.0 Ready to start TLS")
                ctx = self.pki.context(cfg.get("cert", "good"), cfg.get("tls_max"))
                try:
                    await self.w.start_tls(ctx, ssl_handshake_timeout=30)
                except Exception:
                    self.w.transport.abort()
                    return
                self.tls = True
            elif verb in ("AUTH", "MAIL") and cfg.get("require_tls") and not self.tls:
                await self.send(cfg["require_tls"])
            elif verb == "AUTH":
                await self.auth(text)
            elif verb == "MAIL":
                await self.send(self.replies.get("MAIL", "250 2.1.0 Ok"))
            elif verb == "RCPT":
                await self.send(self.replies.get("RCPT", "250 2.1.5 Ok"))
            elif verb == "DATA":
                if "DATA" in self.replies:
                    await self.send(self.replies["DATA"])
                    continue
                await self.send("354 End data with <CR><LF>.<CR><LF>")
                while True:
                    chunk = await self.readline()
                    if not chunk or chunk in (b".\r\n", b".\n"):
                        break
                await self.send(self.replies.get("DATAEND", "250 2.0.0 Ok: queued as 4F2A1B2C3D"))
            elif verb == "RSET":
                await self.send("250 2.0.0 Ok")
            elif verb == "NOOP":
                await self.send("250 2.0.0 Ok")
            elif verb == "QUIT":
                await self.send("221 2.0.0 Bye")
                self.w.close()
                return
            else:
                await self.send("502 5.5.2 Error: command not recognized")
            if cfg.get("close_after") == verb:
                await asyncio.sleep(0.1)
                self.w.close()
                return

    async def auth(self, text: str) -> None:
        parts = text.split()
        mech = parts[1].upper() if len(parts) > 1 else ""
        offered = (self.cfg.get("auth", "PLAIN LOGIN") or "").split()
        if "AUTH" in self.replies:
            await self.send(self.replies["AUTH"])
            return
        if not offered:
            await self.send("503 5.5.1 Error: authentication not enabled")
            return
        if mech not in offered:
            await self.send("504 5.5.4 Unrecognized authentication type")
            return
        if mech == "PLAIN" and len(parts) < 3:
            await self.send("334 ")
            if (await self.readline()).strip() == b"*":
                await self.send("501 5.7.0 Authentication aborted")
                return
        elif mech == "LOGIN":
            if len(parts) < 3:
                await self.send("334 VXNlcm5hbWU6")
                await self.readline()
            await self.send("334 UGFzc3dvcmQ6")
            await self.readline()
        elif mech not in ("PLAIN",):
            await self.send("334 ")
            await self.readline()
        await self.send(self.replies.get("AUTHDATA", "235 2.7.0 Authentication successful"))


async def serve(name: str, cfg: dict, port: int, pki: Pki, keep: list) -> None:
    kind = cfg.get("kind")
    if kind == "refused":
        return
    if kind == "backlog_full":
        lsock = socket.socket()
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", port))
        lsock.listen(0)
        keep.append(lsock)
        for _ in range(8):  # fill the accept queue; later SYNs are dropped
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            keep.append(c)
        return

    async def handle(reader, writer):
        try:
            if kind == "silent":
                while await reader.read(4096):
                    pass
                return
            if kind == "close":
                writer.close()
                return
            if kind == "rst":
                Session(cfg, pki, reader, writer).rst()
                return
            await Session(cfg, pki, reader, writer).run()
        except Exception:
            try:
                writer.transport.abort()
            except Exception:
                pass

    ssl_ctx = pki.context(cfg.get("cert", "good"), cfg.get("tls_max")) if cfg.get("tls") == "implicit" else None
    server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=ssl_ctx,
                                        ssl_handshake_timeout=60 if ssl_ctx else None)
    keep.append(server)


async def main() -> None:
    outdir = Path(sys.argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    base = int(sys.argv[2]) if len(sys.argv) > 2 else 30000
    pki = Pki(outdir)
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda loop, ctx: None)  # handshake failures are the point, not noise
    keep: list = []
    ports = {}
    for i, (name, s) in enumerate(SCENARIOS.items()):
        port = base + i
        ports[name] = port
        await serve(name, s["server"], port, pki, keep)
    (outdir / "ports.json").write_text(json.dumps(ports, indent=1))
    print(f"serving {len(ports)} scenarios from port {base}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
