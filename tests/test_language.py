"""Both languages are first-class: no English left inside Russian text, no Cyrillic in English text.

Every catalog entry (title, explanation, fix, each variant and provider advice) and every UI message
is checked in both languages. Words that are the same in every language are allowed in Russian:
finding codes, variable and option names, host names, URLs, protocol words and product names.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.render.i18n import Lang, _messages, message_ids, plural, plural_form, tr

CATALOG = load_catalog()
KNOWLEDGE = Path(__file__).resolve().parent.parent / "smtpdoctor" / "knowledge"
# Data files whose user-facing texts are `{ en = ..., ru = ... }` tables (or `x.en` / `x.ru` dotted keys).
BILINGUAL_DATA_FILES = ("providers.toml", "platforms.toml", "provider_extras.toml", "frameworks.toml")

# Protocol, standard and product words a Russian technical writer keeps in Latin letters.
ALLOWED = {
    "smtp", "starttls", "tls", "ssl", "auth", "plain", "login", "cram", "md5", "xoauth2", "oauthbearer", "oauth",
    "oauth2", "dns", "spf", "dkim", "dmarc", "mx", "txt", "srv", "nxdomain", "servfail", "ehlo", "helo", "mail",
    "from", "rcpt", "to", "data", "quit", "rset", "ip", "ipv4", "ipv6", "tcp", "url", "api", "http", "https", "json",
    "csv", "jsonl", "toml", "yaml", "yml", "env", "ok", "pem", "ca", "utf", "cp1251", "nul", "cr", "lf", "crlf",
    "gmail", "google", "workspace", "outlook", "hotmail", "microsoft", "exchange", "online", "yahoo", "mail.ru",
    "yandex", "sendgrid", "twilio", "mailgun", "resend", "smtp2go", "amazon", "ses", "aws", "brevo", "sendinblue",
    "postmark", "mailjet", "zoho", "rambler", "icloud", "apple", "id", "render", "railway", "heroku", "vercel",
    "supabase", "netlify", "docker", "github", "actions", "gitlab", "ci", "nodemailer", "django", "laravel",
    "symfony", "spring", "boot", "phpmailer", "javamail", "python", "smtplib", "node", "php", "go", "swaks",
    "openssl", "postfix", "exim", "sendmail", "app", "sasl",
    "rfc", "iana", "true", "false", "null", "yes", "no", "on", "off", "none", "mailer", "dsn", "gsmtp",
    "apikey", "sg", "re", "smtps", "ssl/tls", "powershell", "set-casmailbox", "smtpclientauthenticationdisabled",
    "senders",
    "ms", "p", "sp", "pct", "adkim", "aspf", "v", "all", "include",
    "reject", "quarantine", "redirect", "ptr", "exists", "a", "utf-8", "ascii", "base64", "www", "com", "ru", "net",
    "org", "io", "html", "xml", "junit", "markdown", "sni", "san", "cn", "x509", "pkix", "econnrefused", "etimedout",
    "econnreset", "enotfound", "eai_again", "eauth", "etls", "eenvelope", "esocket", "enetunreach", "ehostunreach",
    "smtpdoctor", "docker-compose", "gotrue", "windows", "unix", "linux", "macos", "java", "certbot", "azure", "cloud",
    "digitalocean", "linode", "hetzner", "fly.io", "cloudflare", "workers", "lambda", "graph", "office", "365",
    "permerror", "temperror", "softfail", "fail", "pass", "return-path", "_domainkey", "mailbox",
    # proper names from the provider, platform and framework data
    "swiftmailer", "deno", "dokku", "knative", "caldav", "carddav", "entra", "turbify", "fastmail", "proton",
    "icloud+", "msdn", "vnet", "paas", "rdns", "localhost", "rails", "ruby", "actionmailer",
}
# Product names made of ordinary English words: allowed only as the whole name, spelled exactly so.
ALLOWED_NAMES = (
    "App Service Environment", "App Service", "Azure Functions", "Azure Communication Services", "Cloud Run",
    "Cloud Functions", "Compute Engine", "Edge Functions", "Deno Deploy", "Heroku Labs", "App Platform",
    "Visual Studio", "Enterprise Agreement", "Enterprise Dev/Test", "High Volume Email", "Inbound Parse",
    "Yahoo Small Business", "Proton Mail Bridge",
)
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_.+/@:-]*")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")


def _latin_words(text: str) -> list[str]:
    text = re.sub(r"\{[a-z_|]+\}", "", text)  # placeholders
    for name in ALLOWED_NAMES:
        text = text.replace(name, "")
    text = re.sub(r"\b\d+(?:\.\d+)*\.x\b", "", text)  # version series: 9.0.x
    text = re.sub(r"(?<![\w.])(?:\.[a-z]{2,})+\b", "", text)  # domain zones: .eu, .com.au
    text = re.sub(r"https?://\S+|`[^`]*`|«[^»]*»|\"[^\"]*\"|--[a-z][a-z0-9-]*", "", text)  # URLs, code, quoted names, options
    bad = []
    for token in TOKEN.findall(text):
        word = token.strip(".:-/").lower()
        if not word or word in ALLOWED:
            continue
        if token.isupper() or "_" in token or "." in token.strip(".") or "@" in token or "=" in token:
            continue  # SMTP_PORT, a.b.host, user@x, KEY=value: names, not English
        if re.fullmatch(r"[a-z]+\.[a-z0-9_]+", word) or any(c.isdigit() for c in word):
            continue  # finding codes, version-like tokens
        bad.append(token)
    return bad


def _catalog_texts():
    for entry in CATALOG.entries.values():
        yield entry.code, entry.title, entry.explanation, entry.fix
        for name, variant in entry.variants.items():
            yield f"{entry.code}/{name}", variant.title, variant.explanation, variant.fix
        for name, advice in entry.providers.items():
            yield f"{entry.code}@{name}", None, advice.explanation, advice.fix


def _pieces(title, explanation, fix, lang: str) -> list[str]:
    out = [t.get(lang) for t in (title, explanation) if t is not None]
    if fix is not None:
        out += list(fix.get(lang))
    return out


def test_catalog_russian_has_no_english_and_english_no_cyrillic():
    problems = []
    for where, title, explanation, fix in _catalog_texts():
        for text in _pieces(title, explanation, fix, "ru"):
            bad = _latin_words(text)
            if bad:
                problems.append(f"{where} [ru]: {bad}")
        for text in _pieces(title, explanation, fix, "en"):
            if CYRILLIC.search(text):
                problems.append(f"{where} [en]: Cyrillic in {text[:60]!r}")
    assert not problems, "\n".join(problems)


def test_messages_russian_has_no_english_and_english_no_cyrillic():
    problems = []
    for message_id in message_ids():
        entry = _messages()[message_id]
        assert entry.get("en") and entry.get("ru"), f"{message_id} lacks en or ru"
        if CYRILLIC.search(str(entry["en"])):
            problems.append(f"{message_id} [en]: {entry['en']!r}")
        bad = _latin_words(str(entry["ru"]))
        if bad:
            problems.append(f"{message_id} [ru]: {bad}")
    assert not problems, "\n".join(problems)


def _bilingual_texts(node, where: str):
    """Every table with string `en` and `ru` keys, at any depth, as (where, en, ru)."""
    if isinstance(node, dict):
        if isinstance(node.get("en"), str) and isinstance(node.get("ru"), str):
            yield where, node["en"], node["ru"]
        for key, value in node.items():
            yield from _bilingual_texts(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _bilingual_texts(item, f"{where}[{index}]")


@pytest.mark.parametrize("file_name", BILINGUAL_DATA_FILES)
def test_knowledge_data_russian_has_no_english_and_english_no_cyrillic(file_name):
    path = KNOWLEDGE.parent.parent / file_name if file_name == "providers.toml" else KNOWLEDGE / file_name
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    texts = list(_bilingual_texts(data, file_name.removesuffix(".toml")))
    assert texts, f"no bilingual texts found in {file_name}"
    problems = []
    for where, en, ru in texts:
        if CYRILLIC.search(en):
            problems.append(f"{where} [en]: Cyrillic in {en[:60]!r}")
        bad = _latin_words(ru)
        if bad:
            problems.append(f"{where} [ru]: {bad}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("n, en, ru", [(1, "1 line", "1 строка"), (2, "2 lines", "2 строки"), (5, "5 lines", "5 строк"),
                                       (11, "11 lines", "11 строк"), (21, "21 lines", "21 строка"),
                                       (22, "22 lines", "22 строки"), (112, "112 lines", "112 строк")])
def test_plurals_in_both_languages(n, en, ru):
    assert tr("count.lines", Lang.EN, n=n) == en
    assert tr("count.lines", Lang.RU, n=n) == ru


def test_every_plural_word_has_the_forms_each_language_needs():
    for key, entry in _messages().items():
        if key.startswith("plural."):
            assert len(entry["en"]) == 2 and len(entry["ru"]) == 3, key
    assert plural("lookup", 1, Lang.RU) == "DNS-запрос" and plural_form(14, Lang.RU) == 2
