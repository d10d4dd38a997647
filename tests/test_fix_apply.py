"""Applying edits to the user's own files (smtpdoctor.prescribe.apply): every untouched byte kept, values read
back as intended by the format's own parser, secrets never written where they were not, atomic writes.

The property tests generate files within each format's grammar (comments, blank lines, quoting styles,
`export`, CRLF, a BOM, a missing final newline, text in any script) and check that an edit changes the
value's span and nothing else, and that writing the old value back gives the original bytes.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import tomllib
from dataclasses import dataclass

import pytest
import yaml
from dotenv import dotenv_values
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from smtpdoctor.prescribe import propertiesfile, yamlfile
from smtpdoctor.prescribe.apply import (FileKind, FilePlan, Refused, apply_edits, env_line, kind_of, masked_line,
                                        plan_edits, unified_diff, write_atomic)
from smtpdoctor.prescribe.model import Edit

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def applied(kind: FileKind, text: str, *edits: Edit, secrets=()) -> tuple[str, list]:
    out, ok, refused = apply_edits(text.encode("utf-8"), kind, edits, secrets)
    return out.decode("utf-8"), [reason for _, reason in refused]


def env_edit(key: str, value: str | None) -> Edit:
    return Edit(".env", key, value)


# -- .env ---------------------------------------------------------------------------------------------------

def test_env_value_replaced_in_place_keeping_crlf_export_quotes_comments_and_bom():
    text = "\ufeff# mail\r\nexport SMTP_HOST='smtp.example.com'\r\nSMTP_SECURE=true   # implicit TLS\r\nSMTP_PORT=\"465\""
    out, refused = applied(FileKind.ENV, text, env_edit("SMTP_SECURE", "false"), env_edit("SMTP_PORT", "587"))
    assert refused == []
    assert out == "\ufeff# mail\r\nexport SMTP_HOST='smtp.example.com'\r\nSMTP_SECURE=false   # implicit TLS\r\nSMTP_PORT=\"587\""


def test_env_missing_key_is_appended_and_a_missing_final_newline_stays_missing():
    out, _ = applied(FileKind.ENV, "SMTP_HOST=h\r\nSMTP_PORT=587", env_edit("SMTP_SECURE", "false"))
    assert out == "SMTP_HOST=h\r\nSMTP_PORT=587\r\nSMTP_SECURE=false"
    out, _ = applied(FileKind.ENV, "SMTP_HOST=h\n", env_edit("SMTP_FROM", "Shop <shop@example.com>"))
    assert out == "SMTP_HOST=h\nSMTP_FROM='Shop <shop@example.com>'\n"
    assert dotenv_values(stream=io.StringIO(out))["SMTP_FROM"] == "Shop <shop@example.com>"
    out, _ = applied(FileKind.ENV, "export A=1\nexport B=2\n", env_edit("SMTP_PORT", "587"))
    assert out == "export A=1\nexport B=2\nexport SMTP_PORT=587\n"


def test_env_removal_takes_only_that_line_and_every_duplicate_of_it():
    text = "A=1\n\n# TLS\nEMAIL_USE_SSL=True\nB=2\nEMAIL_USE_SSL=True # again\n"
    out, _ = applied(FileKind.ENV, text, env_edit("EMAIL_USE_SSL", None))
    assert out == "A=1\n\n# TLS\nB=2\n"


def test_env_duplicate_key_edits_the_last_one_which_is_the_one_apps_read():
    out, _ = applied(FileKind.ENV, "SMTP_PORT=25\nSMTP_PORT=465\n", env_edit("SMTP_PORT", "587"))
    assert out == "SMTP_PORT=25\nSMTP_PORT=587\n"


def test_env_value_that_needs_quotes_gets_them():
    out, _ = applied(FileKind.ENV, "SMTP_FROM=a@b.c # who\n", env_edit("SMTP_FROM", "it's #1 <a@b.c>"))
    assert dotenv_values(stream=io.StringIO(out))["SMTP_FROM"] == "it's #1 <a@b.c>"
    assert out.endswith(" # who\n")


def test_invalid_utf8_elsewhere_in_the_file_survives_byte_for_byte():
    data = b"LEGACY=caf\xe9\nSMTP_SECURE=true\n"
    out, ok, _ = apply_edits(data, FileKind.ENV, [env_edit("SMTP_SECURE", "false")])
    assert out == b"LEGACY=caf\xe9\nSMTP_SECURE=false\n" and len(ok) == 1


# -- secrets ------------------------------------------------------------------------------------------------

def test_a_password_the_file_did_not_hold_is_never_written():
    out, refused = applied(FileKind.ENV, "SMTP_PASS=old-one\n", env_edit("SMTP_PASS", "new-secret-1"))
    assert (out, refused) == ("SMTP_PASS=old-one\n", ["secret"])
    # the password came from the environment, not the file: the DSN may not carry it into the file
    out, refused = applied(FileKind.ENV, "MAILER_DSN=smtp://me@mail.example.com:465\n",
                           env_edit("MAILER_DSN", "smtp://me:Env-Secret-9@mail.example.com:587"), secrets=["Env-Secret-9"])
    assert refused == ["secret"] and "Env-Secret-9" not in out
    out, refused = applied(FileKind.ENV, "SMTP_HOST=h\n", env_edit("SMTP_USER", "Env-Secret-9"), secrets=["Env-Secret-9"])
    assert refused == ["secret"]


def test_a_dsn_re_spelt_with_the_password_the_file_already_held_is_written():
    out, refused = applied(FileKind.ENV, "MAILER_DSN=smtp://me:p@ss/w#rd@mail.example.com:465\n",
                           env_edit("MAILER_DSN", "smtp://me:p%40ss%2Fw%23rd@mail.example.com:587"), secrets=["p@ss/w#rd"])
    assert refused == [] and out == "MAILER_DSN=smtp://me:p%40ss%2Fw%23rd@mail.example.com:587\n"


def test_a_redacted_value_is_refused_not_written():
    out, refused = applied(FileKind.ENV, "MAILER_DSN=smtp://me:pw@h:465\n", env_edit("MAILER_DSN", "smtp://me:********@h:587"))
    assert refused == ["masked"] and "****" not in out


@dataclass(frozen=True)
class ClearEdit(Edit):
    """An edit whose report value is redacted and whose clear value is carried aside (PRESCRIBE.md, Edit.clear)."""

    clear: str | None = None

    @property
    def clear_value(self):
        return self.clear if self.clear is not None else self.value


def test_the_clear_value_is_written_when_the_reported_one_is_masked():
    edit = ClearEdit(".env", "MAILER_DSN", "smtp://me:********@h:587", None, "smtp://me:s3cret%40x@h:587")
    out, refused = applied(FileKind.ENV, "MAILER_DSN=smtp://me:s3cret@x@h:465\n", edit)
    assert refused == [] and out == "MAILER_DSN=smtp://me:s3cret%40x@h:587\n"


# -- .properties --------------------------------------------------------------------------------------------

def test_properties_edit_keeps_separator_and_comments_and_swallows_a_continuation():
    text = "# mail\r\nspring.mail.host = h\r\n! legacy\r\nspring.mail.properties.mail.smtp.ssl.enable : true\\\r\n   \r\nx=1"
    out, _ = applied(FileKind.PROPERTIES, text, Edit("a.properties", "spring.mail.properties.mail.smtp.ssl.enable", "false"))
    assert out == "# mail\r\nspring.mail.host = h\r\n! legacy\r\nspring.mail.properties.mail.smtp.ssl.enable : false\r\nx=1"


def test_properties_missing_key_follows_the_files_separator_style():
    out, _ = applied(FileKind.PROPERTIES, "spring.mail.host: h\n",
                     Edit("a.properties", "spring.mail.properties.mail.smtp.starttls.enable", "true"))
    assert out == "spring.mail.host: h\nspring.mail.properties.mail.smtp.starttls.enable: true\n"


def test_properties_removal_and_escaping():
    out, _ = applied(FileKind.PROPERTIES, "a=1\nspring.mail.port=465\nb=2\n", Edit("a.properties", "spring.mail.port", None))
    assert out == "a=1\nb=2\n"
    out, _ = applied(FileKind.PROPERTIES, "spring.mail.username=x\n", Edit("a.properties", "spring.mail.username", " Jöns\\"))
    assert propertiesfile.values(out)["spring.mail.username"] == " Jöns\\"
    assert out.isascii()  # Spring Boot reads .properties as ISO-8859-1: \u escapes


# -- YAML ---------------------------------------------------------------------------------------------------

SPRING_YAML = """\
spring:
    mail:
        host: smtp.example.com   # the relay
        port: 587
        properties:
            mail:
                smtp:
                    ssl:
                        enable: true
                    starttls.enable: 'true'

