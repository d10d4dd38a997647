"""Hostile and oversized mail given to `explain`: every case ends with a clear answer, in bounded memory and time,
never a traceback (issue 19). Memory is measured with tracemalloc around the in-process run; time budgets are
generous ("does not hang / is not quadratic"), never a benchmark."""

from __future__ import annotations

import base64
import io
import json
import os
import time
import tracemalloc

import pytest

from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.logs.explain import run_explain

CATALOG = load_catalog()

DSN_HEAD = ("From: MAILER-DAEMON@mx.example.org\nTo: sender@example.com\nSubject: Undelivered Mail Returned to Sender\n"
            "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
            "--B\nContent-Type: text/plain\n\n<user@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 User "
            "unknown (in reply to RCPT TO command)\n\n"
            "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
            "Final-Recipient: rfc822; user@example.net\nAction: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n\n")


def explain(run_cli, *args):
    result = run_cli(["explain", "--format", "json", *args])
    assert "Traceback" not in result.all, result.all
    return result, json.loads(result.out) if result.out.strip().startswith("{") else None


def test_a_100_mb_attachment_is_skipped_in_bounded_memory(tmp_path):
    path = tmp_path / "big.eml"
    line = base64.b64encode(os.urandom(57)) + b"\n"
    with path.open("wb") as out:
        out.write(DSN_HEAD.encode() + b"--B\nContent-Type: message/rfc822\n\nFrom: sender@example.com\nSubject: big\n"
                  b"Content-Type: multipart/mixed; boundary=\"IN\"\n\n--IN\nContent-Type: application/pdf\n"
                  b"Content-Transfer-Encoding: base64\n\n")
        chunk = line * 20_000
        for _ in range(100 * (1 << 20) // len(chunk) + 1):
            out.write(chunk)
        out.write(b"--IN--\n\n--B--\n")
    started = time.perf_counter()
    tracemalloc.start()
    try:
        report = run_explain([str(path)], CATALOG)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 60  # about 2 s; the whole file is read once
    assert peak < 64 << 20, f"peak {peak >> 20} MiB for a 100 MiB message"
    [record] = report.bounces.records
    assert (record.recipient, record.reason, record.subject) == ("user@example.net", "userunknown", "big")


def test_10000_recipients_are_all_counted(run_cli, tmp_path):
    text = ["From: MAILER-DAEMON@mx.example.org\nTo: sender@example.com\nSubject: Undelivered Mail Returned to Sender\n"
            "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
            "--B\nContent-Type: text/plain\n\nThis is the mail system at host mx.example.org.\n\n"]
    text += [f"<user{i}@example{i % 7}.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 User unknown (in reply "
             f"to RCPT TO command)\n\n" for i in range(10_000)]
    text.append("--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n")
    text += [f"Final-Recipient: rfc822; user{i}@example{i % 7}.net\nAction: failed\nStatus: 5.1.1\n"
             f"Diagnostic-Code: smtp; 550 5.1.1 User unknown\n\n" for i in range(10_000)]
    text.append("--B--\n")
    (tmp_path / "many.eml").write_text("".join(text))
    started = time.perf_counter()
    result, doc = explain(run_cli, str(tmp_path / "many.eml"))
    assert time.perf_counter() - started < 60  # about 2 s
    b = doc["bounces"]
    assert (b["total"], len(b["records"]), b["truncated"]) == (10_000, 1000, True)
    assert b["by_reason"] == {"userunknown": 10_000}
    assert len(b["hard"]) == 10_000 and sum(b["by_domain"].values()) == 10_000
    assert b["records"][999]["recipient"] == "user999@example5.net" and b["records"][0]["command"] == "RCPT"
    csv = run_cli(["explain", "--format", "csv", str(tmp_path / "many.eml")]).out
    assert len(csv.splitlines()) == 10_001


def test_a_declared_boundary_that_is_never_used(run_cli, tmp_path):
    """Some MTAs write one boundary in the header and another between the parts: the parts are found anyway."""
    message = DSN_HEAD.replace('boundary="B"', 'boundary="DECLARED"') + "--B--\n"
    (tmp_path / "b.eml").write_text(message)
    _, doc = explain(run_cli, str(tmp_path / "b.eml"))
    [r] = doc["bounces"]["records"]
    assert (r["recipient"], r["status"], r["command"], r["reason"]) == ("user@example.net", "5.1.1", "RCPT", "userunknown")


def test_unterminated_multipart_bad_charset_and_bad_base64(run_cli, tmp_path):
    message = (DSN_HEAD.replace("Content-Type: text/plain\n", "Content-Type: text/plain; charset=x-no-such-charset\n"
                                "Content-Transfer-Encoding: base64\n")
               .replace("<user@example.net>: host", "%%%not base64%%% <user@example.net>: host"))
    (tmp_path / "b.eml").write_text(message)  # no closing delimiter at all
    _, doc = explain(run_cli, str(tmp_path / "b.eml"))
    [r] = doc["bounces"]["records"]
    assert r["reason"] == "userunknown"


def test_deep_nesting_nul_bytes_and_endless_header(run_cli, tmp_path):
    depth = 20_000
    nested = "".join(f"--b{i}\nContent-Type: multipart/mixed; boundary=\"b{i + 1}\"\n\n" for i in range(depth))
    message = ("From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail\nX-Junk: " + "x\0" * 3_000_000 + "\n"
               "Content-Type: multipart/mixed; boundary=\"b0\"\n\n" + nested + "\n")
    (tmp_path / "deep.eml").write_text(message)
    started = time.perf_counter()
    result, doc = explain(run_cli, str(tmp_path / "deep.eml"))
    assert time.perf_counter() - started < 60
    assert result.code in (0, 1) and doc["bounces"]["messages"] == 1


def test_a_file_that_is_no_message_stays_a_log(run_cli, tmp_path):
    (tmp_path / "photo.eml").write_bytes(os.urandom(200_000))
    result, doc = explain(run_cli, str(tmp_path / "photo.eml"))
    assert result.code == 0 and doc["bounces"] is None and doc["diagnoses"] == []
    (tmp_path / "empty.eml").write_bytes(b"")
    result, doc = explain(run_cli, str(tmp_path / "empty.eml"))
    assert result.code == 0 and doc["bounces"] is None


def test_a_folder_without_messages_is_a_clear_input_error(run_cli, tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here\n")
    result = run_cli(["explain", str(tmp_path)])
    assert result.code == 2 and "Traceback" not in result.all
    assert "no mail messages found" in result.err
    result = run_cli(["explain", "--lang", "ru", str(tmp_path)])
    assert "писем не найдено" in result.err


def test_a_json_document_too_large_to_hold_is_a_clear_input_error(run_cli, tmp_path):
    path = tmp_path / "events.json"
    event = json.dumps({"event": "bounce", "email": "a@example.com", "sg_event_id": "x", "sg_message_id": "y",
                        "reason": "550 5.1.1 user unknown", "status": "5.1.1", "type": "bounce"})
    with path.open("w") as out:  # one pretty-printed array, not JSON Lines: it would have to be held whole
        out.write("[\n  " + event + ",\n")
        chunk = ("  " + event + ",\n") * 10_000
        for _ in range((65 << 20) // len(chunk) + 1):
            out.write(chunk)
        out.write("  " + event + "\n]\n")
    result = run_cli(["explain", str(path)])
    assert result.code == 2 and "Traceback" not in result.all
    assert "JSON Lines" in result.err


def test_deeply_nested_json_is_no_event_and_no_crash(run_cli):
    result = run_cli(["explain", "--format", "json"], stdin="[" * 100_000 + "]" * 100_000 + "\n")
    assert "Traceback" not in result.all and result.code == 0


def test_mbox_body_line_starting_with_from_does_not_split(run_cli, tmp_path):
    message = DSN_HEAD + "--B\nContent-Type: message/rfc822\n\nSubject: hi\n\nFrom here on, nothing\n\n--B--\n"
    mbox = "From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n" + message + "\n"
    (tmp_path / "one.mbox").write_text(mbox * 3)
    _, doc = explain(run_cli, str(tmp_path / "one.mbox"))
    assert doc["bounces"]["messages"] == 3 and doc["bounces"]["total"] == 3


def test_a_large_mbox_streams_in_bounded_memory(tmp_path):
    message = (DSN_HEAD + "--B\nContent-Type: message/rfc822\n\nSubject: hi\n\n" + "body line\n" * 300 + "\n--B--\n")
    unit = ("From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n" + message + "\n").encode()
    path = tmp_path / "big.mbox"
    with path.open("wb") as out:
        for _ in range((16 << 20) // len(unit)):
            out.write(unit)
    tracemalloc.start()
    try:
        report = run_explain([str(path)], CATALOG, max_matches=100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.bounces.messages == (16 << 20) // len(unit)
    assert peak < 16 << 20, f"peak {peak >> 20} MiB for a 16 MiB mbox"


def test_stdin_message_is_recognised_without_a_flag(run_cli):
    result = run_cli(["explain", "--format", "json"], stdin=DSN_HEAD + "--B--\n")
    doc = json.loads(result.out)
    assert doc["bounces"]["records"][0]["reason"] == "userunknown"


@pytest.mark.parametrize("header", ["Error: connect ECONNREFUSED 127.0.0.1:587\nFrom: app\n",
                                    "2024-05-01T10:00:00Z Subject: hello\nTo: x\n"])
def test_a_log_that_looks_a_little_like_headers_stays_a_log(run_cli, header):
    result = run_cli(["explain", "--format", "json"], stdin=header)
    assert json.loads(result.out)["bounces"] is None


def test_reading_a_message_never_raises(tmp_path):
    """Malformed header encodings and parameters the email package trips over: counted, never a traceback."""
    from smtpdoctor.messages.inputs import read_stream
    from smtpdoctor.messages.detect import InputKind
    from smtpdoctor.messages.collect import Collector

    odd = [b"Subject: =?utf-8?q?broken?=?=\nContent-Type: text/plain; charset*=''%\n\nbody\n",
           b"Content-Type: multipart/report; boundary=\n\n--\n--\n",
           b"From: <>\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n!!!\n",
           b"Content-Type: message/rfc822\n\n" * 1000]
    collector = Collector(10)
    for data in odd:
        read_stream(InputKind.MESSAGE, io.BytesIO(data), "odd", collector)
    assert collector.messages == len(odd)


@pytest.mark.parametrize("head", [
    "   ----- Transcript of session follows -----\n",  # Sendmail: its end markers are looked for at every line
    "This is the mail system at host mx.example.org.\n",  # Postfix: its start marker too
])
def test_a_notice_of_blank_lines_is_not_quadratic(head):
    """The markers are anchored at a line's start; one whose leading blanks could also match line ends ("^\\s*...")
    scanned every following blank line again from each one: 40,000 blank lines took about a minute."""
    from smtpdoctor.messages.read import finish, message_records

    raw = ("From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.com>\nTo: sender@example.com\n"
           "Subject: Returned mail: User unknown\n\n" + head + "\n" * 40_000 + "550 <a@example.net>... User unknown\n")
    started = time.monotonic()
    found, kind = message_records(raw.encode())
    assert time.monotonic() - started < 5
    assert kind == "report" and [finish(f).reason for f in found] == ["userunknown"]
