"""The names each settings format reads, and the names next to them that are one slip of the keyboard away.

An application reads `SMTP_PASSWORD`; a `.env` that says `SMTP_PASWORD` gives it nothing, silently. Every
name with a mail prefix that no format reads (and that apps do not commonly set for themselves, such as
`SMTP_FROM_NAME`: knowledge/frameworks.toml `[names]`) is compared with the names that are read.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

MAIL_PREFIXES = ("SMTP_", "EMAIL_", "MAIL_", "MAILER_", "GOTRUE_SMTP_")


def osa_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance (a transposition counts once: gmial -> gmail, HOTS -> HOST is 1)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


@cache
def format_names(framework_id: str) -> frozenset[str]:
    """The environment names a format reads (frameworks.toml `settings`, without the file keys)."""
    from smtpdoctor.settings.model import ENV_NAMES, URL_NAME
    from smtpdoctor.settings.semantics import load_frameworks

    fw = load_frameworks().get(framework_id)
    names = {n for n in (fw.settings if fw else ()) if "." not in n and n.upper() == n}
    if framework_id == "nodemailer":
        names |= {n for group in ENV_NAMES.values() for n in group} | {URL_NAME, "SMTP_OAUTH2_TOKEN"}
    if framework_id == "symfony":
        names |= {"MAILER_FROM"}
    if framework_id == "supabase":  # the dashboard's names, as the hosted docs spell them (reader's fallbacks)
        names |= {"SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASS", "SMTP_ADMIN_EMAIL", "SMTP_SENDER_NAME"}
    return frozenset(names)


@cache
def all_env_names() -> frozenset[str]:
    from smtpdoctor.settings.semantics import load_frameworks

    return frozenset().union(*(format_names(fid) for fid in load_frameworks()))


@cache
def also_common() -> frozenset[str]:
    from smtpdoctor.knowledge.tomlcache import load_shipped

    return frozenset(n.upper() for n in load_shipped("frameworks.toml").get("names", {}).get("also_common", ()))


def slip_of(name: str, known: Iterable[str]) -> str | None:
    """The known name `name` is one slip away from (SMTP_HOTS -> SMTP_HOST, smtp_host -> SMTP_HOST), or None.

    Two slips count only for long names (SMTP_PASWRD -> SMTP_PASSWORD): on short ones two letters off is
    another word (SMTP_SSL is not SMTP_URL)."""
    known = tuple(known)
    if name in known:
        return None
    upper = name.upper()
    same = next((candidate for candidate in known if candidate.upper() == upper), None)
    if same is not None:
        return same  # environment names are case-sensitive: smtp_host is not SMTP_HOST
    best, distance = None, 3
    for candidate in sorted(known):
        d = osa_distance(upper, candidate.upper(), limit=2)
        if d < distance:
            best, distance = candidate, d
    if best is not None and (distance == 1 or (distance == 2 and len(best) >= 11)):
        return best
    return None


def misspelled_env_name(name: str) -> str | None:
    """For an environment name with a mail prefix that no format reads: the name it was meant to be."""
    upper = name.upper()
    if not upper.startswith(MAIL_PREFIXES) or name in all_env_names() or upper in also_common():
        return None
    return slip_of(name, all_env_names())


def wrong_keys(framework_id: str) -> dict[str, str]:
    """Keys a framework's own file does not have but people write (Rails `host:` for `address:`)."""
    from smtpdoctor.knowledge.tomlcache import load_shipped

    for fw in load_shipped("frameworks.toml").get("framework", []):
        if fw.get("id") == framework_id:
            return dict(fw.get("wrong_keys", {}))
    return {}
