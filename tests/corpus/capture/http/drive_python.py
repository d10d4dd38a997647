"""Python SDKs against apiserver.py: resend, sendgrid, boto3 (SES v1 and v2), postmarker; requests for the rest.
styles: exc = traceback.format_exception_only (an uncaught error's last line); str = logger.error("...: %s", e)
Run: python drive_python.py PORT OUTDIR (in a venv with resend, sendgrid, boto3, postmarker, requests)"""
import json
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from apicases import CASES  # noqa: E402

PORT, OUT = int(sys.argv[1]), Path(sys.argv[2])
KEY = "re_123456789abcdef"


def base(n):
    return f"http://127.0.0.1:{PORT}/{n}"


def send(provider, n):
    if provider == "resend":
        import resend
        resend.api_key, resend.api_url = KEY, base(n)
        return resend.Emails.send({"from": "app@example.test", "to": ["user@example.test"], "subject": "s", "html": "h"})
    if provider == "sendgrid":
        from sendgrid import SendGridAPIClient
        from sendgrid.helpers.mail import Mail
        return SendGridAPIClient("SG.test", host=base(n)).send(
            Mail(from_email="app@example.test", to_emails="user@example.test", subject="s", html_content="h"))
    if provider in ("ses", "sesv2"):
        import boto3
        client = boto3.client(provider, region_name="us-east-1", endpoint_url=base(n),
                              aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret")
        if provider == "ses":
            return client.send_email(Source="app@example.test", Destination={"ToAddresses": ["user@example.test"]},
                                     Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "h"}}})
        return client.send_email(FromEmailAddress="app@example.test", Destination={"ToAddresses": ["user@example.test"]},
                                 Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "h"}}}})
    if provider == "postmark":
        from postmarker.core import PostmarkClient
        return PostmarkClient(server_token="server-token", root_api_url=base(n) + "/").emails.send(
            From="app@example.test", To="user@example.test", Subject="s", HtmlBody="h")
    import requests  # the rest: an app's own call, its log line
    r = requests.post(base(n) + "/v3/send", json={"to": "user@example.test"}, timeout=5)
    if not r.ok or '"error"' in r.text:
        raise RuntimeError(f"{provider} send failed: {r.status_code} {r.text}")
    return r


def save(client, style, n, text):
    d = OUT / client / style
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{n:02d}.txt").write_text(text)


for n, case in enumerate(CASES):
    provider = case[0]
    client = {"ses": "boto3", "sesv2": "boto3", "resend": "resend-python", "sendgrid": "sendgrid-python",
              "postmark": "postmarker"}.get(provider, "python-requests")
    try:
        result = send(provider, n)
        save(client, "result", n, repr(result))
    except Exception as e:  # noqa: BLE001
        save(client, "exc", n, "".join(traceback.format_exception_only(type(e), e)).rstrip("\n"))
        body = getattr(e, "body", None)  # python_http_client keeps the response body apart from the message
        if isinstance(body, bytes):
            body = body.decode()
        save(client, "str", n, f"ERROR:app.mail:send failed: {e}" + (f" {body}" if body else ""))
    print(n, provider, flush=True)
