"""Will mail from this address be accepted? The sender domain's MX, SPF, DKIM and DMARC, and the
verdict on the route (From domain x relay) — with an injected resolver, never a global one.

A lookup that fails (timeout, SERVFAIL, no network) is `dns.lookup_failed`: the answer is unknown,
which is never reported as "record missing". A resolver that denies a name that certainly exists
(CONTROL_NAME) is `dns.resolver_broken`: nothing it says of absence is believed, and every "not found"
of the run is marked as possibly its consequence (`Finding.because_of`, see `unconfirmed`).

Every query stays within the run's deadline (--max-time): min(--dns-timeout, what is left).

No words of any language here: problems are Phrases (phrases/probe.toml `dns.*`, phrases/dns.toml `resolver.*`); records
are Evidence(DNS) as published; a resolver's or the OS's own reason is Evidence(SYSTEM).
"""

from __future__ import annotations

import re
import time
from dataclasses import field, replace
from functools import cache
from typing import Literal

from smtpdoctor.report import DnsReport, Evidence, EvidenceKind, Finding, Param, Phrase, Severity, StepName, phrase
from smtpdoctor.knowledge.providers import ProviderCatalog, ProviderPreset
from smtpdoctor.values import value

SPF_LOOKUP_LIMIT = 10  # RFC 7208 §4.6.4
# RFC 6761/2606 names that never resolve on the Internet: no lookup is made for them.
RESERVED_SUFFIXES = (".test", ".example", ".invalid", ".localhost", ".local")
RESERVED_DOMAINS = {"example.com", "example.net", "example.org", "localhost"}
# Asked only after the resolver denied a public name, to tell a missing domain from a resolver that denies
# everything (locked-down CI, split-horizon DNS). A root server's name: it exists as long as DNS does, every
# resolver holds it in its root hints, and asking for it says nothing about the user.
CONTROL_NAME = "a.root-servers.net"
# "Not found" conclusions: worthless when the resolver fails as a whole (the findings `unconfirmed` marks).
ABSENCE_CODES = frozenset({"net.dns_not_found", "config.sender_invalid", "dns.spf_missing", "dns.dmarc_missing",
                           "dns.dkim_missing"})
# Enough of the public suffix list for organisational-domain fallback (RFC 7489 §3.2).
TWO_LEVEL_SUFFIXES = {"co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.nz", "co.jp", "com.br",
                      "com.tr", "co.in", "com.cn", "com.ua", "co.za", "com.mx", "com.ar", "msk.ru", "spb.ru", "com.ru"}


@value(frozen=False)
class Lookup:
    status: Literal["ok", "nxdomain", "nodata", "error"]
    records: list[str] = field(default_factory=list)
    error: Phrase | None = None  # why the answer is unknown (status "error"), in our words
    rcode: str | None = None  # status "error": the resolver's own answer when it gave one (SERVFAIL, REFUSED)


def _system(text: str) -> Evidence:
    return Evidence(EvidenceKind.SYSTEM, text)


def dig(name: str, rdtype: str, lookup: Lookup) -> str:
    """What one query returned, as the records themselves or the DNS status: `name. IN TXT: NXDOMAIN`."""
    head = f"{name.rstrip('.')}. IN {rdtype}"
    if lookup.status == "ok" and lookup.records:
        return "\n".join(f'{head}: "{r}"' if rdtype == "TXT" else f"{head}: {r}" for r in lookup.records)
    if lookup.status == "error" and lookup.rcode:
        return f"{head}: {lookup.rcode}"
    return f"{head}: {'NXDOMAIN' if lookup.status == 'nxdomain' else 'NODATA'}"


