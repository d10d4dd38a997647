"""Hostile and broken servers on loopback, byte by byte: for proving the probe stays bounded and calm.

Each behaviour is a coroutine run for every connection; they write exactly the bytes a misbehaving
server would (no SMTP library in between), so the client under test meets the real thing.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import threading
from collections.abc import Awaitable, Callable

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(data)
    await writer.drain()


async def slowloris_greeting(reader, writer) -> None:
    """A greeting sent one byte per second."""
    for byte in b"220 slow.example ESMTP\r\n":
        await _send(writer, bytes([byte]))
        await asyncio.sleep(1.0)


async def endless_greeting_line(reader, writer) -> None:
    """A greeting line that never ends."""
    await _send(writer, b"220 ")
    while True:
        await _send(writer, b"x" * 4096)
        await asyncio.sleep(0.01)


async def megabyte_reply_line(reader, writer) -> None:
    await _send(writer, b"220 " + b"y" * 1_000_000 + b"\r\n")
    await reader.read(100)


async def endless_multiline_ehlo(reader, writer) -> None:
    """'250-' for ever in answer to EHLO."""
    await _send(writer, b"220 ok\r\n")
    await reader.readline()
    while True:
        await _send(writer, b"250-PIPELINING\r\n" * 64)
        await asyncio.sleep(0.001)


async def binary_greeting(reader, writer) -> None:
    rng = random.Random(5)
    await _send(writer, bytes(rng.randrange(256) for _ in range(2048)))
    await asyncio.sleep(30)


async def close_after_every_command(reader, writer) -> None:
    """Greets, then hangs up as soon as a command arrives."""
    await _send(writer, b"220 ok\r\n")
    await reader.readline()
    writer.close()




def _decoded_auth(line: bytes) -> bytes:
    """What the client sent in an AUTH line or continuation, base64-decoded when it is base64."""
    import base64
    import binascii

    token = line.strip().split(b" ")[-1]
    try:
        return base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return token


def echoing_server(where: str) -> Behaviour:
    """A server that repeats the credentials it was sent, in every form: as sent (base64), decoded
    (the plain password, `\\0user\\0password`) and percent-encoded. `where` is the reply that echoes:
    "535" (the AUTH failure), "login" (the AUTH LOGIN continuation), "2xx" (a 235 success), "mail"
    (the MAIL FROM reply, after a successful login)."""
    from urllib.parse import quote

    async def behaviour(reader, writer) -> None:
        sent: list[bytes] = []
        await _send(writer, b"220 echo.example ESMTP\r\n")
        while line := await reader.readline():
            verb = line.split(b" ")[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                mechanisms = b"LOGIN" if where == "login" else b"PLAIN LOGIN"
                await _send(writer, b"250-echo.example\r\n250 AUTH " + mechanisms + b"\r\n")
            elif verb == b"AUTH" and line.split()[1:2] == [b"PLAIN"]:
                sent += [line.strip().split(b" ")[-1], _decoded_auth(line)]
                echo = b" | ".join(sent) + b" | " + quote(_decoded_auth(line).split(b"\0")[-1]).encode()
                if where == "535":
                    await _send(writer, b"535 5.7.8 bad credentials for " + echo.replace(b"\0", b"\\0") + b"\r\n")
                else:
                    await _send(writer, b"235 2.7.0 welcome " + echo.replace(b"\0", b"\\0") + b"\r\n")
            elif verb == b"AUTH":  # LOGIN: each continuation repeats what came before it
                await _send(writer, b"334 VXNlcm5hbWU6\r\n")
                user = (await reader.readline()).strip()
                await _send(writer, b"334 " + user + b" UGFzc3dvcmQ6\r\n")
                password = (await reader.readline()).strip()
                plain = _decoded_auth(password)
                sent += [user, password, plain]
                await _send(writer, b"535 5.7.8 you sent " + password + b" that is " + plain + b"\r\n")
            elif verb == b"MAIL":
                await _send(writer, b"250 2.1.0 sender ok, and your password was " + b" ".join(sent) + b"\r\n")
            elif verb == b"QUIT":
                await _send(writer, b"221 bye\r\n")
                return
            else:
                await _send(writer, b"250 ok\r\n")

    return behaviour


def replying(greeting: bytes, delay: float = 0.0, **replies: bytes) -> Behaviour:
    """A server whose greeting and replies (by verb: ehlo=, auth=, mail=, rcpt=...) are exactly these bytes;
    with `delay`, each of them comes that long after the client's line (the greeting after connecting)."""

    async def behaviour(reader, writer) -> None:
        await asyncio.sleep(delay)
        await _send(writer, greeting)
        while line := await reader.readline():
            await asyncio.sleep(delay)
            verb = line.split(b" ")[0].strip().decode("ascii", "replace").lower()
            if verb == "quit":
                await _send(writer, b"221 bye\r\n")
                return
            await _send(writer, replies.get(verb, b"250 ok\r\n"))

    return behaviour