# logging
logging:
    level: INFO
"""


def test_yaml_scalar_replaced_in_its_own_style_everything_else_kept():
    out, _ = applied(FileKind.YAML, SPRING_YAML, Edit("application.yml", "spring.mail.properties.mail.smtp.ssl.enable", "false"),
                     Edit("application.yml", "spring.mail.properties.mail.smtp.starttls.enable", "false"))
    assert out == SPRING_YAML.replace("enable: true", "enable: false").replace("starttls.enable: 'true'", "starttls.enable: 'false'")


def test_yaml_missing_key_is_nested_in_the_files_own_indentation():
    out, refused = applied(FileKind.YAML, SPRING_YAML, Edit("application.yml", "spring.mail.properties.mail.smtp.auth", "true"))
    assert refused == []
    assert "                    starttls.enable: 'true'\n                    auth: true\n" in out
    out, _ = applied(FileKind.YAML, SPRING_YAML, Edit("application.yml", "spring.mail.username", "me@example.com"))
    assert yamlfile.values(out)["spring.mail.username"] == "me@example.com"
    assert out.startswith(SPRING_YAML.split("\n# logging")[0])
    assert out.endswith("        username: me@example.com\n\n# logging\nlogging:\n    level: INFO\n")


def test_yaml_removal_and_a_flow_mapping_that_cannot_be_edited_line_wise():
    out, _ = applied(FileKind.YAML, SPRING_YAML, Edit("application.yml", "spring.mail.port", None))
    assert out == SPRING_YAML.replace("        port: 587\n", "")
    out, refused = applied(FileKind.YAML, "spring: {mail: {host: h}}\n", Edit("application.yml", "spring.mail.port", "587"))
    assert refused == ["yaml_layout"] and out == "spring: {mail: {host: h}}\n"


# -- TOML ---------------------------------------------------------------------------------------------------

SUPABASE = """\
[auth]
site_url = "http://127.0.0.1:3000"