class DnsClient:
    """dnspython behind one small interface, so the checks can be pointed at any resolver."""

    def __init__(self, nameservers: list[str] | None = None, timeout: float = 5.0, max_time: float | None = None) -> None:
        self.nameservers = nameservers
        self.timeout = timeout
        # --max-time, counted from now (the start of the run): no query outlives it
        self.max_time = max_time
        self.deadline = time.monotonic() + max_time if max_time else None
        self._resolver = None  # built on the first query: dnspython costs ~50 ms to import
        self.custom = bool(nameservers)  # a resolver of the user's own may serve private or test zones
        self.cache: dict[tuple[str, str], Lookup] = {}
        self.down: Phrase | None = None  # after one timeout, do not spend the budget again on every name
        self.failure: str | None = None  # the code that says this resolver fails as a whole, once it is known to
        self.denied: Lookup | None = None  # its answer for CONTROL_NAME, when it denied that

    @property
    def resolver(self):
        if self._resolver is None:
            import dns.resolver

            if self.nameservers:
                import dns.nameserver

                resolver = dns.resolver.Resolver(configure=False)
                resolver.nameservers = [dns.nameserver.Do53Nameserver(*parse_nameserver(ns)) for ns in self.nameservers]
            else:
                try:
                    resolver = dns.resolver.Resolver()
                except dns.resolver.NoResolverConfiguration:
                    resolver = dns.resolver.Resolver(configure=False)
            # One dropped UDP datagram must not eat the whole budget: retry within the lifetime.
            resolver.timeout = min(1.0, self.timeout)
            resolver.lifetime = self.timeout
            self._resolver = resolver
        return self._resolver

    def query(self, name: str, rdtype: str) -> Lookup:
        key = (name.lower().rstrip("."), rdtype)
        if key in self.cache:
            return self.cache[key]
        if self.down:
            return Lookup("error", error=self.down)
        if self.denied is not None:  # it denies what exists: whatever it would say about this name means nothing
            return Lookup("error", error=phrase("resolver.error.denies", name=CONTROL_NAME))
        lifetime, cut = self.timeout, False
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                self.down = self._out_of_time()
                return Lookup("error", error=self.down)
            lifetime, cut = min(lifetime, left), left < lifetime
        import dns.exception
        import dns.resolver

        asked = time.monotonic()
        try:
            answer = self.resolver.resolve(key[0] + ".", rdtype, search=False, lifetime=lifetime)
            if rdtype == "TXT":
                records = [b"".join(r.strings).decode("utf-8", "replace") for r in answer]
            elif rdtype == "MX":
                records = [f"{r.preference} {r.exchange.to_text(omit_final_dot=True)}" for r in answer]
            else:
                records = [r.to_text() for r in answer]
            result = Lookup("ok", records)
        except dns.resolver.NXDOMAIN:
            result = Lookup("nxdomain")
        except dns.resolver.NoAnswer:
            result = Lookup("nodata")
        except dns.resolver.NoNameservers as exc:
            result = Lookup("error", error=phrase("dns.error.no_nameserver"), rcode=_rcode(exc))
        except dns.exception.Timeout:
            result = Lookup("error", error=self._out_of_time() if cut else phrase("dns.error.timeout"))
            self.down = result.error
            # Silent for a whole try of its own (or all --dns-timeout) is a failing resolver, even if --max-time
            # cut the wait; a query given only the last moments of the deadline says nothing of it.
            if not cut or time.monotonic() - asked >= min(1.0, self.timeout):
                self.failure = self.failure or "dns.lookup_failed"
        except dns.exception.DNSException as exc:
            result = Lookup("error", error=phrase("dns.error.failed", reason=_system(exc.__class__.__name__)))
        except OSError as exc:  # no network at all
            result = Lookup("error", error=phrase("dns.error.network", reason=_system(exc.strerror or exc.__class__.__name__)))
            self.failure = self.failure or "dns.lookup_failed"
        self.cache[key] = result
        return result

    def _out_of_time(self) -> Phrase:
        return phrase("hardening.probe.max_time", seconds=float(self.max_time or 0))

    def denies_what_exists(self) -> Lookup | None:
        """After a public name came back NXDOMAIN, SERVFAIL or REFUSED: ask for CONTROL_NAME (once). Its answer
        when the resolver denies that too — then it denies everything, and absence means nothing."""
        if self.down or self.denied is not None:
            return self.denied
        control = self.query(CONTROL_NAME, "A")
        if control.status == "nxdomain" or (control.status == "error" and control.rcode):
            self.denied, self.failure = control, "dns.resolver_broken"
        return self.denied


