"""Append the HTTP sending APIs' captures (OUT/<client>/<style>/<NN>.txt from drive_python.py and drive_node.js) to
tests/corpus/round3.jsonl as records "r3-api-NNNN", labelled from apicases.CASES.

A capture is kept only when it shows the provider's own words (its message, error name or code): an SDK line that
says only "HTTP Error 403: Forbidden" tells nothing of the failure (the README's rule for captures without a sign).
A second style of the same client and case is kept when its text differs; equal texts are kept once."""
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from apicases import CASES  # noqa: E402

OUT = Path(sys.argv[1])
JSONL = Path(sys.argv[2])
SDKS = {"resend-python": "resend 2.x (Python)", "sendgrid-python": "sendgrid 6.x (Python)", "boto3": "boto3/botocore",
        "python-requests": "requests (an app's own call)", "resend-node": "resend (Node)", "sendgrid-node": "@sendgrid/mail",
        "mailgun.js": "mailgun.js", "postmark-node": "postmark (Node)", "brevo-node": "@getbrevo/brevo 6", "node-fetch":
        "fetch (an app's own call)", "postmarker": "postmarker"}
STYLES = ["exc", "inspect", "str", "message"]


def signs(case) -> list[str]:
    body = case[2]
    if isinstance(body, str):
        found = re.findall(r"<(?:Code|Message)>([^<]+)<", body) or [body]
    else:
        flat = json.dumps(body)
        found = re.findall(r'"(?:message|Message|error|name|code|error_code)": "([^"]+)"', flat)
    return [s[:30] for s in found if len(s) >= 6]


def main() -> None:
    existing = [json.loads(line) for line in JSONL.read_text().splitlines() if line.strip()]
    texts = {e["text"] for e in existing}
    n_id = sum(1 for e in existing if e["id"].startswith("r3-api-")) + 1
    added = skipped = 0
    with JSONL.open("a") as fh:
        for client in sorted(SDKS):
            for style in STYLES:
                folder = OUT / client / style
                if not folder.is_dir():
                    continue
                for f in sorted(folder.glob("*.txt")):
                    n = int(f.stem)
                    case = CASES[n]
                    text = f.read_text().rstrip("\n")
                    lines = text.split("\n")
                    text = "\n".join(lines[:15])
                    if "Not Found for url" in text or not any(s in text for s in signs(case)) or text in texts:
                        skipped += 1
                        continue
                    texts.add(text)
                    provider, status, _, expected, source, note = case[:6]
                    fh.write(json.dumps(dict(
                        id=f"r3-api-{n_id:04d}", text=text,
                        source=f"captured: {SDKS[client]} [{style}] vs the documented HTTP {status} answer of {source}",
                        client=client, provider=provider, expected=expected, note=note, api=provider),
                        ensure_ascii=False) + "\n")
                    n_id += 1
                    added += 1
    print(f"{added} API records added, {skipped} skipped")


if __name__ == "__main__":
    main()