[auth.email.smtp]
enabled = true
host = 'smtp.example.com' # relay
port = 465
user = "resend"
pass = "env(RESEND_API_KEY)"

[storage]
enabled = true
"""


def test_toml_number_stays_a_number_and_a_string_keeps_its_quotes():
    out, _ = applied(FileKind.TOML, SUPABASE, Edit("supabase/config.toml", "[auth.email.smtp] port", "587"),
                     Edit("supabase/config.toml", "[auth.email.smtp] host", "mail.smtp2go.com"))
    assert out == SUPABASE.replace("port = 465", "port = 587").replace("'smtp.example.com'", "'mail.smtp2go.com'")
    assert tomllib.loads(out)["auth"]["email"]["smtp"]["port"] == 587


def test_toml_missing_key_goes_into_its_table_and_a_missing_table_is_added():
    out, _ = applied(FileKind.TOML, SUPABASE, Edit("c.toml", "[auth.email.smtp] admin_email", 'no"reply@example.com'))
    assert 'pass = "env(RESEND_API_KEY)"\nadmin_email = "no\\"reply@example.com"\n\n[storage]' in out
    out, _ = applied(FileKind.TOML, "[auth]\nsite_url = \"x\"", Edit("c.toml", "[auth.email.smtp] port", "2525"))
    assert out == "[auth]\nsite_url = \"x\"\n\n[auth.email.smtp]\nport = 2525"


# -- planning, showing, writing -----------------------------------------------------------------------------

def test_kind_of_path():
    assert [kind_of(p) for p in (".env", "x/.env.local", "application.properties", "a.YML", "supabase/config.toml")] == \
        [FileKind.ENV, FileKind.ENV, FileKind.PROPERTIES, FileKind.YAML, FileKind.TOML]


def test_plan_groups_by_file_and_keeps_env_vars_apart(tmp_path):
    env = tmp_path / ".env"
    env.write_text("SMTP_SECURE=true\n")
    plan = plan_edits([Edit(str(env), "SMTP_SECURE", "false"), Edit(str(env), "SMTP_SECURE", "true"),
                       Edit(None, "SMTP_PORT", "587")])
    assert [f.after for f in plan.files] == [b"SMTP_SECURE=false\n"]
    assert [e.key for e in plan.env] == ["SMTP_PORT"] and env_line(plan.env[0]) == "SMTP_PORT=587"


def test_diff_masks_passwords_in_dsns_and_secret_looking_context_lines():
    before = b"STRIPE_SECRET_KEY=sk_live_abcdef\nSMTP_PASS=hunter2\nMAILER_DSN=smtp://me:p@ss@h:465\nAPP_NAME=shop\n"
    after = before.replace(b"p@ss@h:465", b"p%40ss@h:587")
    diff = unified_diff(FilePlan(".env", FileKind.ENV, before, after))
    assert "sk_live" not in diff and "hunter2" not in diff and "p@ss" not in diff and "p%40ss" not in diff
    assert "-MAILER_DSN=smtp://me:********@h:465\n+MAILER_DSN=smtp://me:********@h:587\n" in diff
    assert " APP_NAME=shop\n" in diff
    assert masked_line(FileKind.YAML, "    password: x y z\n") == "    password: ********\n"
    assert masked_line(FileKind.TOML, 'pass = "env(X)"') == "pass = ********"


def test_diff_applies_with_patch_and_says_when_there_is_no_final_newline(tmp_path):
    before = b"A=1\r\nSMTP_SECURE=true\r\nB=2"
    after, _, _ = apply_edits(before, FileKind.ENV, [env_edit("SMTP_SECURE", "false")])
    target = tmp_path / ".env"
    target.write_bytes(before)
    diff = unified_diff(FilePlan(".env", FileKind.ENV, before, after))
    assert diff.endswith("\\ No newline at end of file\n")
    subprocess.run(["patch", "-s", "-p0", "--binary"], input=diff.encode(), cwd=tmp_path, check=True)
    assert target.read_bytes() == after


def test_write_keeps_the_mode_follows_a_symlink_and_leaves_no_temporary_file(tmp_path):
    real = tmp_path / "real.env"
    real.write_bytes(b"A=1\n")
    os.chmod(real, 0o640)
    link = tmp_path / ".env"
    link.symlink_to(real)
    write_atomic(str(link), b"A=2\n", expected=b"A=1\n")
    assert link.is_symlink() and real.read_bytes() == b"A=2\n"
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env", "real.env"]


def test_write_refuses_what_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "env.fifo"
    os.mkfifo(fifo)
    with pytest.raises(Refused) as refused:
        write_atomic(str(fifo), b"A=2\n")
    assert refused.value.reason == "not_a_file" and sorted(p.name for p in tmp_path.iterdir()) == ["env.fifo"]


def test_write_refuses_a_file_changed_since_it_was_read(tmp_path):
    path = tmp_path / ".env"
    path.write_bytes(b"A=changed\n")
    with pytest.raises(Refused) as refused:
        write_atomic(str(path), b"A=2\n", expected=b"A=1\n")
    assert refused.value.reason == "changed" and path.read_bytes() == b"A=changed\n"


# -- properties of every file within the grammar ------------------------------------------------------------

PRINTABLE = st.characters(whitelist_categories=("L", "N", "P", "S", "Zs"))
COMMENT_TEXT = st.text(PRINTABLE, max_size=30)
NEWLINE = st.sampled_from(["\n", "\r\n"])
WORD = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.@%+:/=,-]{0,20}", fullmatch=True)
ANY_VALUE = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


def _quoted(forbidden: str):
    return st.text(st.characters(whitelist_categories=("L", "N", "P", "S", "Zs"), blacklist_characters=forbidden), max_size=30)


ENV_STYLES = {None: st.from_regex(r"[\w.,:/@%+=-]{1,20}", fullmatch=True), "'": _quoted("'\\"), '"': _quoted('"\\$')}
ENV_KEYS = ["SMTP_HOST", "SMTP_PORT", "SMTP_SECURE", "SMTP_USER", "SMTP_FROM", "APP_NAME", "MAILER_DSN", "ÉTAT_APP"]


@st.composite
def env_files(draw):
    """(lines as text, {key: (line index, prefix, value as spelt, suffix, value, quote)}), and the line end."""
    nl = draw(NEWLINE)
    keys = draw(st.lists(st.sampled_from(ENV_KEYS), min_size=1, max_size=6, unique=True))
    lines, bindings = [], {}
    for key in keys:
        for _ in range(draw(st.integers(0, 2))):
            lines.append(draw(st.sampled_from(["", "   ", "#", "# " + draw(COMMENT_TEXT)])))
        quote = draw(st.sampled_from([None, "'", '"']))
        value = draw(ENV_STYLES[quote])
        spelt = f"{quote}{value}{quote}" if quote else value
        prefix = draw(st.sampled_from(["", "  "])) + draw(st.sampled_from(["", "export "])) + key + draw(st.sampled_from(["=", " = ", "= "]))
        suffix = draw(st.sampled_from(["", " # " + draw(COMMENT_TEXT)]))
        bindings[key] = (len(lines), prefix, spelt, suffix, value, quote)
        lines.append(prefix + spelt + suffix)
    final = draw(st.booleans())
    text = nl.join(lines) + (nl if final else "")
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text, lines, bindings, nl, final


def _line_span(text: str, lines: list[str], index: int, nl: str) -> tuple[str, str]:
    """The text before line `index` and after it (its line end included in the after part)."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    before = bom + "".join(line + nl for line in lines[:index])
    return before, text[len(before) + len(lines[index]):]


