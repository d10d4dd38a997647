"""Every catalog entry — each variant and each provider's advice — rendered in both languages and in every
format leaves no unfilled `{placeholder}`, even when a log gives none of the parameters."""

from __future__ import annotations

import json
import re

import pytest

from smtpdoctor.diagnose import diagnose
from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.render.ci import github_lines, junit_xml, markdown_summary
from smtpdoctor.render.findings import finding_text
from smtpdoctor.render.i18n import Lang
from smtpdoctor.render.json import check_document, dumps
from smtpdoctor.render.text import check_blocks
from smtpdoctor.report import Finding

CATALOG = load_catalog()


def _every_finding() -> list[Finding]:
    out = []
    for code, entry in CATALOG.entries.items():
        out.append(Finding(code=code))
        out += [Finding(code=code, variant=name) for name in entry.variants]
        out += [Finding(code=code, provider=name) for name in entry.providers]
    return out


@pytest.mark.parametrize("lang", list(Lang))
def test_no_placeholder_is_left_in_any_text(lang):
    left = []
    for finding in _every_finding():
        text = finding_text(finding, CATALOG, lang)
        for piece in (text.title, text.explanation, *text.fix):
            prose = re.sub(r"`[^`]*`", "", piece)  # code samples may have braces: `auth: { user, pass }`
            if "{" in prose or "}" in prose:
                left.append((finding.code, finding.variant, finding.provider, piece))
    assert left == []


@pytest.mark.parametrize("lang", list(Lang))
def test_no_placeholder_in_any_format(lang):
    report = diagnose(_every_finding(), CATALOG, "check")
    text = "\n".join("".join(t for t, _ in block.spans) for block in check_blocks(report, CATALOG, lang))
    document = check_document(report, CATALOG, lang)
    human = [text, *github_lines(report, CATALOG, lang), markdown_summary(report, CATALOG, lang),
             junit_xml(report, CATALOG, lang)]
    human += [f[k] for f in document["findings"] for k in ("title", "explanation")]
    human += [step for f in document["findings"] for step in f["fix"]]
    for piece in human:
        for line in piece.splitlines():
            assert "{" not in re.sub(r"`[^`]*`", "", line), line
    json.loads(dumps(document))
