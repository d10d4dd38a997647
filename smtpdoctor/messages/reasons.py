"""A failure's reason, from knowledge/bounce_reasons.toml (the order of the rules is explained there): what
the record is, a decisive status, the diagnostic's wording, the SMTP command, the status code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Reason:
    id: str
    code: str
    variant: str | None
    bounce: str  # hard | soft | status | none
    side: str


@dataclass(frozen=True)
class Refine:
    source: str
    target: str
    commands: frozenset[str]
    statuses: frozenset[str]
    keep_subjects: frozenset[str]
    phrases: tuple[str, ...]
    no_status: bool
    kinds: frozenset[str]
    bare_reply: bool = False
    hosts: re.Pattern | None = None  # only for a reply from these remote hosts (a provider's documented behaviour)
    temporary: bool = False  # only for a temporary failure (class 4, RFC 3463 section 3.1), whatever else
    keep_named: bool = False  # a reply with no stage that names an address keeps the reading (see the data)

    def applies(self, status: str | None, command: str | None, lowered: str, kind: str,
                reply_code: str | None = None, host: str | None = None, temporary: bool = False) -> bool:
        if self.kinds and kind not in self.kinds:
            return False
        if self.hosts is not None and not (host and self.hosts.search(host)):
            return False
        if self.temporary:
            return status[0] == "4" if status else temporary
        if (self.keep_named and command is None and (status is None or status[1:] == ".0.0")
                and _NAMED.search(lowered)):
            return False
        if status is None and self.no_status and command is None:
            return True
        if status is None and self.bare_reply and reply_code and reply_code[0] in "45":
            # RFC 3463 section 3.1: a reply without an enhanced code says no more than "X.0.0" (other or undefined)
            status = reply_code[0] + ".0.0"
        subject = status.split(".")[1] if status else None
        if subject in self.keep_subjects:
            return False
        if self.phrases and not any(p in lowered for p in self.phrases):
            return False
        if command is not None:
            return command in self.commands
        return bool(status) and "X" + status[1:] in self.statuses


class Reasons:
    def __init__(self, data: dict) -> None:
        self.by_id = {r["id"]: Reason(r["id"], r["code"], r.get("variant"), r["bounce"], r["side"]) for r in data["reason"]}
        self.rank = {reason: index for index, reason in enumerate(data["order"])}
        # Three strengths of wording: `strong` (a phrase that names its reason whatever else the text says),
        # `wording`, and `weak` (a phrase that only decides when nothing else does: qmail's "in the queue too
        # long" follows the error that kept the message queued).
        self._levels = []
        for key in ("strong", "wording", "weak"):
            phrases: dict[str, str] = {}
            for r in data["reason"]:
                for phrase in r.get(key, ()):
                    phrases.setdefault(phrase.lower(), r["id"])
            listed = sorted(phrases)
            regexes = [(re.compile(rx, re.I), r["id"]) for r in data["reason"] for rx in r.get(key + "_re", ())]
            self._levels.append((listed, [phrases[p] for p in listed], _finder(listed) if listed else None, regexes))
        self.statuses: dict[str, tuple[str, str]] = {}  # code -> (reason, strength: decisive | specific | generic)
        for entry in data["status"]:
            strength = "decisive" if entry.get("decisive") else "generic" if entry.get("generic") else "specific"
            for code in entry["codes"]:
                self.statuses[code] = (entry["reason"], strength)
        self.commands: dict[str, str] = {k: v for k, v in data.get("command", {}).items() if isinstance(v, str)}
        self.permanent_only = frozenset(data.get("command", {}).get("permanent_only", ()))
        self.refines = [Refine(r["from"], r["to"], frozenset(r.get("commands", ())), frozenset(r.get("statuses", ())),
                               frozenset(r.get("keep_subjects", ())), tuple(r.get("phrases", ())),
                               r.get("no_status", False), frozenset(r.get("kinds", ())), r.get("bare_reply", False),
                               _hosts(r.get("hosts")), r.get("temporary", False), r.get("keep_named", False))
                        for r in data.get("refine", ())]
        # A receiving provider's own codes, documented by it, in its replies: [[receiver]].
        self.receivers = [(_hosts(r["hosts"]), tuple(p.lower() for p in r["phrases"]), r["reason"])
                          for r in data.get("receiver", ())]
        lists = data.get("block_list", {})
        self._lists = [re.compile(rx, re.I) for rx in lists.get("patterns", ())]
        self._list_names = tuple(name.lower() for name in lists.get("names", ()))

    def block_list(self, text: str) -> str | None:
        """The DNS block list a refusal names, as written: the zone after "blocked using" or "listed at", else the
        dotted name around a known list's name ("zen.spamhaus.org"), else that name."""
        for rx in self._lists:
            m = rx.search(text)
            if m and "." in m.group(1).strip("."):
                return m.group(1).strip(".")
        lowered = text.lower()
        for name in self._list_names:
            at = lowered.find(name)
            if at == -1:
                continue
            start, end = at, at + len(name)
            while start > 0 and start > at - 100 and (text[start - 1].isalnum() or text[start - 1] in ".-"):
                start -= 1
            while end < len(text) and end < at + 100 and (text[end].isalnum() or text[end] in ".-"):
                end += 1
            return text[start:end].strip(".-")
        return None

    def status_reason(self, status: str | None) -> tuple[str | None, str]:
        """The reason a status code means (exact code, then X.subject.detail), and how strongly."""
        if not status:
            return None, ""
        found = self.statuses.get(status)
        if found is None:
            found = self.statuses.get("X" + status[1:])
        return found if found else (None, "")

    def worded(self, text: str, level: int = 1) -> str | None:
        """The reason the text's wording names at one strength (0 strong, 1 normal, 2 weak); several: the first
        in `order`."""
        if not text:
            return None
        _, reasons, finder, regexes = self._levels[level]
        lowered = text.lower()
        found = {reasons[i] for i in finder(lowered)} if finder else set()
        for regex, reason in regexes:
            if reason not in found and regex.search(text):
                found.add(reason)
        if not found:
            return None
        return min(found, key=lambda reason: self.rank.get(reason, 999))

    def classify(self, text: str, status: str | None, command: str | None, hint: str | None = None,
                 fallback: str | None = None, also: str = "", kind: str = "failure", temporary: bool = False,
                 reply_code: str | None = None, remark: str = "", own: bool = False, host: str | None = None) -> str:
        """The reason of one failure. `hint`: a reason the source states for certain (a provider's classification);
        `fallback`: one the format implies when the words say nothing (a mailing list's refusal in any language);
        `also`: more text to read when the diagnostic names nothing (a notice's subject); `remark`: the reporting
        MTA's own words on the status (the comment of a DSN's Status field), read with the diagnostic's; `own`: the
        notice was written by the recipient's own mail system, whose verdict on its own users needs no stage;
        `host`: the remote host that answered (a provider's own codes are read in its replies only)."""
        by_status, strength = self.status_reason(status)
        if strength == "decisive":
            return by_status
        text = _unwrapped(text)
        if remark:
            text = f"{remark} {text}" if text else remark
        if host and hint is None and text:
            lowered = text.lower()
            for hosts, phrases, provided in self.receivers:
                if hosts.search(host) and any(p in lowered for p in phrases):
                    return provided
        strong = self.worded(text, 0)
        if hint is None and strong is not None:
            return strong  # a phrase that names its reason whatever the context (no refinement)
        reason = hint or self.worded(text, 1) or fallback
        if (reason is None and command in self.commands and not _is_success(status)
                and not (command in self.permanent_only and (temporary or (status or "").startswith("4")))):
            reason = self.commands[command]
        if reason is None and also:
            reason = self.worded(also, 0) or self.worded(also, 1)
        if reason is None and strength == "specific":
            reason = by_status
        if reason is None:
            reason = self.worded(text, 2)
        if reason is None and strength == "generic":
            reason = "onhold" if status.startswith("4") else by_status
        if reason is None:
            reason = "onhold" if temporary or (status and status.startswith("4")) else "undefined"
        lowered = text.lower()
        for rule in self.refines:
            if rule.source == reason and rule.applies(status, command, lowered, kind, None if own else reply_code, host,
                                                      temporary):
                reason = rule.target
                break
        return reason