def _rcode(exc: Exception) -> str | None:
    """SERVFAIL or REFUSED, as the nameservers answered (dnspython keeps each server's answer in `errors`)."""
    for error in getattr(exc, "kwargs", {}).get("errors") or ():
        if len(error) > 3 and isinstance(error[3], str) and error[3].isalpha() and error[3].isupper():
            return error[3]
    return None


def parse_nameserver(value: str) -> tuple[str, int]:
    """'127.0.0.1', '127.0.0.1:5353', '::1', '[::1]:5353'."""
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 53
    if value.count(":") == 1:
        host, port = value.split(":")
        return host, int(port)
    return value, 53


def is_reserved(domain: str) -> bool:
    domain = domain.lower().rstrip(".")
    return domain in RESERVED_DOMAINS or domain.endswith(RESERVED_SUFFIXES) or "." not in domain


def organisational_domain(domain: str) -> str:
    labels = domain.lower().rstrip(".").split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in TWO_LEVEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


# -- SPF ------------------------------------------------------------------------------------------

@cache
def _spf_term() -> re.Pattern[str]:
    """Compiled on the first SPF record read (~0.5 ms): a run that reads none (offline, --no-dns, a reserved
    domain) does not pay it."""
    return re.compile(
        r"^(?P<q>[+\-~?])?(?:(?P<mech>all|include|a|mx|ptr|ip4|ip6|exists)(?P<arg>[:/].*)?|(?P<mod>redirect|exp)=(?P<val>.+)|(?P<unknown>[a-z][a-z0-9_.\-]*)=(?P<uval>.*))$",
        re.I,
    )


@value(frozen=False)
class SpfResult:
    record: str | None = None
    lookups: int = 0
    chain: list[str] = field(default_factory=list)
    includes: set[str] = field(default_factory=set)
    errors: list[Phrase] = field(default_factory=list)
    failed_lookup: tuple[str, Phrase] | None = None
    all_qualifier: str | None = None
    typo: tuple[str, str] | None = None  # (the term as written, the term it was meant to be)


# RFC 7208 §5/§6: the mechanisms and modifiers. A misspelt one ("ipv4:", "incude:") is an unknown term: the record
# is a permerror, and the fix is that term, not the duplicate-record advice.
_SPF_NAMES = ("include", "redirect", "exists", "all", "ip4", "ip6", "mx", "ptr", "a", "exp")
_SPF_TYPOS = {"ipv4": "ip4", "ipv6": "ip6", "ip": "ip4", "inc": "include", "includes": "include", "inlude": "include"}


def spf_typo(term: str) -> str | None:
    """The term a misspelt SPF term was meant to be ("ipv4:192.0.2.1" -> "ip4:192.0.2.1"), or None."""
    m = re.match(r"^([+\-~?]?)([A-Za-z][A-Za-z0-9]*)([:=/].*)?$", term)
    if m is None:
        return None
    qualifier, name, rest = m.group(1), m.group(2).lower(), m.group(3) or ""
    if name in _SPF_NAMES:
        return None
    meant = _SPF_TYPOS.get(name)
    if meant is None:
        close = [n for n in _SPF_NAMES if len(n) >= 3 and _one_edit(name, n)]
        meant = close[0] if len(close) == 1 else None
    if meant is None:
        return None
    if meant in ("redirect", "exp") and rest.startswith(":"):
        rest = "=" + rest[1:]
    elif meant not in ("redirect", "exp") and rest.startswith("="):
        rest = ":" + rest[1:]
    return qualifier + meant + rest


