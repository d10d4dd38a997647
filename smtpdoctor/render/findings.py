"""A finding's title, explanation and fix in the reader's language: catalog templates filled with its parameters.

Shared by every format (text, JSON, CI, explain, batch). The settings format's own names
(`EMAIL_HOST`, `MAIL_ENCRYPTION=tls`...) replace the catalog's SMTP_* names here too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.render.i18n import Lang, fill, render_param, source_label, tr
from smtpdoctor.report import Evidence, EvidenceKind, Finding, Phrase
from smtpdoctor.values import value

# The patterns are compiled at their first use (`re.compile` keeps them), not at import: compiling a pattern
# costs about as much as rendering a finding, and a text with no "{" left needs none of the template ones.
_LEFTOVER = r"\{[a-z_][a-z0-9_]*(?:\|[a-z_]+)?\}"  # a parameter the template still holds: unknown
_OPTIONAL = r"\s*\(\{[a-z_][a-z0-9_]*\}\)"  # "(... {name})": an optional remark whose value is unknown


@value
class FindingText:
    title: str
    explanation: str
    fix: tuple[str, ...]
    links: tuple[str, ...] = ()  # "Source: URL": where the advice comes from, a link line, not a step to follow
    # The prescription's edits as lines ("django.env, line 9: EMAIL_USE_SSL=False"): the first steps of `fix`, so
    # every format that lists the fix has them; the text view shows them apart, before the numbered steps.
    edits: tuple[str, ...] = ()

    @property
    def steps(self) -> tuple[str, ...]:
        """The fix steps after the edits: what only a person can do."""
        return self.fix[len(self.edits):]


# --- the other side's words, shortened for reading (the text view; JSON keeps them whole) ----------------

# A URL, with a scheme or without ("aka.ms/smtp_auth_disabled", "www.example.com"): a cut inside one leaves
# another URL that looks just as valid, so a cut goes before it or after it.
_URL = r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S+|\b[\w-]+(?:\.[\w-]+)+/\S*"
URL_GRACE = 200  # characters a URL may run past the limit to be kept whole rather than left out


def shorten_quote(text: str, limit: int) -> str:
    """`text` (already masked: redaction comes before any cut) at most about `limit` characters, ending in "…"
    when shortened: at a word boundary when there is one near, and never inside a URL."""
    if len(text) <= limit:
        return text
    cut = limit
    for m in re.compile(_URL, re.IGNORECASE).finditer(text, 0, limit + URL_GRACE + 1):
        if m.start() >= cut:
            break
        if m.end() > cut:  # the cut would fall inside this URL: after it when it ends soon, else before it
            cut = m.end() if m.end() - limit <= URL_GRACE else m.start()
            break
    else:
        space = text.rfind(" ", 0, cut + 1)
        if space >= limit * 2 // 3:
            cut = space
    if cut >= len(text):
        return text
    return text[:cut].rstrip() + "…"


def _shortened(value: object, limit: int) -> object:
    """A parameter with a server's long words (also inside a phrase's parameters) shortened."""
    if isinstance(value, Evidence) and value.kind is EvidenceKind.SERVER and len(value.text) > limit:
        return Evidence(value.kind, shorten_quote(value.text, limit))
    if isinstance(value, Phrase) and value.params:
        return Phrase(value.id, {k: _shortened(v, limit) for k, v in value.params.items()})
    return value


def _params(finding: Finding, lang: Lang, bare_var: bool, quote_limit: int | None = None) -> dict[str, object]:
    params: dict[str, object] = dict(finding.params)
    if finding.source is not None:
        # An explanation says where the value came from; a fix names the variable to change, bare.
        params.setdefault("var", finding.source.name if bare_var else source_label(finding.source, lang))
    if finding.evidence is not None:
        params.setdefault("evidence", finding.evidence.text)
    if quote_limit is not None:
        params = {k: _shortened(v, quote_limit) for k, v in params.items()}
        if finding.evidence is not None and finding.evidence.kind is EvidenceKind.SERVER and "evidence" not in finding.params:
            params["evidence"] = shorten_quote(finding.evidence.text, quote_limit)
    return params


def _tidy(text: str) -> str:
    # A parameter that was not known: say nothing rather than show a template (only a "{" can start one).
    if "{" in text:
        text = re.sub(_LEFTOVER, "", re.sub(_OPTIONAL, "", text))
    if " ." in text or " ," in text or " ;" in text:  # the space left before punctuation by a removed value
        text = re.sub(r" +([.,;])(?=\s|$)", r"\1", text)
    return text.strip()


def finding_text(finding: Finding, catalog: Catalog, lang: Lang, naming: Mapping[str, str] | None = None,
                 quote_limit: int | None = None) -> FindingText:
    """Title, explanation and fix for the reader. A log often gives none of a template's parameters: a
    sentence or a fix step that would keep a hole ("{var} is not set") is left out rather than printed
    broken; when nothing of the chosen variant's text survives, the entry's general text is used.
    `quote_limit`: the other side's words quoted in them are shortened to about that many characters
    (`shorten_quote`; the text view), not inside a URL; otherwise they are quoted whole."""
    title_t, explanation_t, fix_t = catalog.templates(finding)
    shown = _params(finding, lang, bare_var=False, quote_limit=quote_limit)
    bare = _params(finding, lang, bare_var=True, quote_limit=quote_limit)
    title = _tidy(fill(title_t.get(lang.value), shown, lang))
    explanation = _sentences(fill(explanation_t.get(lang.value), shown, lang))
    fix = _steps(fix_t.get(lang.value), bare, lang)
    entry = catalog.entry(finding.code)
    if not explanation and explanation_t is not entry.explanation:
        explanation = _sentences(fill(entry.explanation.get(lang.value), shown, lang))
    if not fix and fix_t is not entry.fix:
        fix = _steps(entry.fix.get(lang.value), bare, lang)
    links = [step for step in fix if _is_link(step)]
    fix = [step for step in fix if not _is_link(step)]
    prescription = getattr(finding, "prescription", None)
    if prescription is not None and prescription.steps is not None:
        # The edits (shown apart) say what the catalog's steps would; what remains is what only a person can do.
        fix = [render_param(step, lang) for step in prescription.steps]
    if naming:
        explanation = apply_naming(explanation, naming, lang)
        fix = [apply_naming(step, naming, lang) for step in fix]
    edits: list[str] = []
    if prescription is not None and prescription.edits:
        from smtpdoctor.render.edits import edit_lines

        edits = edit_lines(prescription, lang)
    return FindingText(title, explanation, (*edits, *fix), tuple(links), tuple(edits))


def _is_link(step: str) -> bool:
    """A step that only names where the advice comes from ("Source: https://...", "Источник: ...")."""
    return step.startswith(("Source: ", "Источник: ")) and re.match(r"^(?:Source|Источник): \S+$", step) is not None


def unconfirmed_text(finding: Finding, catalog: Catalog, lang: Lang) -> str | None:
    """The marker of a finding that may only be a consequence of another one of the run (`because_of`)."""
    cause = finding.because_of
    if cause is None:
        return None
    title = catalog.entry(cause).title.get(lang.value) if cause in catalog else cause
    return tr("resolver.unconfirmed", lang, cause=title, code=cause)


_SENTENCE_END = r"(?<=[.!?»)])\s+(?=[A-ZА-ЯЁ«(`])"


def _sentences(text: str) -> str:
    """The explanation without the sentences whose parameters are unknown."""
    if "{" not in text and text.split() == text.split(" "):
        # Every sentence kept, and the spaces between them already single ones: what the split and the
        # join below would give back.
        return _tidy(text)
    text = re.sub(_OPTIONAL, "", text)
    kept = [s for s in re.split(_SENTENCE_END, text) if not re.search(_LEFTOVER, s)]
    return _tidy(" ".join(kept))


def _steps(templates, params: Mapping[str, object], lang: Lang) -> list[str]:
    out = []
    for step in templates:
        filled = fill(step, params, lang)
        if "{" in filled:
            filled = re.sub(_OPTIONAL, "", filled)
            if re.search(_LEFTOVER, filled):
                continue  # a step with a hole cannot be followed as printed
        text = _tidy(filled)
        if text:
            out.append(text)
    return out


_NAMING_PHRASE = "frameworks.naming."
_SECURE = r"\bSMTP_SECURE(=true|=false)?\b"
_NAMES = r"\bSMTP_(HOST|PORT|USER|PASS|FROM)\b"
_FIELDS = {"HOST": "host", "PORT": "port", "USER": "user", "PASS": "password", "FROM": "sender"}


def apply_naming(text: str, naming: Mapping[str, str], lang: Lang = Lang.EN) -> str:
    """The catalog speaks nodemailer's SMTP_* names; say them as the user's format does (EMAIL_HOST...)."""
    if not naming or naming.get("host") == "SMTP_HOST":
        return text

    def word(value: str) -> str:
        return tr(value, lang) if value.startswith(_NAMING_PHRASE) else value

    def secure(m: re.Match) -> str:
        key = {"=true": "secure_true", "=false": "secure_false"}.get(m.group(1) or "", "secure")
        return word(naming[key])

    def rename(part: str) -> str:
        part = re.sub(_SECURE, secure, part)
        return re.sub(_NAMES, lambda m: word(naming[_FIELDS[m.group(1)]]), part)

    # A `code` span is literal (a command to paste, a variable a reference names), and so is a quotation
    # («...» or "...": an application's own message, a dashboard label): never renamed.
    spans = re.split(r"(`[^`\n]*`|«[^»\n]*»|\"[^\"\n]*\")", text)
    renamed = "".join(part if i % 2 else rename(part) for i, part in enumerate(spans))
    # A sentence that now opens with a lower-case key (spring.mail.from) says "The setting spring.mail.from",
    # never "Spring.mail.from", a key that does not exist.
    keys = sorted({word(v) for v in naming.values() if word(v)[:1].islower()}, key=len, reverse=True)
    if not keys:
        return renamed
    opening = re.compile(r"(\A|[.!?]\s+)(" + "|".join(map(re.escape, keys)) + r")(?![\w.])")
    return opening.sub(lambda m: m.group(1) + tr("firsthour.setting_subject", lang, key=m.group(2)), renamed)


def param_text(value: object, lang: Lang) -> str:
    return render_param(value, lang)
