"""Serve apicases.CASES on 127.0.0.1:PORT: any request under /N/ gets case N's documented status and body."""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from apicases import CASES  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        parts = self.path.strip("/").split("/")
        case = CASES[int(parts[0])] if parts and parts[0].isdigit() and int(parts[0]) < len(CASES) else None
        if case is None:
            self.send_response(404)
            self.end_headers()
            return
        provider, status, body = case[:3]
        extra = case[6] if len(case) > 6 else {}
        data = body if isinstance(body, str) else json.dumps(body)
        self.send_response(status)
        kind = "text/xml" if data.startswith("<") else "text/plain" if not data.startswith("{") else "application/json"
        self.send_header("Content-Type", kind)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data.encode())))
        self.end_headers()
        self.wfile.write(data.encode())

    do_GET = do_POST = do_PUT = answer

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
