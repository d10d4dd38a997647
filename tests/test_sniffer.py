"""`explain` names the framework that wrote a log (prescribe/logsource.py's Sniffer) from the markers around a
match, wherever the 4 MiB chunks of the scan fall: the scanner reads one chunk ahead of the block it reads for
matches, and the markers must be looked for around the match, not in the chunk read ahead."""

from __future__ import annotations

import json
import re
from pathlib import Path

from smtpdoctor.logs.scan import CHUNK

LOGS = Path(__file__).parent / "logs"
CORPUS = Path(__file__).parent / "corpus" / "captured.jsonl"


def corpus_text(entry_id: str) -> str:
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["id"] == entry_id:
            return entry["text"]
    raise LookupError(entry_id)


# A real Django 5.2 traceback (captured against a server answering 535): its frames name django/core/mail, the
# exception line after them is the match. The filler is a real access line of Django's runserver.
DJANGO_TRACEBACK = "Traceback (most recent call last):\n" + corpus_text("cap-0281") + "\n"
FILLER = next(line for line in (LOGS / "django.log").read_text().splitlines() if "INFO django.server" in line) + "\n"
# What Rails' Active Job prints after a mail went out: it names Rails' mailer, and is no failure.
ANOTHER_FRAMEWORKS_LINE = ("[ActiveJob] [ActionMailer::MailDeliveryJob] [8f3c0e6e-1b1a-4d7e-9a53-0f6c2d9b3a11] "
                           "Performed ActionMailer::MailDeliveryJob (Job ID: 8f3c0e6e-1b1a-4d7e-9a53-0f6c2d9b3a11) "
                           "from Async(default) in 812.4ms\n")


def filler(size: int) -> str:
    return FILLER * (size // len(FILLER))


def fixes_of(run_cli, path: Path) -> str:
    result = run_cli(["explain", str(path), "--format", "json"])
    doc = json.loads(result.out)
    assert [d["code"] for d in doc["diagnoses"]] == ["auth.bad_credentials"], doc["diagnoses"]
    return " ".join(s for d in doc["diagnoses"] for s in d["fix"])


def test_the_frames_before_a_chunk_boundary_name_the_framework_of_the_match_after_it(run_cli, tmp_path):
    """The frames end just before the first 4 MiB, the exception line just after; a third chunk follows (the
    scanner has read it when it finds the match)."""
    frames, exception = DJANGO_TRACEBACK.rstrip("\n").rsplit("\n", 1)
    head = filler(CHUNK - len(frames) - 1 - 2000)
    head += "x" * (CHUNK - len(head) - len(frames) - 1 - 10) + "\n"  # the frames end 10 bytes before the boundary
    text = head + frames + "\n" + exception + "\n" + filler(CHUNK + CHUNK // 2)
    assert len(head) + len(frames) + 1 < CHUNK < len(head) + len(frames) + 1 + len(exception)
    path = tmp_path / "app.log"
    path.write_text(text)
    fixes = fixes_of(run_cli, path)
    assert "EMAIL_HOST_PASSWORD" in fixes and "SMTP_PASS" not in fixes, fixes


def test_a_match_at_the_start_of_a_long_log_sees_its_own_frames(run_cli, tmp_path):
    path = tmp_path / "app.log"
    path.write_text(filler(1000) + DJANGO_TRACEBACK + filler(CHUNK + CHUNK // 2))
    fixes = fixes_of(run_cli, path)
    assert "EMAIL_HOST_PASSWORD" in fixes, fixes


def test_a_marker_far_from_any_match_names_nothing(run_cli, tmp_path):
    """A bare smtplib exception (no frames, no framework) in the first chunk, and only in the next chunk, with no
    failure near it, a line that names Rails' mailer: the fix keeps the generic names."""
    bare = DJANGO_TRACEBACK.rstrip("\n").rsplit("\n", 1)[1] + "\n"
    text = filler(1000) + bare + filler(CHUNK) + ANOTHER_FRAMEWORKS_LINE + filler(CHUNK)
    path = tmp_path / "app.log"
    path.write_text(text)
    fixes = fixes_of(run_cli, path)
    assert re.search(r"\bSMTP_PASS\b", fixes) and "SMTP_PASSWORD" not in fixes, fixes  # not Rails' name


def test_the_sniffer_sees_a_marker_split_by_the_join_of_two_blocks():
    """Tail and block are searched apart, and their join on its own: a marker cut in two is still found."""
    from smtpdoctor.prescribe.logsource import Sniffer

    class Blocks:
        def read(self, size=-1):
            return b""

    sniffer = Sniffer(Blocks())
    sniffer.scanning(b"x" * 100_000 + b"  File \"/app/django/core/")
    sniffer.scanning(b"mail/backends/smtp.py\", line 94, in open\n")
    sniffer.look()
    assert sniffer.framework() == "django"
    sniffer.scanning(b"y" * 100_000)
    sniffer.look()
    assert sniffer.seen == {"django"}


def test_every_marker_finder_reads_tail_and_block_as_one_text():
    """Hyperscan where it installs, the automaton and the plain search as the fallbacks: the same frameworks,
    a marker cut between the tail and the block included, and none from a marker's pieces apart."""
    from smtpdoctor.prescribe import logsource

    markers = [(fw.id, marker) for fw in logsource.log_frameworks() for marker in fw.markers]
    finders = [make(markers) for make in (logsource._hyperscan_finder, logsource._automaton_finder,
                                          logsource._plain_finder)]
    cases = [(b"x" * 70_000 + b"at org.springframework.ma", b"il.MailSendException: Mail server connection failed"),
             (b"", b"PHPMailer\\PHPMailer\\Exception: SMTP Error: Could not authenticate."),
             (b"django/core/", b"y" * 10 + b"mail"),
             (b"[2025-10-03 12:00:00] production.ERROR: x", b"gotrue")]
    expected = [{"spring"}, {"phpmailer"}, set(), {"laravel", "supabase"}]
    for finder in finders:
        if finder is None:  # Hyperscan not installed here
            continue
        assert [finder(tail, block) for tail, block in cases] == expected