def _hosts(patterns) -> re.Pattern | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I) if patterns else None


# A multi-line reply joined into one line repeats its code on every line ("550-5.7.1 ... multiple 550-5.7.1
# addresses in From:"): the repeats are dropped before the wording is read, so a phrase split across lines is found.
_REPEATED_CODE = re.compile(r"(?<=\S)\s+[245]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3}\s+)?(?=\S)")


# An address the reply names as the one it refuses: "<user@example.org>: User unknown", "user@example.org... User
# unknown" (Sendmail), "User unknown: user@example.org".
_NAMED = re.compile(r"[^\s<>@\"(),;:]+@[a-z0-9][a-z0-9.-]*\.[a-z]{2,}")


def _unwrapped(text: str) -> str:
    return _REPEATED_CODE.sub(" ", text) if text else text


def _is_success(status: str | None) -> bool:
    return bool(status) and status.startswith("2")


def _finder(phrases: list[str]):
    """A function giving the indexes of `phrases` found in a lower-cased text (one Aho-Corasick pass)."""
    try:
        import ahocorasick_rs

        automaton = ahocorasick_rs.AhoCorasick(phrases, implementation=ahocorasick_rs.Implementation.DFA)
        return lambda text: [i for i, _, _ in automaton.find_matches_as_indexes(text, overlapping=True)]
    except ImportError:  # pragma: no cover - the wheel exists for common platforms
        rx = re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)))
        index = {p: i for i, p in enumerate(phrases)}
        return lambda text: [index[m.group()] for m in rx.finditer(text)]


@cache
def load_reasons() -> Reasons:
    from smtpdoctor.knowledge.tomlcache import load_shipped

    return Reasons(load_shipped("bounce_reasons.toml"))