def _auth_server(auth_reply: bytes) -> Behaviour:
    ehlo = b"250-odd.example\r\n250 AUTH CRAM-MD5\r\n" if b"CRAM" in auth_reply else b"250-odd.example\r\n250 AUTH PLAIN\r\n"
    return replying(b"220 odd.example ESMTP\r\n", ehlo=ehlo, helo=ehlo, auth=auth_reply, **{"*": b"501 cancelled\r\n"})


garbage_cram_challenge = _auth_server(b"334 !!not*base64!! CRAM\r\n")
unexpected_auth_success_code = _auth_server(b"250 sure, whatever\r\n")
# A syntactically valid reply whose text is not UTF-8: must be readable, not fatal.
invalid_utf8_greeting = replying(b"220 \xff\xfe\xc3\x28 mail server\r\n", ehlo=b"250-hello \xff\r\n250 AUTH PLAIN\r\n",
                                 auth=b"535 5.7.8 \xff\xfe credentials invalid\r\n")


# Text a terminal would obey: clear the screen, retitle the window, a C1 CSI, a NUL, a bidi override.
TERMINAL_ESCAPES = b"\x1b[2J\x1b]0;owned\x07\xc2\x9b31m\x00\xe2\x80\xae"
escapes_in_replies = replying(b"220 esc.example " + TERMINAL_ESCAPES + b" ESMTP\r\n",
                              ehlo=b"250-esc.example\r\n250 AUTH PLAIN\r\n",
                              auth=b"535 5.7.8 denied " + TERMINAL_ESCAPES + b"\r\n")


def odd_digit_greeting(code: str) -> Behaviour:
    """A greeting whose reply code is written in other digits: '²²⁰', '٢٢٠', '２２０'."""
    return replying(code.encode("utf-8") + b" odd.example ESMTP\r\n")


def just_under(delay: float) -> Behaviour:
    """Answers every step, each just under the client's --timeout: only an overall bound stops it."""
    return replying(b"220 slow.example ESMTP\r\n", delay, ehlo=b"250-slow.example\r\n250 AUTH PLAIN\r\n",
                    auth=b"235 ok\r\n")


