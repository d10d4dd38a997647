"""The Explain page on a 10 MB pasted log, next to `smtpdoctor explain` on the same file (issue 22: the page
must answer in under 3x the time the command takes).

    python bench/web.py [--mb 10] [--runs 5]

The command is timed as a user runs it (a new process, output to a file); the page as a support person uses
it: `smtpdoctor serve` already running (in its own process), the log pasted into the text box and sent as
the browser sends it (multipart/form-data, lines ending in CRLF), until the whole page has arrived.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from common import ROOT, smtpdoctor_cmd


def timed(run, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "app.log"
        subprocess.run([sys.executable, str(ROOT / "bench" / "make_log.py"), str(log), "--mb", str(args.mb)], check=True,
                       stdout=subprocess.DEVNULL)
        data = log.read_bytes()
        with open(Path(tmp) / "out.txt", "wb") as sink:
            cli = timed(lambda: subprocess.run([*smtpdoctor_cmd(), "explain", str(log)], stdout=sink, check=False),
                        args.runs)
        # a browser sends a textarea's lines with CRLF
        text = data.replace(b"\n", b"\r\n")
        boundary = uuid.uuid4().hex
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\n'.encode() + text
                + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="lang"\r\n\r\nen\r\n--{boundary}--\r\n'.encode())
        server = subprocess.Popen([*smtpdoctor_cmd(), "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
        try:
            url = server.stdout.readline().split("open ")[1].split()[0]
            sizes = []

            def post() -> None:
                req = urllib.request.Request(url + "explain", data=body,
                                             headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
                with urllib.request.urlopen(req, timeout=120) as response:
                    sizes.append(len(response.read()))

            post()  # the first request loads the catalog and the templates once, as a running desk page has
            page = timed(post, args.runs)
        finally:
            server.terminate()
            server.wait(10)
    lines = data.count(b"\n")
    c, p = statistics.median(cli), statistics.median(page)
    print(f"log: {len(data) / 1048576:.1f} MB, {lines} lines")
    print(f"smtpdoctor explain FILE        {c * 1000:8.0f} ms (median of {args.runs})")
    print(f"POST /explain (pasted text)    {p * 1000:8.0f} ms (median of {args.runs}; page {sizes[-1] / 1024:.0f} KiB)")
    print(f"ratio                          {p / c:8.2f}x   (target < 3x)")


if __name__ == "__main__":
    main()
