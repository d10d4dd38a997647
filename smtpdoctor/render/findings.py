"""A finding's title, explanation and fix in the reader's language: catalog templates filled with its parameters.

Shared by every format (text, JSON, CI, explain, batch). The settings format's own names
(`EMAIL_HOST`, `MAIL_ENCRYPTION=tls`...) replace the catalog's SMTP_* names here too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.render.i18n import Lang, fill, render_param, source_label, tr
from smtpdoctor.report import Finding

_LEFTOVER = re.compile(r"\{[a-z_][a-z0-9_]*(?:\|[a-z_]+)?\}")
_OPTIONAL = re.compile(r"\s*\(\{[a-z_][a-z0-9_]*\}\)")


@dataclass(frozen=True)
class FindingText:
    title: str
    explanation: str
    fix: tuple[str, ...]


def _params(finding: Finding, lang: Lang, bare_var: bool) -> dict[str, object]:
    params: dict[str, object] = dict(finding.params)
    if finding.source is not None:
        # An explanation says where the value came from; a fix names the variable to change, bare.
        params.setdefault("var", finding.source.name if bare_var else source_label(finding.source, lang))
    if finding.evidence is not None:
        params.setdefault("evidence", finding.evidence.text)
    return params


def _tidy(text: str) -> str:
    # A parameter that was not known: say nothing rather than show a template.
    return re.sub(r" +([.,;])(?=\s|$)", r"\1", _LEFTOVER.sub("", _OPTIONAL.sub("", text))).strip()


def finding_text(finding: Finding, catalog: Catalog, lang: Lang, naming: Mapping[str, str] | None = None) -> FindingText:
    """Title, explanation and fix for the reader. A log often gives none of a template's parameters: a
    sentence or a fix step that would keep a hole ("{var} is not set") is left out rather than printed
    broken; when nothing of the chosen variant's text survives, the entry's general text is used."""
    title_t, explanation_t, fix_t = catalog.templates(finding)
    shown = _params(finding, lang, bare_var=False)
    bare = _params(finding, lang, bare_var=True)
    title = _tidy(fill(title_t.get(lang.value), shown, lang))
    explanation = _sentences(fill(explanation_t.get(lang.value), shown, lang))
    fix = _steps(fix_t.get(lang.value), bare, lang)
    entry = catalog.entry(finding.code)
    if not explanation and explanation_t is not entry.explanation:
        explanation = _sentences(fill(entry.explanation.get(lang.value), shown, lang))
    if not fix and fix_t is not entry.fix:
        fix = _steps(entry.fix.get(lang.value), bare, lang)
    if naming:
        explanation = apply_naming(explanation, naming, lang)
        fix = [apply_naming(step, naming, lang) for step in fix]
    return FindingText(title, explanation, tuple(fix))


_SENTENCE_END = re.compile(r"(?<=[.!?»)])\s+(?=[A-ZА-ЯЁ«(`])")


def _sentences(text: str) -> str:
    """The explanation without the sentences whose parameters are unknown."""
    text = _OPTIONAL.sub("", text)
    kept = [s for s in _SENTENCE_END.split(text) if not _LEFTOVER.search(s)]
    return _tidy(" ".join(kept))


def _steps(templates, params: Mapping[str, object], lang: Lang) -> list[str]:
    out = []
    for step in templates:
        filled = _OPTIONAL.sub("", fill(step, params, lang))
        if _LEFTOVER.search(filled):
            continue  # a step with a hole cannot be followed as printed
        text = _tidy(filled)
        if text:
            out.append(text)
    return out


_NAMING_PHRASE = "frameworks.naming."
_SECURE = re.compile(r"\bSMTP_SECURE(=true|=false)?\b")
_NAMES = re.compile(r"\bSMTP_(HOST|PORT|USER|PASS|FROM)\b")
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
        part = _SECURE.sub(secure, part)
        return _NAMES.sub(lambda m: word(naming[_FIELDS[m.group(1)]]), part)

    # A `code` span is literal (a command to paste, a variable a reference names), and so is a quotation
    # («...» or "...": an application's own message, a dashboard label): never renamed.
    spans = re.split(r"(`[^`\n]*`|«[^»\n]*»|\"[^\"\n]*\")", text)
    renamed = "".join(part if i % 2 else rename(part) for i, part in enumerate(spans))
    return renamed[:1].upper() + renamed[1:] if renamed[:1].islower() and text[:1].isupper() else renamed


def param_text(value: object, lang: Lang) -> str:
    return render_param(value, lang)