def recording(lines: list[bytes], ehlo_delay: float = 0.0) -> Behaviour:
    """A plain, accepting server that keeps every line the client sent; with `ehlo_delay` it takes that
    long to answer EHLO (a probe can be interrupted while it waits)."""

    async def behaviour(reader, writer) -> None:
        await _send(writer, b"220 rec.example ESMTP\r\n")
        while line := await reader.readline():
            lines.append(line)
            verb = line.split(b" ")[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                await asyncio.sleep(ehlo_delay)
                await _send(writer, b"250-rec.example\r\n250 AUTH PLAIN\r\n")
            elif verb == b"AUTH":
                await _send(writer, b"235 ok\r\n")
            elif verb == b"DATA":
                await _send(writer, b"354 go\r\n")
            elif verb == b"QUIT":
                await _send(writer, b"221 bye\r\n")
                return
            elif line.strip() == b"." or verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                await _send(writer, b"250 ok\r\n")

    return behaviour


# -- issue 21: the probe's evidence untouched and its limits held (tests/test_hostile_probe.py) ----------------


def echo_at(offsets: tuple[int, ...], where: str = "auth", tail: bytes = b"") -> Behaviour:
    """Repeats the password it was sent, padded so that each character offset in `offsets` of its reply line
    falls in the middle of one copy: a client that cuts the line there before masking shows a piece of it.
    `where`: "auth" (a 535 refusal), "2xx" (a 250 where 235 was due), "mail" (the MAIL FROM refusal after a
    235). `tail`: bytes after the last copy, before the line ends (b"y" * 1_000_000: an over-long line)."""

    async def behaviour(reader, writer) -> None:
        await _send(writer, b"220 pad.example ESMTP\r\n")
        password = b""
        while line := await reader.readline():
            verb = line.split(b" ")[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                await _send(writer, b"250-pad.example\r\n250 AUTH PLAIN\r\n")
            elif verb == b"AUTH":
                password = _decoded_auth(line).split(b"\0")[-1]
                if where == "mail":
                    await _send(writer, b"235 2.7.0 ok\r\n")
                else:
                    await _send(writer, _padded(b"535 5.7.8 refused:" if where == "auth" else b"250 2.0.0 sure:",
                                                password, offsets, tail))
            elif verb == b"MAIL" and where == "mail":
                await _send(writer, _padded(b"550 5.7.1 sender refused:", password, offsets, tail))
            elif verb == b"QUIT":
                await _send(writer, b"221 bye\r\n")
                return
            else:
                await _send(writer, b"250 ok\r\n")

    return behaviour


def echo_split(at: int, part: int, pause: float = 1.0) -> Behaviour:
    """Answers AUTH with an over-long line: padding up to character `at`, then the first `part` characters of
    the password it was sent; the password's end and a megabyte more come `pause` seconds later. A client
    that stops reading the line holds a start of the password whose end it never saw (no mask can match)."""

    async def behaviour(reader, writer) -> None:
        await _send(writer, b"220 split.example ESMTP\r\n")
        while line := await reader.readline():
            verb = line.split(b" ")[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                await _send(writer, b"250-split.example\r\n250 AUTH PLAIN\r\n")
            elif verb == b"AUTH":
                password = _decoded_auth(line).split(b"\0")[-1]
                head = b"535 5.7.8 refused: "
                await _send(writer, head + b"x" * (at - len(head)) + password[:part])
                await asyncio.sleep(pause)
                await _send(writer, password[part:] + b"y" * 1_000_000 + b"\r\n")
            elif verb == b"QUIT":
                await _send(writer, b"221 bye\r\n")
                return
            else:
                await _send(writer, b"250 ok\r\n")

    return behaviour


def _padded(head: bytes, secret: bytes, offsets: tuple[int, ...], tail: bytes) -> bytes:
    line = head
    for offset in offsets:
        start = max(len(line) + 1, offset - len(secret) // 2)
        line += b" " + b"x" * (start - len(line) - 1) + secret
    return line + tail + b"\r\n"


def xoauth2_challenge(challenge: bytes) -> Behaviour:
    """Offers XOAUTH2 and answers the login with "334 <challenge>" — any bytes, however malformed — then
    with a 535 once the client has ended the exchange."""
    ehlo = b"250-oauth.example\r\n250 AUTH XOAUTH2 OAUTHBEARER\r\n"
    return replying(b"220 oauth.example ESMTP\r\n", ehlo=ehlo, auth=b"334 " + challenge + b"\r\n",
                    **{"": b"535 5.7.8 Username and Password not accepted\r\n", "aq==": b"535 5.7.8 no\r\n"})


def silent_on_quit(delay: float = 0.0, verb: str = "auth") -> Behaviour:
    """Accepts everything (the answer to `verb` comes `delay` seconds late) and never answers QUIT."""

    async def behaviour(reader, writer) -> None:
        await _send(writer, b"220 mute.example ESMTP\r\n")
        while line := await reader.readline():
            said = line.split(b" ")[0].strip().decode("ascii", "replace").lower()
            if said == "quit":
                await asyncio.sleep(3600)
            if said == verb:
                await asyncio.sleep(delay)
            if said in ("ehlo", "helo"):
                await _send(writer, b"250-mute.example\r\n250 AUTH PLAIN\r\n")
            else:
                await _send(writer, b"235 2.7.0 ok\r\n" if said == "auth" else b"250 ok\r\n")

    return behaviour


class Counting:
    """Wraps a behaviour and counts the connections it served (for "stopped probing" checks)."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.connections = 0

    async def __call__(self, reader, writer) -> None:
        self.connections += 1
        await self.behaviour(reader, writer)


async def silent(reader, writer) -> None:
    await asyncio.sleep(3600)


class HostileServer:
    """Runs one behaviour for every connection, in its own thread and event loop; optionally TLS first."""

    def __init__(self, behaviour: Behaviour, tls: ssl.SSLContext | None = None) -> None:
        self.behaviour = behaviour
        self.tls = tls
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.port = 0
        self.server: asyncio.AbstractServer | None = None

    async def _serve(self, reader, writer) -> None:
        try:
            await self.behaviour(reader, writer)
        except (ConnectionError, asyncio.CancelledError, ssl.SSLError, OSError):
            pass
        finally:
            writer.close()

    def __enter__(self) -> HostileServer:
        self.thread.start()

        async def start():
            return await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)

        self.server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc) -> None:
        async def stop():
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive():
            self.loop.close()
