"""100 000 ordinary log lines — web requests, timings, versions, addresses, mail that went fine — must not
produce a single error diagnosis. The templates are full of the numbers and words that look like SMTP
evidence (421 ms, HTTP 550 in a path, user_id=534, nodemailer@4.7.0, 5.7.1.2, "mail", "smtp")."""

from __future__ import annotations

import io
import random

from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.logs.explain import run_explain
from smtpdoctor.report import Severity

ORDINARY = [
    "{ts} INFO  GET /api/messages?room={n} 200 {ms}ms - Mozilla/5.0 (X11; Linux x86_64)",
    "{ts} INFO  POST /api/auth/login 200 {ms}ms user_id={code}",
    "{ts} WARN  slow request took {code} ms: GET /api/rooms/{n}",
    "{ts} INFO  worker {n} finished job in {code} ms",
    "{ts} INFO  retrying in {code} ms (attempt 2 of 5)",
    "{ts} ERROR GET /api/v2/export 500 {ms}ms: Internal Server Error",
    "{ts} WARN  upstream answered 502 Bad Gateway after {ms} ms",
    "{ts} INFO  loaded nodemailer@4.7.0, express@5.1.0, pg@8.5.4",
    "{ts} INFO  client 5.7.1.{n} connected from 10.{n}.4.5",
    "{ts} DEBUG cache hit key=session:{n} ttl={code}",
    '{{"level":"info","time":"{ts}","msg":"request completed","status":{code},"duration_ms":{ms}}}',
    "{ts} INFO  Mail queue empty, {n} messages delivered today",
    "{ts} INFO  SMTP server configured: host=smtp.example.com port=587 secure=false",
    "{ts} INFO  Sending welcome email to user{n}@example.com",
    "{ts} INFO  Email sent: <{n}.abc@example.com> 250 2.0.0 OK queued as A{n}",
    "{ts} INFO  mailer: verified transport in {ms} ms",
    "app_1  | {ts} info: socket connected id={n} transport=websocket",
    "{ts} app[web.1]: at=info method=GET path=\"/health\" status=200 bytes={code} service={ms}ms",
    "{ts} INFO  order {n} total 535.00 EUR, tax 5.7%",
    "{ts} DEBUG feature flag auth.v2 enabled for {n}% of users",
    "{ts} INFO  release 5.7.8 deployed (build {n})",
    "{ts} INFO  GET /docs/rfc5321#section-4.2.{n} 200",
    "    at processTicksAndRejections (node:internal/process/task_queues:95:5)",
    "{ts} INFO  password reset requested for user {n} (token sent by email)",
    "{ts} WARN  rate of /api/search is {n} rpm, above the soft limit",
    "{ts} INFO  auth: login ok for user{n}@example.com in {ms} ms",
    "{ts} INFO  recipient list has {code} entries, sender noreply@example.com",
    "{ts} DEBUG response code 200 from payment gateway after {ms} ms",
    "{ts} ERROR webhook HttpRequestException: 503: Service Unavailable",
    "{ts} ERROR GET /api/users/{n} Error: 404: Not Found",
    "{ts} INFO  upgraded openssl 3.0.13 -> 3.0.15, php 5.6.40, rails 4.2.11, node 5.0.{n}",
]


def _lines(count: int):
    rng = random.Random(20261126)
    for _ in range(count):
        template = rng.choice(ORDINARY)
        yield template.format(ts=f"2026-11-{rng.randint(10, 28)}T1{rng.randint(0, 9)}:{rng.randint(10, 59)}:07.123Z",
                              n=rng.randint(1, 99999), ms=rng.randint(1, 900), code=rng.choice([421, 450, 530, 534, 535, 550, 554, 587, 465]))


def test_ordinary_lines_give_no_error_or_warning():
    log = ("\n".join(_lines(100_000)) + "\n").encode()
    report = run_explain(["-"], load_catalog(), stdin=io.BytesIO(log))
    problems = [(f.code, f.evidence.text if f.evidence else "") for f in report.findings
                if f.severity in (Severity.ERROR, Severity.WARNING)]
    assert report.logs.lines == 100_000
    assert problems == []