def _dotenv(text: str) -> dict:
    return dotenv_values(stream=io.StringIO(text.removeprefix("\ufeff"), newline=""))


@PROPERTY
@given(env_files(), st.data())
def test_env_edit_changes_the_value_span_only_and_writes_back_to_the_same_bytes(generated, data):
    text, lines, bindings, nl, final = generated
    key = data.draw(st.sampled_from(sorted(bindings)))
    index, prefix, spelt, suffix, value, quote = bindings[key]
    assume(_dotenv(text).get(key) == value)  # the generator's own spelling reads as intended
    new = data.draw(ANY_VALUE)
    out, refused = applied(FileKind.ENV, text, env_edit(key, new))
    assert refused == []
    assert _dotenv(out)[key] == new
    assert {k: v for k, v in _dotenv(out).items() if k != key} == {k: v for k, v in _dotenv(text).items() if k != key}
    before, after = _line_span(text, lines, index, nl)
    assert out.startswith(before + prefix) and out.endswith(suffix + after)
    # writing the old value back (the same quoting fits it) gives the file byte for byte
    if _keeps_style(quote, new) and not (new == "" and suffix and not quote):  # `K= # c`: whose is the space?
        assert applied(FileKind.ENV, out, env_edit(key, value))[0] == text
    assert applied(FileKind.ENV, text, env_edit(key, value))[0] == text


