"""Finding parameters as data (JSON): our phrases by id, the other side's words with whose they are."""

from __future__ import annotations

from smtpdoctor.report import Evidence, Phrase, ValueSource


def param_json(value: object) -> object:
    """A finding parameter as data: phrases by id, evidence with whose words they are."""
    if isinstance(value, Phrase):
        return {"phrase": value.id, "params": {k: param_json(v) for k, v in value.params.items()}}
    if isinstance(value, Evidence):
        return {"evidence": value.kind.value, "text": value.text}
    if isinstance(value, ValueSource):
        return {"source": value.name, "kind": value.kind, "file": value.file, "line": value.line}
    if isinstance(value, (tuple, list)):
        return [param_json(v) for v in value]
    return value
