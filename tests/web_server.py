"""`smtpdoctor serve` for tests: the real Uvicorn server on 127.0.0.1 (a free port) in a thread, and a
small HTTP client over urllib. Used by tests/test_web*.py."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from smtpdoctor.render.i18n import Lang
from smtpdoctor.web.app import ServeConfig
from smtpdoctor.web.serve import serve


class Page:
    """One running page; `stop()` ends it."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self._ready = threading.Event()
        self._server = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("smtpdoctor serve did not start")
        self.url = f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        def ready(server, port) -> None:
            self._server, self.port = server, port
            self._ready.set()

        serve(self.config, Lang.EN, ready=ready)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(10)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def shown(self) -> str:
        """The text as a browser shows it (entities such as &#39; read)."""
        import html

        return html.unescape(self.text)


def request(url: str, data: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None) -> Reply:
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return Reply(response.status, {k.lower(): v for k, v in response.headers.items()},
                         response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode("utf-8"))


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser sends it, and its content type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode("utf-8") + b"\r\n")
    for name, (filename, content) in (files or {}).items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post_explain(base: str, text: str = "", files=None, headers: dict[str, str] | None = None, lang: str = "en") -> Reply:
    body, content_type = multipart({"text": text, "lang": lang}, files)
    return request(base + "/explain", body, {"Content-Type": content_type, **(headers or {})})