def _keeps_style(quote: str | None, value: str) -> bool:
    """The new value can be spelt in the line's own quoting (so the old one goes back the same way)."""
    import re

    if quote:
        return not any(ch in value for ch in (quote, "\\", "\n", "\r"))
    return re.fullmatch(r"[\w.,:/@%+=\-]*", value) is not None


@PROPERTY
@given(env_files(), st.data())
def test_env_removal_and_append_touch_nothing_else(generated, data):
    text, lines, bindings, nl, final = generated
    key = data.draw(st.sampled_from(sorted(bindings)))
    index = bindings[key][0]
    out, _ = applied(FileKind.ENV, text, env_edit(key, None))
    before, after = _line_span(text, lines, index, nl)
    if after.startswith(nl):
        assert out == before + after[len(nl):]
    else:  # the last line, without a final newline
        assert out == before + after
    assert key not in _dotenv(out)
    out, _ = applied(FileKind.ENV, text, env_edit("SMTP_NEW_NAME", "x y"))
    assert out.startswith(text) and _dotenv(out)["SMTP_NEW_NAME"] == "x y"
    assert out.endswith(nl) == (final or not text.removeprefix("\ufeff"))


PROP_KEYS = ["spring.mail.host", "spring.mail.port", "spring.mail.username", "spring.mail.properties.mail.smtp.ssl.enable",
             "server.port", "app.name"]


