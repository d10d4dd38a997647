"""A finding's prescription in the reader's language: each edit as the line its source should hold, where it goes
(a file and line, a key to add, an environment variable on the named platform), and how it was proven."""

from __future__ import annotations

from pathlib import PurePath

from smtpdoctor.render.i18n import Lang, render_param, tr


def where_text(edit, lang: Lang, platform: str | None = None) -> str:
    if edit.file is None:
        return tr("prescribe.where.platform", lang, platform=platform) if platform else tr("prescribe.where.env", lang)
    name = PurePath(edit.file).name
    if edit.at:
        return tr("prescribe.where.file_line", lang, file=name, line=edit.at)
    return tr("prescribe.where.file_add", lang, file=name)


def edit_text(edit, lang: Lang, platform: str | None = None) -> str:
    """`.env, line 3: SMTP_SECURE=false`; a removed key as "delete the line KEY"."""
    if edit.line is None:
        return f"{where_text(edit, lang, platform)}: {tr('prescribe.where.remove', lang, key=edit.key)}"
    shown = edit.line.strip()
    if not shown.startswith(edit.key.rsplit(" ", 1)[-1]) or edit.key.startswith("["):
        # A nested YAML key or a TOML table's key: the line holds the leaf only, so the full name goes first.
        shown = f"{edit.key} → {shown}"
    return f"{where_text(edit, lang, platform)}: {shown}"


def verified_text(prescription, lang: Lang) -> str | None:
    if prescription.recheck is not None:
        if prescription.recheck.passed:
            return tr("prescribe.verified.recheck_passed", lang)
        return tr("prescribe.verified.recheck_failed", lang, codes=", ".join(prescription.recheck.codes))
    if prescription.verified is None:
        return None
    if prescription.proof is not None:
        return render_param(prescription.proof, lang)
    return tr(f"prescribe.verified.{prescription.verified.value}", lang)


def alternatives_heading(provider_name, lang: Lang) -> str:
    if provider_name:
        return tr("prescribe.verified.alternative", lang, provider=render_param(provider_name, lang))
    return tr("prescribe.verified.alternative_any", lang)


def edits_json(edits) -> list[dict]:
    """The machine-readable edits (PRESCRIBE.md): file as given or null, key, value unquoted or null, line, at."""
    return [{"file": e.file, "key": e.key, "value": e.value, "line": e.line, "at": e.at} for e in edits]


def prescription_json(f) -> dict:
    """`edits`, `verified`, `alternatives` and `recheck` of one finding (empty and null when nothing cures it)."""
    p = getattr(f, "prescription", None)
    if p is None or not p.edits:
        return {"edits": [], "verified": None, "alternatives": [], "recheck": None}
    recheck = {"passed": p.recheck.passed, "codes": list(p.recheck.codes)} if p.recheck is not None else None
    return {"edits": edits_json(p.edits), "verified": p.verified.value if p.verified is not None else None,
            "alternatives": [edits_json(alt) for alt in p.alternatives], "recheck": recheck}


def edit_lines(prescription, lang: Lang, platform: str | None = None, provider=None) -> list[str]:
    """The edits as fix steps in words: each edit, then each alternative on one line."""
    lines = [edit_text(e, lang, platform) for e in prescription.edits]
    for alternative in prescription.alternatives:
        lines.append(alternatives_heading(provider, lang) + " " + "; ".join(edit_text(e, lang, platform) for e in alternative))
    return lines
