"""A YAML file (Spring application.yml): values found by their dotted path, as smtpdoctor's Spring reader joins
them, and replaced in the exact span PyYAML reports for the scalar; a missing key is added as nested
keys under the deepest mapping that already holds part of its path, in the file's own indentation."""

from __future__ import annotations

import re
from collections.abc import Sequence

from smtpdoctor.prescribe.model import Edit
from smtpdoctor.prescribe.textedit import Refused, append, line_after, line_start, newline_of

def _yaml_documents(text: str):
    import yaml

    try:
        return [d for d in yaml.compose_all(text) if d is not None]
    except (yaml.YAMLError, RecursionError) as exc:
        raise Refused("unreadable") from exc


def _yaml_leaves(node, prefix: str, out: list, depth: int = 0) -> None:
    import yaml

    if depth > 32:
        return
    if isinstance(node, yaml.MappingNode):
        for key, child in node.value:
            if isinstance(key, yaml.ScalarNode):
                path = f"{prefix}.{key.value}" if prefix else str(key.value)
                if isinstance(child, yaml.ScalarNode):
                    out.append((path, key, child))
                else:
                    _yaml_leaves(child, path, out, depth + 1)


def values(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for document in _yaml_documents(text):
        leaves: list = []
        _yaml_leaves(document, "", leaves)
        out.update({path: node.value for path, _, node in leaves})
    return out


# What a single-quoted scalar may hold on one line: YAML's printable characters less its line breaks.
_ONE_LINE = re.compile("[\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


def _yaml_scalar(value: str, style: str | None) -> str:
    import json

    import yaml

    if style in (None, "") and value and re.fullmatch(r"[A-Za-z0-9_/+][A-Za-z0-9_./@%+=:\-]*", value) \
            and not value.endswith(":") and ": " not in value:
        try:  # plain only when YAML reads it back as exactly this text
            node = yaml.compose(f"k: {value}\n").value[0][1]
        except yaml.YAMLError:
            node = None
        if node is not None and node.value == value and node.style is None:
            return value
    if style != '"' and _ONE_LINE.fullmatch(value):
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


def _yaml_mappings(node, prefix: str, out: list, depth: int = 0) -> None:
    import yaml

    if depth > 32 or not isinstance(node, yaml.MappingNode):
        return
    out.append((prefix, node))
    for key, child in node.value:
        if isinstance(key, yaml.ScalarNode):
            _yaml_mappings(child, f"{prefix}.{key.value}" if prefix else str(key.value), out, depth + 1)


def _yaml_last_end(node) -> int:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return max([node.start_mark.index, *(_yaml_last_end(v) for _, v in node.value),
                    *(k.end_mark.index for k, _ in node.value)])
    if isinstance(node, yaml.SequenceNode):
        return max([node.start_mark.index, *(_yaml_last_end(v) for v in node.value)])
    return node.end_mark.index


def edit(text: str, wanted: Edit) -> str:
    documents = _yaml_documents(text)
    found = None
    for document in documents:
        leaves: list = []
        _yaml_leaves(document, "", leaves)
        found = next((leaf for leaf in reversed(leaves) if leaf[0] == wanted.key), found)
    if wanted.value is None:
        if found is None:
            return text
        _, key, node = found
        start = line_start(text, key.start_mark.index)
        if text[start:key.start_mark.index].strip():  # `- key: value` or a flow mapping: not a line of its own
            raise Refused("yaml_layout")
        return text[:start] + text[line_after(text, node.end_mark.index):]
    if found is not None:
        _, _, node = found
        if node.style in ("|", ">"):
            raise Refused("yaml_layout")
        return text[:node.start_mark.index] + _yaml_scalar(wanted.value, node.style) + text[node.end_mark.index:]
    # A key that is not there: nested under the deepest mapping that already holds a prefix of it.
    best = None
    for document in documents:
        maps: list = []
        _yaml_mappings(document, "", maps)
        for prefix, mapping in maps:
            if (not prefix or wanted.key.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
                best = (prefix, mapping)
    parts = wanted.key[len(best[0]) + 1:].split(".") if best and best[0] else wanted.key.split(".")
    if best is None or not best[1].value:
        return append(text, _yaml_block(parts, 0, 2, wanted.value))
    prefix, mapping = best
    if mapping.flow_style:
        raise Refused("yaml_layout")
    step = _yaml_step(documents)
    nl = newline_of(text)
    taken = {str(key.value): (key, value) for key, value in mapping.value}
    if parts[0] in taken:  # there, but not a mapping: `mail:` with nothing under it can take the rest
        key, value = taken[parts[0]]
        if value.tag != "tag:yaml.org,2002:null" or value.start_mark.index != value.end_mark.index or len(parts) < 2:
            raise Refused("yaml_layout")
        at = line_after(text, key.end_mark.index)
        block = _yaml_block(parts[1:], key.start_mark.column + step, step, wanted.value)
    else:
        if any(".".join(parts[:n]) in taken for n in range(2, len(parts) + 1)):
            raise Refused("yaml_layout")
        first_key = mapping.value[0][0]
        if text[line_start(text, first_key.start_mark.index):first_key.start_mark.index].strip():
            raise Refused("yaml_layout")
        at = line_after(text, _yaml_last_end(mapping))
        if any("." in name for name in taken):  # siblings spelt `mail.smtp.auth: true`: the same
            parts = [".".join(parts)]
        block = _yaml_block(parts, first_key.start_mark.column, step, wanted.value)
    if at == len(text) and text and not text.endswith(("\n", "\r")):
        return text + nl + block.replace("\n", nl)
    return text[:at] + block.replace("\n", nl) + nl + text[at:]


def _yaml_step(documents) -> int:
    """The file's own indentation step (2 when nothing tells)."""
    import yaml

    steps = []
    for document in documents:
        maps: list = []
        _yaml_mappings(document, "", maps)
        for _, mapping in maps:
            for key, child in mapping.value:
                if isinstance(child, yaml.MappingNode) and child.value and not child.flow_style:
                    step = child.value[0][0].start_mark.column - key.start_mark.column
                    if step > 0:
                        steps.append(step)
    return min(steps) if steps else 2


def _yaml_block(parts: Sequence[str], indent: int, step: int, value: str) -> str:
    lines = []
    for depth, part in enumerate(parts):
        pad = " " * (indent + depth * step)
        name = part if re.fullmatch(r"[A-Za-z0-9_.\-]+", part) else _yaml_scalar(part, "'")
        lines.append(f"{pad}{name}:" + (f" {_yaml_scalar(value, None)}" if depth == len(parts) - 1 else ""))
    return "\n".join(lines)