@st.composite
def properties_files(draw):
    nl = draw(NEWLINE)
    keys = draw(st.lists(st.sampled_from(PROP_KEYS), min_size=1, max_size=5, unique=True))
    lines, props = [], {}
    for key in keys:
        if draw(st.booleans()):
            lead, text = draw(st.sampled_from(["#", "! ", "", "  "])), draw(COMMENT_TEXT)
            if not lead.strip():  # a line of other text ending in a backslash would continue onto the key's line
                text = text.rstrip("\\")
            lines.append(lead + text if draw(st.booleans()) else "")
        prefix = draw(st.sampled_from(["", "  "])) + key + draw(st.sampled_from(["=", " = ", ":", ": ", " "]))
        value = draw(st.from_regex(r"([!-9;<>-\[\]-~]([ -\[\]-~]{0,20}[!-\[\]-~])?)?", fullmatch=True))  # no \, no leading =:
        props[key] = (len(lines), prefix, value)
        lines.append(prefix + value)
    final = draw(st.booleans())
    return nl.join(lines) + (nl if final else ""), lines, props, nl


@PROPERTY
@given(properties_files(), st.data())
def test_properties_edit_changes_the_value_span_only(generated, data):
    text, lines, props, nl = generated
    key = data.draw(st.sampled_from(sorted(props)))
    index, prefix, value = props[key]
    assert propertiesfile.values(text)[key] == value
    new = data.draw(ANY_VALUE)
    out, refused = applied(FileKind.PROPERTIES, text, Edit("a.properties", key, new))
    assert refused == [] and propertiesfile.values(out)[key] == new
    before, after = _line_span(text, lines, index, nl)
    assert out.startswith(before + prefix) and out.endswith(after)
    assert applied(FileKind.PROPERTIES, out, Edit("a.properties", key, value))[0] == text


YAML_PLAIN = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,15}", fullmatch=True)
YAML_STYLES = {"": YAML_PLAIN, "'": _quoted("'"), '"': _quoted('"\\')}


@st.composite
def yaml_files(draw):
    """A Spring-like tree rendered in block style with comments; each leaf's scalar span recorded."""
    step = draw(st.sampled_from([2, 4]))
    nl = draw(NEWLINE)
    tree = {"spring": {"mail": {"host": None, "port": None, "properties": {"mail": {"smtp": {"auth": None, "ssl": {"enable": None}}}}}},
            "logging": {"level": None}}
    out: list[str] = []
    spans = {}

    def render(node, depth, path):
        for name, child in node.items():
            if draw(st.integers(0, 4)) == 0:
                out.append(" " * (depth * step) + "# " + draw(COMMENT_TEXT) if draw(st.booleans()) else "")
            if not draw(st.integers(0, 5)) and path:  # sometimes a leaf is simply absent
                continue
            pad = " " * (depth * step)
            if child is None:
                style = draw(st.sampled_from(["", "'", '"']))
                value = draw(YAML_STYLES[style])
                spelt = f"{style}{value}{style}"
                comment = draw(st.sampled_from(["", "  # " + draw(COMMENT_TEXT)]))
                start = sum(len(line) + len(nl) for line in out) + len(pad) + len(name) + 2
                spans[".".join([*path, name])] = (start, start + len(spelt), value)
                out.append(f"{pad}{name}: {spelt}{comment}")
            else:
                out.append(f"{pad}{name}:")
                render(child, depth + 1, [*path, name])

    render(tree, 0, [])
    return nl.join(out) + nl, spans