def _one_edit(a: str, b: str) -> bool:
    """One letter added, dropped, changed or two neighbours swapped (Damerau distance 1)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                   and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def spf_records(records: list[str]) -> list[str]:
    return [r for r in records if re.match(r"^v=spf1(\s|$)", r.strip(), re.I)]


def evaluate_spf(client: DnsClient, domain: str, result: SpfResult, depth: int = 0) -> None:
    """Count the DNS-querying terms of an SPF record and those of everything it includes (RFC 7208 §4.6.4)."""
    lookup = client.query(domain, "TXT")
    if lookup.status == "error":
        result.failed_lookup = (domain, lookup.error or phrase("dns.error.timeout"))
        return
    records = spf_records(lookup.records)
    if depth > 0 and len(records) != 1:
        result.errors.append(phrase("dns.spf.included_none" if not records else "dns.spf.included_many", domain=domain))
        return
    if not records:
        return
    record = records[0].strip()
    if depth == 0:
        result.record = record
    for term in record.split()[1:]:
        m = _spf_term().match(term)
        meant = spf_typo(term) if m is None or m.group("unknown") else None
        if meant is not None:
            result.errors.append(phrase("explain3.spf.typo", term=term, suggested=meant))
            result.typo = result.typo or (term, meant)
            continue
        if m is None:
            result.errors.append(phrase("dns.spf.unknown_term", term=term))
            continue
        mech = (m.group("mech") or "").lower()
        modifier = (m.group("mod") or "").lower()
        if mech == "all" and depth == 0:
            result.all_qualifier = m.group("q") or "+"
        if mech in ("include", "a", "mx", "ptr", "exists") or modifier == "redirect":
            result.lookups += 1
            result.chain.append(f"{'  ' * depth}{domain}: {term}")
        if mech in ("ip4", "ip6") and not m.group("arg"):
            result.errors.append(phrase("dns.spf.needs_address", term=term))
        if mech == "include" or modifier == "redirect":
            target = (m.group("arg") or "")[1:] if mech == "include" else m.group("val")
            if not target:
                result.errors.append(phrase("dns.spf.needs_domain", term=term))
                continue
            result.includes.add(target.lower())
            if depth < 10 and result.lookups <= SPF_LOOKUP_LIMIT + 5:
                evaluate_spf(client, target, result, depth + 1)


# -- DMARC ----------------------------------------------------------------------------------------

@value(frozen=False)
class Dmarc:
    name: str
    record: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    problem: Phrase | None = None
    lookup: Lookup | None = None  # the query that found the record (or found none)

    @property
    def policy(self) -> str | None:
        return self.tags.get("p")

    @property
    def enforcing(self) -> bool:
        try:
            pct = int(self.tags.get("pct", "100"))
        except ValueError:
            pct = 100
        return self.policy in ("quarantine", "reject") and pct > 0


def parse_dmarc(record: str) -> tuple[dict[str, str], Phrase | None]:
    parts = [p.strip() for p in record.strip().strip(";").split(";") if p.strip()]
    tags: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep:
            return tags, phrase("dns.dmarc.not_a_tag", part=part)
        tags[key.strip().lower()] = value.strip()
    if tags.get("v") != "DMARC1" or not parts[0].replace(" ", "").startswith("v=DMARC1"):
        return tags, phrase("dns.dmarc.must_start")
    if tags.get("p", "").lower() not in ("none", "quarantine", "reject"):
        return tags, phrase("dns.dmarc.bad_policy", tag="p")
    if "sp" in tags and tags["sp"].lower() not in ("none", "quarantine", "reject"):
        return tags, phrase("dns.dmarc.bad_policy", tag="sp")
    if "pct" in tags and not (tags["pct"].isdigit() and 0 <= int(tags["pct"]) <= 100):
        return tags, phrase("dns.dmarc.bad_pct")
    for key in ("adkim", "aspf"):
        if key in tags and tags[key].lower() not in ("r", "s"):
            return tags, phrase("dns.dmarc.bad_alignment", tag=key)
    tags["p"] = tags["p"].lower()
    return tags, None


def find_dmarc(client: DnsClient, domain: str) -> tuple[Dmarc | None, tuple[str, Phrase] | None]:
    first: Lookup | None = None
    for name in dict.fromkeys([f"_dmarc.{domain}", f"_dmarc.{organisational_domain(domain)}"]):
        lookup = client.query(name, "TXT")
        if lookup.status == "error":
            return None, (name, lookup.error or phrase("dns.error.timeout"))
        first = first or lookup
        records = [r for r in lookup.records if r.strip().lower().startswith("v=dmarc1")]
        if len(records) > 1:
            return Dmarc(name, records[0], problem=phrase("dns.dmarc.duplicate"), lookup=lookup), None
        if records:
            tags, problem = parse_dmarc(records[0])
            return Dmarc(name, records[0], tags, problem, lookup=lookup), None
    return Dmarc(f"_dmarc.{domain}", lookup=first), None


def dmarc_evidence(dmarc: Dmarc) -> Evidence:
    if dmarc.record is not None:
        return Evidence(EvidenceKind.DNS, f'{dmarc.name}. IN TXT: "{dmarc.record}"')
    return Evidence(EvidenceKind.DNS, dig(dmarc.name, "TXT", dmarc.lookup or Lookup("nxdomain")))


# -- the whole check ------------------------------------------------------------------------------

@value(frozen=False)
class _Read:
    """What the check has read so far; frozen into a report.DnsReport at the end."""

    mx: list[str] = field(default_factory=list)
    spf: str | None = None
    spf_lookups: int = 0
    spf_chain: list[str] = field(default_factory=list)
    dkim: dict[str, str | None] = field(default_factory=dict)
    dmarc: str | None = None
    dmarc_name: str | None = None

    def report(self, domain: str, relay: str | None, skipped: Phrase | None = None) -> DnsReport:
        return DnsReport(domain=domain, relay=relay, mx=tuple(self.mx), spf=self.spf, spf_lookups=self.spf_lookups,
                         spf_chain=tuple(self.spf_chain), dkim=dict(self.dkim), dmarc=self.dmarc,
                         dmarc_name=self.dmarc_name, skipped=skipped)


def _records(text: str) -> Evidence:
    return Evidence(EvidenceKind.DNS, text)


def _finding(code: str, evidence: Evidence | None = None, severity: Severity | None = None, variant: str | None = None,
             provider: str | None = None, **params: Param) -> Finding:
    return Finding(code=code, evidence=evidence, severity=severity, variant=variant, provider=provider, params=params)


def check_sender_domain(address_or_domain: str, relay: ProviderPreset | None, providers: ProviderCatalog,
                        client: DnsClient, extra_selectors: list[str] | None = None) -> tuple[list[Finding], DnsReport]:
    domain = address_or_domain.rsplit("@", 1)[-1].strip().lower().rstrip(".")
    if is_reserved(domain) and not client.custom:
        return [], _Read().report(domain, relay.id if relay else None, skipped=phrase("dns.skipped_reserved"))
    return _check(domain, relay, providers, client, extra_selectors)


def _check(domain: str, relay: ProviderPreset | None, providers: ProviderCatalog, client: DnsClient,
           extra_selectors: list[str] | None) -> tuple[list[Finding], DnsReport]:
    relay_id = relay.id if relay else None
    findings: list[Finding] = []
    report = _Read()

    unknown = False  # an answer never came: nothing is concluded from what it did not show

    def failed(name: str, error: Phrase | None) -> None:
        nonlocal unknown
        unknown = True
        if client.denied is None and not any(f.code == "dns.lookup_failed" for f in findings):  # one says it all
            findings.append(_finding("dns.lookup_failed", name=name, detail=error or phrase("dns.error.timeout")))

    # The domain must exist and be able to receive (bounces, replies, and many receivers check it).
    mx = client.query(domain, "MX")
    if mx.status in ("nxdomain", "error") and not is_reserved(domain) and client.denies_what_exists() is not None:
        # Held back: a resolver that denies a root server's name would deny any domain, this one included.
        unknown = True
        findings.append(_finding("dns.resolver_broken", evidence=_records("\n".join(
            (dig(domain, "MX", mx), dig(CONTROL_NAME, "A", client.denied)))), name=CONTROL_NAME, domain=domain))
    elif mx.status == "error":
        failed(domain, mx.error)
    elif mx.status == "nxdomain":
        findings.append(_finding("config.sender_invalid", evidence=_records(dig(domain, "MX", mx)), shown=domain,
                                 detail=phrase("dns.sender.nxdomain", domain=domain), var="SMTP_FROM"))
        return findings, report.report(domain, relay_id)
    else:
        report.mx = mx.records
        if not mx.records:
            a = client.query(domain, "A")
            aaaa = client.query(domain, "AAAA") if a.status != "ok" else a
            if a.status == "error":
                failed(domain, a.error)
            elif a.status != "ok" and aaaa.status != "ok":
                findings.append(_finding("config.sender_invalid",
                                         evidence=_records("\n".join((dig(domain, "MX", mx), dig(domain, "A", a)))),
                                         shown=domain, detail=phrase("dns.sender.cannot_receive", domain=domain),
                                         var="SMTP_FROM"))

    owner = providers.by_domain(domain)
    freemail = owner is not None and owner.kind == "mailbox"
    relay_is_owner = relay is not None and owner is not None and relay.id == owner.id

    # SPF
    spf = SpfResult()
    evaluate_spf(client, domain, spf)
    txt = client.query(domain, "TXT")
    include: Param = f"include:{relay.spf_include}" if relay and relay.spf_include else phrase("dns.spf.include_placeholder")
    spf_authorised = False
    if spf.failed_lookup:
        failed(*spf.failed_lookup)
    else:
        records = spf_records(txt.records)
        report.spf = records[0] if len(records) == 1 else (" | ".join(records) or None)
        report.spf_lookups, report.spf_chain = spf.lookups, spf.chain
        if not records:
            if not freemail:
                findings.append(_finding("dns.spf_missing", evidence=_records(dig(domain, "TXT", txt)),
                                         domain=domain, include=include))
        elif len(records) > 1:
            findings.append(_finding("dns.spf_invalid", evidence=_records("\n".join(records)), domain=domain,
                                     detail=phrase("dns.spf.duplicate", domain=domain, n=len(records))))
        else:
            if spf.errors:
                typo = {"variant": "typo", "term": spf.typo[0], "suggested": spf.typo[1]} if spf.typo else {}
                findings.append(_finding("dns.spf_invalid", evidence=_records(records[0]), domain=domain,
                                         detail=phrase("dns.spf.error", domain=domain, error=spf.errors[0]), **typo))
            if spf.lookups > SPF_LOOKUP_LIMIT:
                findings.append(_finding("dns.spf_too_many_lookups", evidence=_records("\n".join(spf.chain)), domain=domain,
                                         count=spf.lookups))
            if spf.all_qualifier in ("+", "?"):
                findings.append(_finding("dns.spf_permissive", evidence=_records(records[0]), domain=domain,
                                         all=f"{spf.all_qualifier}all"))
            if relay is not None and relay.spf_include:
                spf_authorised = relay.spf_include.lower() in spf.includes
                if not spf_authorised and relay.spf_include_required and not freemail:
                    findings.append(_finding("dns.spf_relay_not_authorized", evidence=_records(records[0]), domain=domain,
                                             include=f"include:{relay.spf_include}", relay=relay.name, provider=relay.id))

    # DKIM, at the selectors the relay signs with (a freemail domain's keys are not the relay's business)
    selectors = list(dict.fromkeys([*(relay.dkim_selectors if relay else []), *(extra_selectors or [])]))
    dkim_found = False
    dkim_seen: list[str] = []
    if selectors and not freemail:
        for selector in selectors:
            name = f"{selector}._domainkey.{domain}"
            lookup = client.query(name, "TXT")
            if lookup.status == "error":
                failed(name, lookup.error)
                continue
            dkim_seen.append(dig(name, "TXT", lookup))
            key = next((r for r in lookup.records if "p=" in r), None)
            report.dkim[selector] = key
            dkim_found = dkim_found or key is not None
        if not dkim_found and not unknown:
            names = ", ".join(f"{s}._domainkey.{domain}" for s in selectors)
            findings.append(_finding("dns.dkim_missing", evidence=_records("\n".join(dkim_seen)), name=names,
                                     relay=relay.name if relay else phrase("dns.your_relay"), domain=domain))

    # DMARC
    dmarc, error = find_dmarc(client, domain)
    if error:
        failed(*error)
    elif dmarc is not None:
        report.dmarc, report.dmarc_name = dmarc.record, dmarc.name
        if dmarc.record is None and not freemail:
            findings.append(_finding("dns.dmarc_missing", evidence=dmarc_evidence(dmarc), domain=domain))
        elif dmarc.problem:
            findings.append(_finding("dns.dmarc_invalid", evidence=dmarc_evidence(dmarc), domain=domain,
                                     detail=dmarc.problem))

    # The verdict on the route
    if relay is not None and not relay_is_owner and freemail and dmarc is None:
        known = providers.dmarc_policy(domain)  # the lookup failed: what providers.toml says this domain publishes
        findings.append(_finding("sender.dmarc_rejected", severity=Severity.ERROR if known else Severity.WARNING,
                                 variant="route", provider=relay.id, domain=domain, relay=relay.name,
                                 own_host=owner.example_host(),
                                 policy=f"p={known}" if known else phrase("dns.dmarc.policy_unknown")))
    if relay is not None and not relay_is_owner and dmarc is not None and not dmarc.problem:
        policy = dmarc.policy or "none"
        shown_policy = f"p={policy}" + (f", pct={dmarc.tags['pct']}" if "pct" in dmarc.tags else "")
        if freemail:
            severity = Severity.ERROR if dmarc.enforcing or relay.sender_rule == "verified_domain" else Severity.WARNING
            findings.append(_finding("sender.dmarc_rejected", evidence=dmarc_evidence(dmarc),  # p=none: no rejection
                                     severity=severity, variant="route" if dmarc.enforcing else "route_monitor",
                                     provider=relay.id, domain=domain,
                                     relay=relay.name, own_host=owner.example_host(), policy=shown_policy))
        elif dmarc.enforcing and relay.spf_include and relay.dkim_selectors and not spf_authorised and not dkim_found:
            findings.append(_finding("sender.dmarc_rejected", evidence=dmarc_evidence(dmarc),
                                     severity=Severity.ERROR, variant="unaligned", provider=relay.id, domain=domain,
                                     relay=relay.name, policy=shown_policy))
    return findings, report.report(domain, relay_id, skipped=phrase("resolver.skipped") if client.denied else None)


def unconfirmed(findings: list[Finding], client: DnsClient | None) -> list[Finding]:
    """Each "not found" of the run marked as possibly a consequence of a resolver that fails as a whole: the SMTP
    host's own lookup (the probe asks the same resolver), and when the resolver denies what exists, every
    absence read from DNS. Found records are not doubted: a failing resolver invents none."""
    cause = client.failure if client is not None else None
    if cause is None:
        return findings

    def suspect(f: Finding) -> bool:
        if f.because_of is not None or f.code not in ABSENCE_CODES:
            return False
        if f.step is StepName.RESOLVE:
            return True
        return cause == "dns.resolver_broken" and f.evidence is not None and f.evidence.kind is EvidenceKind.DNS

    return [replace(f, because_of=cause) if suspect(f) else f for f in findings]


# -- who hosts the mailbox: MX patterns and RFC 6186 SRV ------------------------------------------

@value
class Recognition:
    """The mailbox provider of a domain, as read from its MX or _submission._tcp SRV records."""

    domain: str
    provider_id: str | None  # a preset or provider_extras id; None: only the SRV target is known
    provider_name: Param
    how: Phrase  # "MX aspmx.l.google.com → Google Workspace": our words, the record as a parameter
    host: str
    port: int
    secure: bool
    record: str  # the MX host or SRV record as published


def _srv(client: DnsClient, name: str) -> tuple[str, int] | None:
    lookup = client.query(name, "SRV")
    for record in lookup.records if lookup.status == "ok" else ():
        parts = record.split()
        if len(parts) == 4 and parts[3].rstrip(".") not in ("", "."):
            return parts[3].rstrip(".").lower(), int(parts[2])
    return None


def recognise_mailbox(domain: str, client: DnsClient, providers: ProviderCatalog, extras) -> Recognition | None:
    """MX first (the mailbox lives where mail is received), then _submission._tcp / _submissions._tcp SRV.

    An MX that only means inbound routing of a relay (Mailgun Routes, SendGrid Inbound Parse) proves nothing
    about the mailbox and is skipped."""
    domain = domain.lower().rstrip(".")
    if is_reserved(domain) and not client.custom:
        return None
    mx = client.query(domain, "MX")
    hosts = [r.split()[-1].rstrip(".").lower() for r in sorted(
        mx.records, key=lambda r: int(r.split()[0]) if r.split()[0].isdigit() else 0)] if mx.status == "ok" else []
    srv = _srv(client, f"_submission._tcp.{domain}")
    srvs = None if srv else _srv(client, f"_submissions._tcp.{domain}")
    for host in hosts:
        found = extras.by_mx(host)
        if found is None or found[0].mx_means is not None:
            continue
        extra, pattern = found
        preset = providers.get(extra.id) if extra.preset else None
        name: Param = extra.mx_name.param() if extra.mx_name else (extra.name or extra.id)
        how = phrase("platform.recognised.mx", mx=host, provider=name)
        if not extra.mx_confirmed:
            how = phrase("platform.recognised.reported", how=how)
        hint = extra.host_hint(pattern)
        if hint:
            target, port = hint.rsplit(":", 1)
            port_n = int(port)
        elif srv and (preset is None or preset.matches_host(srv[0])):
            target, port_n = srv
        elif preset is not None:
            target, port_n = preset.example_host(), preset.default_port
        elif extra.suggested_submission:
            target, port = extra.suggested_submission.rsplit(":", 1)
            port_n = int(port)
        else:
            continue
        mode = preset.mode_of(port_n) if preset is not None else None
        secure = mode.secure if mode is not None else (extra.suggested_mode == "tls" if extra.suggested_mode else port_n == 465)
        return Recognition(domain, extra.id, name, how, target, port_n, secure, host)
    for found, secure_default in ((srv, False), (srvs, True)):
        if not found:
            continue
        target, port_n = found
        preset = providers.by_host(target)
        extra = extras.by_submission_host(target)
        pid = preset.id if preset else (extra.id if extra else None)
        name = preset.display_name() if preset else (extra.name if extra and extra.name else target)
        label = f"_submission{'s' if secure_default else ''}._tcp.{domain}"
        how = phrase("platform.recognised.srv", name=label, target=target, port=port_n)
        mode = preset.mode_of(port_n) if preset else None
        secure = mode.secure if mode is not None else (secure_default or port_n == 465)
        return Recognition(domain, pid, name, how, target, port_n, secure, f"{label}: {target}:{port_n}")
    return None