@PROPERTY
@given(yaml_files(), st.data())
def test_yaml_edit_changes_the_scalar_span_only(generated, data):
    text, spans = generated
    assume(spans)
    key = data.draw(st.sampled_from(sorted(spans)))
    start, end, value = spans[key]
    assume(yamlfile.values(text).get(key) == value)
    new = data.draw(ANY_VALUE)
    out, refused = applied(FileKind.YAML, text, Edit("application.yml", key, new))
    assert refused == [] and yamlfile.values(out)[key] == new
    assert out.startswith(text[:start]) and out.endswith(text[end:])
    assert applied(FileKind.YAML, text, Edit("application.yml", key, value))[0] == text


@PROPERTY
@given(yaml_files(), st.sampled_from(["spring.mail.username", "spring.mail.properties.mail.smtp.starttls.enable",
                                      "spring.mail.properties.mail.smtp.ssl.trust", "management.port"]))
def test_yaml_added_key_is_valid_and_leaves_every_other_line(generated, key):
    text, spans = generated
    assume(key not in yamlfile.values(text))
    out, refused = applied(FileKind.YAML, text, Edit("application.yml", key, "smtp.example.com"))
    assert refused == [] and yamlfile.values(out)[key] == "smtp.example.com"
    added = [line for line in out.splitlines() if line not in text.splitlines()]
    kept = [line for line in out.splitlines() if line in text.splitlines()]
    assert kept == text.splitlines() and 1 <= len(added) <= len(key.split("."))
    yaml.safe_load(out)


@st.composite
def toml_files(draw):
    nl = draw(NEWLINE)
    lines = ["[auth]", f"site_url = \"{draw(YAML_PLAIN)}\"", ""]
    if draw(st.booleans()):
        lines.append("# " + draw(COMMENT_TEXT))
    lines.append("[auth.email.smtp]")
    spans = {}
    for key in draw(st.lists(st.sampled_from(["host", "port", "user", "admin_email", "sender_name"]), min_size=1, max_size=5, unique=True)):
        eq = draw(st.sampled_from([" = ", "="]))
        if key == "port":
            value = str(draw(st.integers(1, 65535)))
            spelt = value
        else:
            quote = draw(st.sampled_from(["'", '"']))
            value = draw(_quoted(quote + "\\"))
            spelt = f"{quote}{value}{quote}"
        comment = draw(st.sampled_from(["", " # " + draw(COMMENT_TEXT)]))
        spans[f"[auth.email.smtp] {key}"] = (len(lines), f"{key}{eq}", value, comment)
        lines.append(f"{key}{eq}{spelt}{comment}")
    lines += ["", "[storage]", "enabled = true"]
    return nl.join(lines) + nl, lines, spans, nl


@PROPERTY
@given(toml_files(), st.data())
def test_toml_edit_changes_the_value_only_and_stays_valid_toml(generated, data):
    text, lines, spans, nl = generated
    key = data.draw(st.sampled_from(sorted(spans)))
    index, prefix, value, comment = spans[key]
    name = key.split()[-1]
    new = str(data.draw(st.integers(1, 65535))) if name == "port" else data.draw(ANY_VALUE)
    out, refused = applied(FileKind.TOML, text, Edit("supabase/config.toml", key, new))
    assert refused == []
    got = tomllib.loads(out)["auth"]["email"]["smtp"][name]
    assert str(got) == new
    before, after = _line_span(text, lines, index, nl)
    assert out.startswith(before + prefix) and out.endswith(comment + after)
    assert applied(FileKind.TOML, text, Edit("supabase/config.toml", key, value))[0] == text


# -- `smtpdoctor fix` -------------------------------------------------------------------------------------------

SECRET = "Qx9-leak-probe-Staple-77"
COMPLETE = ("# shop mail\nSMTP_HOST=smtp.example.test\nSMTP_PORT=587\nSMTP_SECURE=true  # implicit TLS?\n"
            f"SMTP_USER=shop@example.test\nSMTP_PASS={SECRET}\nSMTP_FROM=shop@example.test\n")


def test_fix_shows_the_diff_and_touches_nothing_without_write(run_cli, tmp_path):
    env = tmp_path / ".env"
    env.write_text(COMPLETE)
    result = run_cli(["fix", "--env-file", str(env), "--offline"])
    assert result.code == 1, result.all
    assert f"--- {env}" in result.out and "-SMTP_SECURE=true  # implicit TLS?" in result.out
    assert "+SMTP_SECURE=false  # implicit TLS?" in result.out and "SMTP_PASS=********" in result.out
    assert SECRET not in result.all and "--write" in result.out
    assert env.read_text() == COMPLETE


def test_fix_write_changes_only_the_value_keeps_the_mode_and_checks_again(run_cli, tmp_path):
    env = tmp_path / ".env"
    env.write_bytes(COMPLETE.replace("\n", "\r\n").encode())
    os.chmod(env, 0o600)
    result = run_cli(["fix", "--write", "--env-file", str(env), "--offline"])
    assert result.code == 0, result.all
    assert env.read_bytes() == COMPLETE.replace("SMTP_SECURE=true", "SMTP_SECURE=false").replace("\n", "\r\n").encode()
    assert stat.S_IMODE(os.stat(env).st_mode) == 0o600
    # A long temporary path may wrap the line at 80 columns: the words are compared, not the line breaks.
    assert f"Written: {env} (changes: 1)" in " ".join(result.out.split()) and SECRET not in result.all
    again = run_cli(["fix", "--env-file", str(env), "--offline"])
    assert again.code == 0 and "Nothing to change" in again.out


def test_fix_repairs_a_dsn_password_without_ever_showing_it(run_cli, tmp_path):
    password = "p@ss#w0rd!Long"
    env = tmp_path / ".env"
    env.write_text(f"APP_ENV=prod\nMAILER_DSN=smtp://me%40example.test:{password}@mail.example.test:587\n"
                   "MAILER_FROM=me@example.test\n")
    shown = run_cli(["fix", "--env-file", str(env), "--offline", "--format", "json"])
    document = json.loads(shown.out)
    assert password not in shown.all and "p%40ss%23w0rd" not in shown.all and "ss#w0rd" not in shown.all
    assert "MAILER_DSN=smtp://me%40example.test:********@mail.example.test:587" in document["files"][0]["diff"]
    written = run_cli(["fix", "--write", "--env-file", str(env), "--offline"])
    assert password not in written.all and "ss#w0rd" not in written.all
    assert f"MAILER_DSN=smtp://me%40example.test:p%40ss%23w0rd%21Long@mail.example.test:587\n" in env.read_text() \
        or "MAILER_DSN=smtp://me%40example.test:p%40ss%23w0rd!Long@mail.example.test:587\n" in env.read_text()


def test_fix_names_environment_variables_and_the_platform_where_they_are_set(run_cli):
    env = {"SMTP_HOST": "smtp.example.test", "SMTP_PORT": "587", "SMTP_SECURE": "true", "SMTP_USER": "a@example.test",
           "SMTP_PASS": SECRET, "SMTP_FROM": "a@example.test"}
    result = run_cli(["fix", "--offline", "--platform", "vercel"], env=env)
    assert result.code == 1 and "Vercel" in result.out and "\n  SMTP_SECURE=false\n" in result.out, result.all
    result = run_cli(["fix", "--offline", "--write", "--lang", "ru"], env=env)
    assert result.code == 1 and "Задайте эти переменные окружения" in result.out and SECRET not in result.all


def test_fix_json_and_russian(run_cli, tmp_path):
    env = tmp_path / ".env"
    env.write_text(COMPLETE)
    document = json.loads(run_cli(["fix", "--env-file", str(env), "--offline", "--format", "json"]).out)
    assert document["command"] == "fix" and document["exit_code"] == 1 and document["written"] == []
    assert [f["file"] for f in document["files"]] == [str(env)] and document["files"][0]["edits"][0]["key"] == "SMTP_SECURE"
    assert "config.secure_port_mismatch" in [c["code"] for c in document["cures"]]
    text = run_cli(["fix", "--env-file", str(env), "--offline", "--lang", "ru"]).out
    assert "Правки в ваших файлах" in text and "Что исправят эти правки" in text
    bad = run_cli(["fix", "--env-file", str(env), "--offline", "--format", "junit"])
    assert bad.code == 2 and "Traceback" not in bad.all
