"""Command-line layer: parse options, call plain functions, pick a renderer, return an exit code.

The only module that imports Typer. Heavy modules (pydantic, Rich, dnspython) are imported
inside commands so `smtpdoctor --version` and `--help` stay fast.
"""

# The options' annotations are kept as text (the future import) and evaluated only for the command that runs, once,
# before Typer builds it (`_evaluated`): evaluated at import, the ~70 `Annotated[..., typer.Option(...)]` of every
# command cost each run ~12.6 M instructions; `check`'s own 33, compiled and evaluated when it runs, ~10 M, most
# other commands' far less. Left to Typer, each text would be compiled and evaluated four times.

from __future__ import annotations

import contextlib
import functools
import io
import os
import stat
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from smtpdoctor import __version__
from smtpdoctor.exitcodes import ExitCode

app = typer.Typer(
    name="smtpdoctor",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,  # locals would include the SMTP password
    rich_markup_mode=None,
)

# Help texts of commands, options and arguments live in knowledge/phrases/newuser.toml (`newuser.help.*`, en and
# ru); _polish_help sets them only when help or shell completion is shown.
LangOpt = Annotated[Optional[str], typer.Option("--lang")]
FormatOpt = Annotated[str, typer.Option("--format", "-f")]
CheckFormatOpt = Annotated[str, typer.Option("--format", "-f")]
NameserverOpt = Annotated[Optional[list[str]], typer.Option("--nameserver")]
DnsTimeoutOpt = Annotated[float, typer.Option("--dns-timeout")]
SelectorOpt = Annotated[Optional[list[str]], typer.Option("--dkim-selector")]
ProvidersOpt = Annotated[Optional[Path], typer.Option("--providers")]


def _version(value: bool) -> None:
    if value:
        print(f"smtpdoctor {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True)] = False,
    debug: Annotated[bool, typer.Option("--debug")] = False,
) -> None:
    """smtpdoctor: check SMTP settings, probe the server, explain logs."""


def _lang(explicit: str | None):
    from smtpdoctor.errors import UsageError
    from smtpdoctor.report import phrase
    from smtpdoctor.render.i18n import detect_lang

    if explicit and explicit.lower() not in ("en", "ru"):
        raise UsageError("error.bad_option", option="--lang", reason=phrase("reason.lang"))
    return detect_lang(explicit, os.environ) if explicit else detect_lang(None, os.environ)


def _format(value: str, allowed: tuple[str, ...] = ("text", "json")) -> str:
    from smtpdoctor.errors import UsageError
    from smtpdoctor.report import phrase

    if value.lower() not in allowed:
        raise UsageError("error.bad_option", option="--format", reason=phrase("reason.format", allowed=", ".join(allowed)))
    return value.lower()


def _providers(path: Path | None):
    from smtpdoctor.knowledge.providers import load_providers, resolve_providers_path

    return load_providers(resolve_providers_path(str(path) if path else None, os.environ))


@app.command()
def check(
    host: Annotated[Optional[str], typer.Option()] = None,
    port: Annotated[Optional[str], typer.Option()] = None,
    secure: Annotated[Optional[bool], typer.Option("--secure/--no-secure")] = None,
    user: Annotated[Optional[str], typer.Option()] = None,
    sender: Annotated[Optional[str], typer.Option()] = None,
    provider: Annotated[Optional[str], typer.Option()] = None,
    env_file: Annotated[Optional[Path], typer.Option("--env-file")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    password: Annotated[Optional[str], typer.Option("--password")] = None,
    oauth2_token_stdin: Annotated[bool, typer.Option("--oauth2-token-stdin")] = False,
    platform: Annotated[Optional[str], typer.Option("--platform")] = None,
    ports: Annotated[bool, typer.Option("--ports")] = False,
    offline: Annotated[bool, typer.Option()] = False,
    timeout: Annotated[float, typer.Option()] = 10.0,
    max_time: Annotated[float, typer.Option("--max-time")] = 60.0,
    send_to: Annotated[Optional[str], typer.Option("--send-to")] = None,
    transcript: Annotated[bool, typer.Option()] = False,
    allow_plaintext_auth: Annotated[bool, typer.Option("--allow-plaintext-auth")] = False,
    insecure: Annotated[bool, typer.Option()] = False,
    ca_file: Annotated[Optional[Path], typer.Option("--ca-file")] = None,
    ehlo_name: Annotated[Optional[str], typer.Option("--ehlo-name")] = None,
    strict: Annotated[bool, typer.Option()] = False,
    no_dns: Annotated[bool, typer.Option("--no-dns")] = False,
    source: Annotated[Optional[str], typer.Option("--source")] = None,
    config: Annotated[Optional[list[Path]], typer.Option("--config")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o")] = None,
    nameserver: NameserverOpt = None,
    dns_timeout: DnsTimeoutOpt = 5.0,
    dkim_selector: SelectorOpt = None,
    output_format: CheckFormatOpt = "text",
    lang: LangOpt = None,
    providers_file: ProvidersOpt = None,
    verify_fix: Annotated[bool, typer.Option("--verify-fix")] = False,
) -> int:
    """Check SMTP settings (env vars, .env, options) and probe the server step by step."""
    given = _check_inputs(("text", "json", "github", "junit", "html"), **locals())
    from smtpdoctor.app import run_check
    from smtpdoctor.knowledge.catalog import load_catalog

    chosen_lang, fmt, read, opts, providers = given.lang, given.fmt, given.read, given.opts, given.providers
    redactor, token_text = given.redactor, given.token_text
    catalog = load_catalog()
    with _said_when_interrupted(), _output(output, redactor) as out:
        if fmt == "text":
            from smtpdoctor.render.text import check_blocks, color_wanted, write

            live = output is None and color_wanted(out) and not offline
            result = _run_live(out, chosen_lang, live, lambda on_step: run_check(
                read.inp, os.environ, providers, opts, source=read, on_step=on_step))
            write(check_blocks(result, catalog, chosen_lang, strict, show_transcript=transcript, providers=providers),
                  out)
        else:
            result = run_check(read.inp, os.environ, providers, opts, source=read)
            plain = [value for value in (read.inp.password.value if read.inp.password else None, token_text) if value]
            out.write(_render_machine(fmt, result, catalog, chosen_lang, strict, transcript, redactor, plain, providers))
    if output is not None:
        _said_where(output, fmt, result, catalog, chosen_lang, strict, redactor)
    return int(result.exit_code(strict))


def _said_where(output: Path, fmt: str, result, catalog, lang, strict: bool, redactor) -> None:
    """The report went to --output: one line on standard output says where, and the verdict (a CI job's log is
    otherwise empty)."""
    from smtpdoctor.render.text import output_summary

    if sys.__stdout__ is None:  # closed by the caller (`>&-`): nobody to tell, the report itself is in the file
        return
    out = redactor.writer(sys.stdout) if redactor is not None else sys.stdout
    out.write(output_summary(result, catalog, lang, strict, str(output), fmt) + "\n")
    out.flush()


class _TakesCheckOptions:
    """A command that takes every option of `check`, by the same Typer definitions, then its own keyword-only ones.
    Its signature is worked out only when Typer builds this command, not on every start of the CLI."""

    def __init__(self, fn) -> None:
        self.fn = fn
        self.__name__, self.__qualname__, self.__doc__, self.__module__ = fn.__name__, fn.__qualname__, fn.__doc__, fn.__module__

    def __call__(self, **params):
        return self.fn(**params)

    @functools.cached_property
    def __signature__(self):
        import inspect

        _evaluate_annotations(check)  # Typer reads the option definitions off evaluated annotations
        base = inspect.signature(check)
        own = [p for p in inspect.signature(self.fn, eval_str=True).parameters.values() if p.kind is p.KEYWORD_ONLY]
        return base.replace(parameters=[*base.parameters.values(), *own], return_annotation=int)

    @functools.cached_property
    def __annotations__(self):
        return {p.name: p.annotation for p in self.__signature__.parameters.values()}


@app.command()
@_TakesCheckOptions
def fix(*, write: Annotated[bool, typer.Option("--write")] = False, **options) -> int:
    """Show the proven edits to the settings files as a diff and the environment variables to set; --write applies them."""
    given = _check_inputs(("text", "json"), **options)
    from smtpdoctor.app import run_check
    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.prescribe.apply import plan_edits, prescribed_edits

    catalog, strict = load_catalog(), options["strict"]
    with _said_when_interrupted():
        result = run_check(given.read.inp, os.environ, given.providers, given.opts, source=given.read)
        plan = plan_edits(prescribed_edits(result), _run_secrets(given))
        written, after = None, None
        if write:
            written = _write_plan(plan)
            if written:
                reread = given.reread()
                after = run_check(reread.inp, os.environ, given.providers, given.opts, source=reread)
    with _output(options["output"], given.redactor) as out:
        if given.fmt == "json":
            from smtpdoctor.render.fix import fix_document
            from smtpdoctor.render.json import dumps

            out.write(dumps(fix_document(result, plan, written, after, strict)) + "\n")
        else:
            from smtpdoctor.render.fix import fix_blocks
            from smtpdoctor.render.text import write as write_blocks

            write_blocks(fix_blocks(result, plan, catalog, given.lang, written=written, after=after, strict=strict), out)
    if options["output"] is not None:
        _said_where(options["output"], given.fmt, after or result, catalog, given.lang, strict, given.redactor)
    return int((after or result).exit_code(strict))


def _run_secrets(given) -> list[str]:
    """The run's secrets as given and as cleaned: no edit may carry one into a file that does not hold it."""
    from smtpdoctor.redact import url_passwords
    from smtpdoctor.settings.model import clean_text

    inp = given.read.inp
    values = [inp.password.value if inp.password else None, given.token_text]
    values += [found for name in ("host", "user", "sender") if inp.get(name) is not None
               for found in url_passwords(inp.get(name).value, bare=name == "host")]
    return [v for v in dict.fromkeys([*values, *(clean_text(v) for v in values if v)]) if v]


def _write_plan(plan) -> list[tuple[str, int]]:
    """Each changed file replaced at once; a file changed meanwhile is left alone and said so."""
    from smtpdoctor.errors import InputError, os_reason
    from smtpdoctor.prescribe.apply import Refused, write_atomic

    written = []
    for file in plan.files:
        if not file.changed:
            continue
        try:
            write_atomic(file.path, file.after, expected=file.before)
        except Refused as refused:
            raise InputError("fix.error.write", file=file.path, reason=_refusal_reason(refused)) from None
        except OSError as exc:
            raise InputError("fix.error.write", file=file.path, reason=os_reason(exc)) from exc
        written.append((file.path, len(file.applied)))
    return written


def _refusal_reason(refused):
    from smtpdoctor.report import phrase

    return phrase("fix.refused." + refused.reason)

class _CheckInputs:
    """What `check` and `fix` make of the same options: the settings read, the run's options, its redactor."""

    def __init__(self, **values) -> None:
        self.__dict__.update(values)


def _check_inputs(formats: tuple[str, ...], *, host, port, secure, user, sender, provider, env_file, password_stdin,
                  password, oauth2_token_stdin, platform, ports, offline, timeout, max_time, send_to, allow_plaintext_auth,
                  insecure, ca_file, ehlo_name, no_dns, source, config, output, nameserver, dns_timeout, dkim_selector,
                  output_format, lang, providers_file, verify_fix=False, **_rendering) -> _CheckInputs:
    """Validate check's options and read the settings they name (shared by `check` and `fix`)."""
    from smtpdoctor.app import CheckOptions
    from smtpdoctor.errors import NOT_A_FILE, UsageError
    from smtpdoctor.render.i18n import tr
    from smtpdoctor.report import phrase
    from smtpdoctor.settings.frameworks import read_source

    chosen_lang = _lang(lang)
    fmt = _format(output_format, formats)
    if not timeout > 0 or timeout > 600:
        raise UsageError("error.bad_option", option="--timeout", reason=phrase("reason.timeout"))
    if not 1 <= max_time <= 3600:
        raise UsageError("error.bad_option", option="--max-time", reason=phrase("hardening.reason.max_time"))
    send_to, ehlo_name = _recipient(send_to), _ehlo_name(ehlo_name)
    _refuse_overwrite(output, [("--env-file", env_file), *(("--config", path) for path in config or ())])
    options: dict[str, str | None] = {"host": host, "port": port, "user": user, "sender": sender}
    names = {"host": "--host", "port": "--port", "user": "--user", "sender": "--sender", "secure": "--secure" if secure else "--no-secure"}
    if secure is not None:
        options["secure"] = "true" if secure else "false"
    token = None
    if oauth2_token_stdin:
        if password_stdin:
            raise UsageError("error.bad_option", option="--oauth2-token-stdin", reason=phrase("platform.reason.one_stdin"))
        from smtpdoctor.secret import Secret

        data = _stdin_line("--oauth2-token-stdin", MAX_STDIN_TOKEN).strip()
        if not data:
            raise UsageError("cli.error.stdin_empty", option="--oauth2-token-stdin")
        token = Secret(data)
    if password_stdin:
        options["password"] = _stdin_line("--password-stdin", MAX_STDIN_PASSWORD)
        names["password"] = "--password-stdin"
    elif password is not None:
        print(tr("heading.password_option", chosen_lang), file=sys.stderr)
        options["password"] = password
        names["password"] = "--password"
    if ca_file is not None and not ca_file.is_file():
        raise UsageError("error.ca_file", file=ca_file, reason=NOT_A_FILE)
    for path in config or ():
        if not path.is_file():
            raise UsageError("error.log_unreadable", file=path, reason=NOT_A_FILE)
    providers = _providers(providers_file)
    read = read_source(source, options, os.environ, env_file, list(config or ()), names)
    _check_dns_options(nameserver, dns_timeout)
    opts = CheckOptions(offline=offline, timeout=timeout, allow_plaintext_auth=allow_plaintext_auth, insecure=insecure,
                        ca_file=ca_file, send_to=send_to, ehlo_name=ehlo_name, provider=provider, check_dns=not no_dns,
                        max_time=max_time,
                        nameservers=tuple(nameserver or ()), dns_timeout=dns_timeout,
                        dkim_selectors=tuple(dkim_selector or ()), platform=platform, ports=ports, oauth2_token=token,
                        verify_fix=verify_fix)
    from smtpdoctor.redact import Redactor

    from smtpdoctor.settings.model import readable  # a byte that is not UTF-8 would crash every encoding of it

    token_text = token.get_secret_value() if token is not None else readable(os.environ.get("SMTP_OAUTH2_TOKEN", ""))[0].strip()
    redactor = Redactor.for_input(read.inp).merged(Redactor.for_secrets([token_text], read.inp.user.value if read.inp.user else None))
    return _CheckInputs(lang=chosen_lang, fmt=fmt, read=read, opts=opts, providers=providers, redactor=redactor,
                        token_text=token_text, reread=lambda: read_source(source, options, os.environ, env_file,
                                                                          list(config or ()), names))


MAX_STDIN_PASSWORD = 4 << 10  # bytes: the longest real SMTP passwords and API keys are about 100
MAX_STDIN_TOKEN = 64 << 10  # bytes: OAuth2 access tokens (JWTs with many claims) run to a few KiB


def _stdin_line(option: str, limit: int) -> str:
    """The first line of standard input without its line end, read no further than `limit` bytes: `--password-stdin`
    fed a 100 MB file must cost 4 KiB, not the whole file held in memory several times over."""
    from smtpdoctor.errors import UsageError
    from smtpdoctor.report import phrase

    stream = sys.stdin
    if stream.isatty():  # nothing piped in: nothing to wait for
        raise UsageError("cli.error.stdin_empty", option=option)
    binary = getattr(stream, "buffer", None)
    try:
        raw = binary.readline(limit + 1) if binary is not None else stream.readline(limit + 1)
    except OSError as exc:
        from smtpdoctor.errors import os_reason

        raise UsageError("error.bad_option", option=option, reason=os_reason(exc)) from exc
    line_end = raw.endswith(b"\n" if isinstance(raw, bytes) else "\n")
    if len(raw) > limit and not line_end:
        raise UsageError("error.bad_option", option=option, reason=phrase("cli.reason.stdin_too_long", n=limit >> 10))
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise UsageError("error.bad_option", option=option, reason=phrase("reason.not_utf8")) from None
    text = text.rstrip("\r\n")
    if not text:
        raise UsageError("cli.error.stdin_empty", option=option)
    return text


def _render_machine(fmt: str, result, catalog, lang, strict: bool, transcript: bool, redactor, plain: list[str],
                    providers=None) -> str:
    if fmt == "html":  # one self-contained file to attach to a ticket (render/html.py imports Jinja2: only here)
        from smtpdoctor.render.html import check_html

        return check_html(result, catalog, lang, strict, providers, transcript)
    if fmt == "json":
        from smtpdoctor.render.json import check_document, dumps

        return dumps(check_document(result, catalog, lang, strict, with_transcript=transcript)) + "\n"
    if fmt == "junit":
        from smtpdoctor.render.ci import junit_xml

        return junit_xml(result, catalog, lang, strict)
    from smtpdoctor.render.ci import github_lines, markdown_summary

    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(markdown_summary(result, catalog, lang) + "\n")
        except OSError:
            pass
    # ::add-mask:: for every secret of the run (password, OAuth2 token) in every encoded form, the plain ones first,
    # straight to the runner's standard output: never into an --output file (the secret in clear, in an artifact)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from smtpdoctor.render.ci import mask_lines

        sys.stdout.write("".join(line + "\n" for line in mask_lines([*plain, *redactor.mask_values()])))
    lines = github_lines(result, catalog, lang)
    return "".join(line + "\n" for line in lines)


@contextlib.contextmanager
def _said_when_interrupted():
    """Ctrl-C ends the run with exit 130 and says so on stderr (Typer alone would exit 130 silently)."""
    from smtpdoctor.errors import Interrupted

    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted("error.interrupted") from None


class _output:
    """--output FILE, or standard output; either way through the run's redactor (smtpdoctor.redact).

    A report file is created 0600: it may quote what a server said. A write that fails (a full
    disk, /dev/full) is a clear error, not an internal one."""

    def __init__(self, path: Path | None, redactor=None) -> None:
        self.path = path
        self.handle = None
        self.redactor = redactor

    def __enter__(self):
        from smtpdoctor.errors import UsageError, os_reason

        if self.path is None:
            stream = sys.stdout
        else:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                if stat.S_ISREG(os.fstat(fd).st_mode):  # an existing file keeps its mode on open: tighten it too
                    os.fchmod(fd, 0o600)
                self.handle = open(fd, "w", encoding="utf-8")  # noqa: SIM115
            except OSError as exc:
                raise UsageError("error.bad_option", option="--output", reason=os_reason(exc)) from exc
            stream = self.handle
        return self.redactor.writer(stream) if self.redactor is not None else stream

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.handle is None:
            return
        from smtpdoctor.errors import InputError, os_reason

        try:
            self.handle.close()
        except OSError as error:
            if exc is None:
                raise InputError("hardening.error.output_write", file=self.path, reason=os_reason(error)) from error
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise InputError("hardening.error.output_write", file=self.path, reason=os_reason(exc)) from exc


def _recipient(value: str | None) -> str | None:
    """--send-to: surrounding spaces are copy-paste damage (trimmed); anything else odd is refused."""
    from smtpdoctor.errors import UsageError
    from smtpdoctor.report import phrase

    if value is None:
        return None
    address = value.strip()
    if not address or any(ch.isspace() or ord(ch) < 32 or ch in "<>,;" for ch in address) or address.count("@") != 1:
        raise UsageError("error.bad_option", option="--send-to", reason=phrase("hardening.reason.send_to", value=repr(value)))
    return address


def _ehlo_name(value: str | None) -> str | None:
    """--ehlo-name: a host name (RFC 5321 Domain) or an address literal, nothing an SMTP line could be smuggled in."""
    import ipaddress
    import re

    from smtpdoctor.errors import UsageError
    from smtpdoctor.report import phrase

    if value is None:
        return None
    name = value.strip()
    ok = bool(re.fullmatch(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                           r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?", name, re.ASCII))
    literal = re.fullmatch(r"\[(IPv6:)?([0-9A-Fa-f:.]+)\]", name)
    if literal:
        try:
            address = ipaddress.ip_address(literal.group(2))
            ok = (address.version == 6) == bool(literal.group(1))
        except ValueError:
            ok = False
    if not ok:
        raise UsageError("error.bad_option", option="--ehlo-name", reason=phrase("hardening.reason.ehlo_name", value=repr(value)))
    return name


def _refuse_overwrite(output: Path | None, inputs: list[tuple[str, Path | None]]) -> None:
    """-o naming a settings file would replace the user's settings with our report."""
    from smtpdoctor.errors import UsageError
    from smtpdoctor.report import phrase

    if output is None:
        return
    for option, path in inputs:
        if path is None:
            continue
        try:
            same = os.path.samefile(output, path) if output.exists() else output.resolve() == path.resolve()
        except OSError:
            same = False
        if same:
            raise UsageError("error.bad_option", option="--output",
                             reason=phrase("hardening.reason.same_file", file=str(output), other=option))


def _run_live(stream, lang, live: bool, run):
    """On a terminal, a spinner names each probe step as it finishes; `run(on_step)` does the work. The report is
    printed after, whole: the same blocks in the same order as in a pipe (Provider and Settings before Probe)."""
    if not live:
        return run(None)
    from smtpdoctor.render.console import spinner
    from smtpdoctor.render.i18n import tr

    return spinner(stream, tr("heading.checking", lang), run, lambda step: tr("step." + step.name.value, lang))


def _check_dns_options(nameservers: list[str] | None, timeout: float) -> None:
    import ipaddress

    from smtpdoctor.errors import UsageError
    from smtpdoctor.report import phrase

    if not 0 < timeout <= 60:
        raise UsageError("error.bad_option", option="--dns-timeout", reason=phrase("reason.dns_timeout"))
    for value in nameservers or ():
        from smtpdoctor.checks.dns import parse_nameserver

        try:
            host, port = parse_nameserver(value)
            ipaddress.ip_address(host)
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            raise UsageError("error.bad_option", option="--nameserver", reason=phrase("reason.nameserver", value=value)) from None


@app.command()
def batch(
    file: Annotated[Path, typer.Argument()],
    concurrency: Annotated[int, typer.Option()] = 32,
    per_host: Annotated[int, typer.Option("--per-host")] = 16,
    timeout: Annotated[float, typer.Option()] = 10.0,
    offline: Annotated[bool, typer.Option()] = False,
    no_dns: Annotated[bool, typer.Option("--no-dns")] = False,
    nameserver: NameserverOpt = None,
    dns_timeout: DnsTimeoutOpt = 5.0,
    ca_file: Annotated[Optional[Path], typer.Option("--ca-file")] = None,
    allow_plaintext_auth: Annotated[bool, typer.Option("--allow-plaintext-auth")] = False,
    strict: Annotated[bool, typer.Option()] = False,
    output: Annotated[Optional[Path], typer.Option("--output", "-o")] = None,
    output_format: Annotated[str, typer.Option("--format", "-f")] = "text",
    allow_env: Annotated[Optional[list[str]], typer.Option("--allow-env")] = None,
    lang: LangOpt = None,
    providers_file: ProvidersOpt = None,
) -> int:
    """Check many configurations concurrently: one JSON line each, then a summary (codes, providers)."""
    from smtpdoctor.app import CheckOptions
    from smtpdoctor.batch import run_batch
    from smtpdoctor.errors import NOT_A_FILE, UsageError
    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.render.json import batch_line, dumps_line
    from smtpdoctor.report import phrase

    chosen_lang = _lang(lang)
    fmt = _format(output_format, ("text", "json", "html"))
    if not 1 <= concurrency <= 1024:
        raise UsageError("error.bad_option", option="--concurrency", reason=phrase("reason.range_1024"))
    if not 1 <= per_host <= 1024:
        raise UsageError("error.bad_option", option="--per-host", reason=phrase("reason.range_1024"))
    if not 0 < timeout <= 600:
        raise UsageError("error.bad_option", option="--timeout", reason=phrase("reason.timeout"))
    _check_dns_options(nameserver, dns_timeout)
    if str(file) != "-" and not file.is_file():
        raise UsageError("error.log_unreadable", file=file, reason=NOT_A_FILE)
    providers = _providers(providers_file)
    catalog = load_catalog()
    opts = CheckOptions(offline=offline, timeout=timeout, check_dns=not no_dns, nameservers=tuple(nameserver or ()),
                        dns_timeout=dns_timeout, ca_file=ca_file, allow_plaintext_auth=allow_plaintext_auth)
    progress = None
    with _output(output) as out:
        def emit(result) -> None:
            text = dumps_line(batch_line(result, catalog, chosen_lang, strict)) + "\n"  # rendered before any write
            out.write(text)
            out.flush()

        if sys.stderr.isatty() and output is not None or (sys.stderr.isatty() and not sys.stdout.isatty()):
            from smtpdoctor.render.console import progress_bar

            progress, on_progress = progress_bar(sys.stderr, "smtpdoctor batch")
            progress.start()
        else:
            on_progress = None
        try:
            summary = run_batch(file, providers, catalog, opts, os.environ, emit, concurrency, per_host, strict,
                                stdin=sys.stdin.buffer if str(file) == "-" and hasattr(sys.stdin, "buffer") else None,
                                on_progress=on_progress, allow_env=frozenset(allow_env or ()))
        finally:
            if progress is not None:
                progress.stop()
        if isinstance(summary.write_error, OSError):
            raise summary.write_error  # --output FILE: _output words it (exit 2)
    if summary.write_error is not None:
        raise summary.write_error  # standard output: OutputError from smtpdoctor.streams (exit 2)
    if summary.broken_pipe:
        raise BrokenPipeError  # main() exits quietly with ExitCode.BROKEN_PIPE
    _render_batch_summary(summary, fmt, chosen_lang)
    if summary.interrupted:
        return ExitCode.INTERRUPTED
    if summary.total == 0:  # an empty file, or a CSV header alone: nothing was checked, so nothing passed
        from smtpdoctor.errors import InputError

        raise InputError("cli.batch.nothing", file="<stdin>" if str(file) == "-" else file)
    if summary.unreadable:
        return ExitCode.USAGE
    return ExitCode.PROBLEMS if summary.failed else ExitCode.OK


def _render_batch_summary(summary, fmt: str, lang) -> None:
    import json

    if fmt == "json":
        print(json.dumps({"schema": 1, "total": summary.total, "ok": summary.ok, "failed": summary.failed,
                          "unreadable": summary.unreadable, "interrupted": summary.interrupted,
                          "elapsed_s": round(summary.elapsed_s, 2), "codes": dict(summary.codes.most_common()),
                          "providers": dict(summary.providers.most_common())}, ensure_ascii=False), file=sys.stderr)
        return
    if fmt == "html":  # the summary as a file to attach (`2> summary.html`); the rows stay JSON lines
        from smtpdoctor.render.html import batch_html

        sys.stderr.write(batch_html(summary, lang))
        return
    from smtpdoctor.render.text import batch_summary_blocks, write

    write(batch_summary_blocks(summary, lang), sys.stderr)


@app.command()
def lint(
    files: Annotated[list[Path], typer.Argument()],
    source: Annotated[Optional[str], typer.Option("--source")] = None,
    strict: Annotated[bool, typer.Option()] = False,
    lang: LangOpt = None,
    providers_file: ProvidersOpt = None,
) -> int:
    """Offline check of settings files, one by one (for pre-commit hooks): only the file, not the environment.

    Silent on files that configure no SMTP; env(NAME) / ${NAME} references are set at deploy time."""
    from smtpdoctor.app import lint_file
    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.render.text import check_blocks, line, write

    chosen_lang = _lang(lang)
    providers = _providers(providers_file)
    catalog = load_catalog()
    worst = ExitCode.OK
    for path in files:
        result = lint_file(path, source, providers)
        if result is None or not result.findings:
            continue
        write([line(f"== {path}", "bold"), *check_blocks(result, catalog, chosen_lang, strict, providers=providers),
               line()], sys.stdout)
        worst = max(worst, result.exit_code(strict))
    return int(worst)


@app.command("dns")
def dns_cmd(
    target: Annotated[str, typer.Argument()],
    relay: Annotated[Optional[str], typer.Option("--relay")] = None,
    nameserver: NameserverOpt = None,
    dns_timeout: DnsTimeoutOpt = 5.0,
    max_time: Annotated[float, typer.Option("--max-time")] = 60.0,
    dkim_selector: SelectorOpt = None,
    strict: Annotated[bool, typer.Option()] = False,
    output_format: FormatOpt = "text",
    lang: LangOpt = None,
    providers_file: ProvidersOpt = None,
) -> int:
    """Check a sender domain alone: MX, SPF (with the 10-lookup limit), DKIM, DMARC, and the route via a relay."""
    from smtpdoctor.app import CheckOptions, run_dns_only
    from smtpdoctor.errors import UsageError
    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.report import phrase

    chosen_lang = _lang(lang)
    fmt = _format(output_format, ("text", "json", "html"))
    _check_dns_options(nameserver, dns_timeout)
    if not 1 <= max_time <= 3600:  # as check's: every lookup, SPF's nested ones too, ends within it
        raise UsageError("error.bad_option", option="--max-time", reason=phrase("hardening.reason.max_time"))
    providers = _providers(providers_file)
    preset = None
    if relay:
        preset = providers.get(relay)
        if preset is None:
            from smtpdoctor.app import unknown_provider

            raise unknown_provider(relay, providers, "--relay")
    from smtpdoctor.settings.model import ascii_domain

    # A byte that is no UTF-8 (argv carries it surrogate-escaped) or a name no IDNA encoding accepts is no domain.
    if (not target.strip() or any(ch in target for ch in "\r\n\0 /")
            or ascii_domain(target.strip().rpartition("@")[2]) is None):
        raise UsageError("error.bad_option", option="DOMAIN_OR_ADDRESS", reason=phrase("reason.not_domain", value=repr(target)))
    opts = CheckOptions(nameservers=tuple(nameserver or ()), dns_timeout=dns_timeout, dkim_selectors=tuple(dkim_selector or ()),
                        max_time=max_time)
    with _said_when_interrupted():
        result = run_dns_only(target.strip(), preset, providers, opts)
    catalog = load_catalog()
    if fmt == "json":
        from smtpdoctor.render.json import check_document, dumps

        print(dumps(check_document(result, catalog, chosen_lang, strict)))
    elif fmt == "html":
        from smtpdoctor.render.html import check_html

        sys.stdout.write(check_html(result, catalog, chosen_lang, strict, providers))
    else:
        from smtpdoctor.render.text import check_blocks, write

        write(check_blocks(result, catalog, chosen_lang, strict, providers=providers), sys.stdout)
    return int(result.exit_code(strict))


@app.command("platforms")
def platforms_cmd(
    output_format: FormatOpt = "text",
    lang: LangOpt = None,
) -> int:
    """List hosting platforms, the outbound SMTP ports each blocks, and how each is recognised."""
    from smtpdoctor.knowledge.platforms import load_platforms
    from smtpdoctor.render.platform_list import platforms_blocks
    from smtpdoctor.render.platforms import platforms_json

    chosen_lang = _lang(lang)
    fmt = _format(output_format)
    catalog = load_platforms()
    if fmt == "json":
        import json

        print(json.dumps(platforms_json(catalog, os.environ), ensure_ascii=False, indent=2))
    else:
        from smtpdoctor.render.text import write

        write(platforms_blocks(catalog, os.environ, chosen_lang), sys.stdout)
    return ExitCode.OK


@app.command("providers")
def providers_cmd(
    name: Annotated[Optional[str], typer.Argument()] = None,
    output_format: FormatOpt = "text",
    lang: LangOpt = None,
    providers_file: ProvidersOpt = None,
) -> int:
    """List the known providers, or show one with ready-to-paste env lines."""
    from smtpdoctor.render.providers import provider_detail_json, render_provider, render_provider_table

    chosen_lang = _lang(lang)
    fmt = _format(output_format)
    catalog = _providers(providers_file)
    if name is not None:
        preset = catalog.get(name)
        if preset is None:
            from smtpdoctor.app import unknown_provider

            raise unknown_provider(name, catalog, "PROVIDER", "providers.unknown")
        if fmt == "json":
            import json

            print(json.dumps(provider_detail_json(preset), ensure_ascii=False, indent=2))
        else:
            render_provider(sys.stdout, preset, chosen_lang)
        return ExitCode.OK
    if fmt == "json":
        import json

        print(json.dumps({"schema": 1, "providers": [provider_detail_json(p) for p in catalog.presets.values()]},
                         ensure_ascii=False, indent=2))
    else:
        render_provider_table(sys.stdout, catalog, chosen_lang)
    return ExitCode.OK


@app.command()
def explain(
    files: Annotated[Optional[list[str]], typer.Argument()] = None,
    max_matches: Annotated[int, typer.Option("--max-matches")] = 1000,
    output_format: FormatOpt = "text",
    lang: LangOpt = None,
    providers_file: ProvidersOpt = None,
) -> int:
    """Explain SMTP failures in application logs (nodemailer, smtplib, PHPMailer, Laravel, Supabase, JavaMail...)."""
    from smtpdoctor.errors import UsageError
    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.logs.explain import run_explain
    from smtpdoctor.report import phrase

    chosen_lang = _lang(lang)
    fmt = _format(output_format, ("text", "json", "html", "csv"))  # csv: the permanently failed addresses of bounces
    if max_matches < 0:
        raise UsageError("error.bad_option", option="--max-matches", reason=phrase("reason.not_negative"))
    catalog = load_catalog()
    paths = files or ["-"]
    if not files and sys.stdin.isatty():  # nothing piped in: say what we wait for instead of waiting silently
        from smtpdoctor.render.i18n import tr

        print(tr("newuser.explain.waiting", chosen_lang), file=sys.stderr)
    stdin = None
    if "-" in paths and sys.stdin.isatty() and hasattr(sys.stdin, "buffer"):
        import io

        # Typed or pasted text is small: read it up to the first Ctrl-D. A terminal reports end of input once,
        # so a reader that peeks first and reads again would wait for a second Ctrl-D.
        stdin = io.BytesIO(sys.stdin.buffer.read())
    if "-" in paths and stdin is None:
        import io

        stdin = getattr(sys.stdin, "buffer", None) or io.BytesIO(sys.stdin.read().encode("utf-8", "surrogateescape"))
    with _said_when_interrupted():
        result = run_explain(paths, catalog, stdin=stdin, max_matches=max_matches, providers=_providers(providers_file))
    if fmt == "json":
        from smtpdoctor.render.json import dumps, explain_document

        print(dumps(explain_document(result, catalog, chosen_lang)))
    elif fmt == "html":
        from smtpdoctor.render.html import explain_html

        sys.stdout.write(explain_html(result, catalog, chosen_lang))
    elif fmt == "csv":
        from smtpdoctor.render.bounces import hard_csv

        sys.stdout.write(hard_csv(result.bounces))
    else:
        from smtpdoctor.render.explain import explain_blocks
        from smtpdoctor.render.text import write

        write(explain_blocks(result, catalog, chosen_lang), sys.stdout)
    return int(result.exit_code())


@app.command()
def demo(
    scenario: Annotated[str, typer.Option("--scenario", "-s")] = "healthy",
    list_scenarios: Annotated[bool, typer.Option("--list")] = False,
    all_scenarios: Annotated[bool, typer.Option("--all")] = False,
    transcript: Annotated[bool, typer.Option()] = False,
    output_format: FormatOpt = "text",
    lang: LangOpt = None,
) -> int:
    """Run the full check against an embedded SMTP server (no account needed), healthy or faulty."""
    from smtpdoctor.demo import SCENARIOS, run_scenario
    from smtpdoctor.errors import UsageError
    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.render.i18n import tr
    from smtpdoctor.render.text import Block, check_blocks, color_wanted, line, write

    chosen_lang = _lang(lang)
    fmt = _format(output_format)
    if list_scenarios:
        write([line(tr("demo.list", chosen_lang)),
               *(line(f"{name:<22} {tr('demo.scenario.' + name, chosen_lang)}", indent=2, hang=23) for name in SCENARIOS)],
              sys.stdout)
        return ExitCode.OK
    catalog = load_catalog()
    if all_scenarios:  # a tour of the diagnoses: the faults are the point, a wrong diagnosis is the failure
        return _demo_tour(fmt, chosen_lang, catalog)
    if scenario not in SCENARIOS:
        raise UsageError("demo.unknown", name=scenario, known=", ".join(SCENARIOS))
    if fmt == "json":
        from smtpdoctor.render.json import check_document, dumps

        result = run_scenario(scenario)
        print(dumps(check_document(result, catalog, chosen_lang, with_transcript=transcript)))
    else:
        write([Block().add("smtpdoctor demo", "bold").add(f" — {scenario}: {tr('demo.scenario.' + scenario, chosen_lang)}"),
               line()], sys.stdout)
        live = color_wanted(sys.stdout)
        result = _run_live(sys.stdout, chosen_lang, live, lambda on_step: run_scenario(scenario, on_step=on_step))
        write(check_blocks(result, catalog, chosen_lang, show_transcript=transcript), sys.stdout)
    return int(result.exit_code())


def _demo_tour(fmt: str, lang, catalog) -> int:
    import time

    from smtpdoctor.demo import run_all

    started = time.perf_counter()
    if fmt == "json":
        stops = run_all()
        from smtpdoctor.render.json import dumps
        from smtpdoctor.render.tour import tour_document

        print(dumps(tour_document(stops, catalog, lang, time.perf_counter() - started)))
    else:
        from smtpdoctor.render.text import color_wanted, write
        from smtpdoctor.render.tour import tour_blocks

        stops = _run_live(sys.stdout, lang, color_wanted(sys.stdout), lambda on_step: run_all())
        write(tour_blocks(stops, lang, time.perf_counter() - started), sys.stdout)
    return ExitCode.OK if all(stop.as_expected for stop in stops) else ExitCode.PROBLEMS


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8587,
    allow_check: Annotated[bool, typer.Option("--allow-check")] = False,
    allow_private: Annotated[bool, typer.Option("--allow-private")] = False,
    ca_file: Annotated[Optional[Path], typer.Option("--ca-file")] = None,
    lang: LangOpt = None,
) -> int:
    """A page for a support desk: explain logs and bounces, check a server (--allow-check), in a browser."""
    from smtpdoctor.errors import UsageError
    from smtpdoctor.report import phrase

    chosen_lang = _lang(lang)
    if not 0 <= port <= 65535:
        raise UsageError("error.bad_option", option="--port", reason=phrase("web.serve.port_range"))
    if ca_file is not None and not ca_file.is_file():
        from smtpdoctor.errors import NOT_A_FILE

        raise UsageError("error.ca_file", file=ca_file, reason=NOT_A_FILE)
    # Starlette, Uvicorn and Jinja2 are imported here only: no other command pays for them.
    from smtpdoctor.web.app import ServeConfig
    from smtpdoctor.web.serve import serve as run_server

    run_server(ServeConfig(host=host.strip(), port=port, allow_check=allow_check, allow_private=allow_private,
                           ca_file=ca_file), chosen_lang)
    return ExitCode.OK


# Placeholders by option type: what to type, not a Python type (<str>, <list[Path]>).
_METAVARS = {"host": "HOST", "port": "PORT", "user": "LOGIN", "sender": "ADDRESS", "provider": "NAME", "env_file": "FILE",
             "password": "PASSWORD", "send_to": "ADDRESS", "ca_file": "FILE", "ehlo_name": "NAME", "source": "FORMAT",
             "config": "FILE", "output": "FILE", "nameserver": "IP[:PORT]", "dkim_selector": "SELECTOR",
             "output_format": "FORMAT", "lang": "en|ru", "providers_file": "FILE", "relay": "PROVIDER",
             "scenario": "NAME", "file": "FILE", "files": "FILE", "target": "DOMAIN_OR_ADDRESS", "name": "PROVIDER",
             "concurrency": "N", "per_host": "N", "max_matches": "N", "timeout": "SECONDS", "dns_timeout": "SECONDS", "max_time": "SECONDS",
             "platform": "NAME", "allow_env": "NAME"}


def _command(args: list[str]):
    """The Click command behind the Typer app, polished only when help is shown (so --version stays fast):
    placeholders, exit codes, and every description and option text in the reader's language."""
    if not _help_wanted(args):
        return typer.main.get_command(_only_the_command_named(args))
    from smtpdoctor.render.i18n import detect_lang

    peek = _peek_lang(args)
    root = typer.main.get_command(_only_the_command_named(args) if _one_commands_help(args) else _evaluated(app))
    _polish_help(root, detect_lang(peek if peek in ("en", "ru") else None, os.environ))
    return root


def _one_commands_help(args: list[str]) -> bool:
    """`smtpdoctor check --help`: the help of one command, which no other command's definition changes. Not
    `smtpdoctor --help check` (the root's help, listing every command), nor shell completion (any name)."""
    if "_SMTPDOCTOR_COMPLETE" in os.environ:
        return False
    named = next((i for i, arg in enumerate(args) if not arg.startswith("-")), None)
    asked = next((i for i, arg in enumerate(args) if arg in ("-h", "--help")), None)
    return named is not None and asked is not None and named < asked


def _only_the_command_named(args: list[str]) -> typer.Typer:
    """The app with just the command being run: Typer builds every command's parameters when it makes the
    Click group (~20 ms for all eight), though one runs — or none, for `--version`. An unknown name keeps
    them all, so Click can say "No such command" and suggest the near one."""
    import copy

    name = next((arg for arg in args if not arg.startswith("-")), None)  # as entry.py reads it (no import: a cycle)
    chosen = [info for info in app.registered_commands if (info.name or info.callback.__name__) == name]
    if name is not None and not chosen:
        return _evaluated(app)
    narrowed = copy.copy(app)
    narrowed.registered_commands = chosen
    return _evaluated(narrowed)


def _evaluated(typer_app: typer.Typer) -> typer.Typer:
    """The app, its callback's and commands' annotations evaluated (each function's in one `eval`: one compile),
    so that Typer, which reads the option definitions off them, finds them evaluated; done once per function."""
    for info in [*typer_app.registered_commands, *filter(None, [typer_app.registered_callback])]:
        _evaluate_annotations(info.callback)
    return typer_app


def _evaluate_annotations(function) -> None:
    annotations = function.__annotations__
    if any(type(text) is str for text in annotations.values()):
        values = eval(f"({', '.join(annotations.values())},)", globals())  # noqa: S307 - this module's own text
        function.__annotations__ = dict(zip(annotations, values))


def _help_wanted(args: list[str]) -> bool:
    # Shell completion counts too: zsh and fish show each option's help next to its name.
    return not args or bool({"-h", "--help"} & set(args)) or "_SMTPDOCTOR_COMPLETE" in os.environ


def _polish_help(root, lang) -> None:
    """Texts from `newuser.help.*` (phrases/newuser.toml), each command's own exit codes, Click's own words too
    in a language other than English."""
    from smtpdoctor.render.i18n import has_message, tr

    # `smtpdoctor --lang ru -h`: the root takes --lang for its help only (hidden; each command has its own).
    root.params.append(typer.core.TyperOption(param_decls=["--lang"], hidden=True, expose_value=False))
    contexts: dict[type, type] = {}
    for name, command in [("root", root), *getattr(root, "commands", {}).items()]:
        command.help = tr(f"newuser.help.{name}", lang)
        # The line in the root's list of commands: a short text of its own, never a description cut with "..."
        command.short_help = tr(f"firsthour.help.short.{name}", lang) if has_message(f"firsthour.help.short.{name}") \
            else None
        command.epilog = exit_codes_epilog(name, command, lang)
        _help_option_text(command, tr("newuser.help.option.help", lang))
        base = command.context_class
        if base not in contexts:  # one translated context class for all the commands that share a base
            contexts[base] = _translated_context(base, lang)
        command.context_class = contexts[base]
        _polish_params(name, command, lang)


def _polish_params(name: str, command, lang) -> None:
    """Placeholders (HOST, FILE) instead of Python types, an optional argument shown optional, texts from the
    phrases. Also done before a usage error is shown: its message names the argument as the help does."""
    from smtpdoctor.render.i18n import tr

    for param in command.params:
        if getattr(param, "is_flag", False) or param.name is None:
            pass
        elif param.name not in _METAVARS and param.metavar is None:
            param.metavar = param.name.upper()  # an option added later still shows what to type, not <str>
        elif param.name in _METAVARS:
            param.metavar = _METAVARS[param.name]
            if getattr(param, "param_type_name", "") == "argument":
                param.make_metavar = _argument_metavar(param, _METAVARS[param.name])
        message_id = help_message_id(name, param.name)
        if message_id is not None:
            param.help = tr(message_id, lang)


def _argument_metavar(param, placeholder: str):
    """An argument in the usage line as POSIX writes it: `PROVIDER` required, `[PROVIDER]` optional, `FILE...`
    one or more, `[FILE]...` any number (Typer would print `{FILE}` and mark every argument required)."""
    many = "..." if param.nargs != 1 else ""

    def make_metavar(ctx=None, usage=False) -> str:
        if not usage:
            return placeholder + many
        return (placeholder if param.required else f"[{placeholder}]") + many

    return make_metavar


# The exit codes each command can end with (exitcodes.py), by the phrase that says what each means for it.
_EXITS = {
    "root": ("ok", "problems", "usage", "interrupted", "broken_pipe"),
    "check": ("ok", "problems", "usage", "interrupted", "broken_pipe"),
    "fix": ("ok", "problems", "usage", "interrupted", "broken_pipe"),
    "lint": ("ok", "problems", "usage", "interrupted", "broken_pipe"),
    "dns": ("ok", "problems", "usage", "interrupted", "broken_pipe"),
    "batch": ("batch_ok", "batch_problems", "batch_usage", "batch_interrupted", "broken_pipe"),
    "explain": ("explain_ok", "explain_problems", "usage", "interrupted", "broken_pipe"),
    "demo": ("demo_ok", "demo_problems", "usage", "interrupted", "broken_pipe"),
    "providers": ("listed", "usage", "broken_pipe"),
    "platforms": ("listed", "usage", "broken_pipe"),
    "serve": ("served", "serve_usage"),
}


def exit_codes_epilog(name: str, command, lang) -> str:
    """"Exit codes: 0 ...; 1 ...": the codes this command ends with; "with --strict" only where it takes --strict."""
    from smtpdoctor.render.i18n import tr

    strict = any(param.name == "strict" for param in getattr(command, "params", ()))
    said = []
    for meaning in _EXITS.get(name, _EXITS["root"]):
        text = tr(f"firsthour.help.exit.{meaning}", lang)
        if strict and meaning in ("problems", "batch_problems"):
            text += tr("firsthour.help.exit.strict", lang)
        said.append(text)
    epilog = tr("firsthour.help.exit.heading", lang, codes="; ".join(said))
    return epilog + (" " + tr("firsthour.help.completion", lang) if name == "root" else "")


def help_message_id(command: str, param: str | None) -> str | None:
    """The text of a command's option or argument: its own (`newuser.help.option_check.timeout`), else the shared one."""
    from smtpdoctor.render.i18n import has_message

    same = "check" if command == "fix" else command  # `fix` takes check's options, worded the same
    for message_id in (f"fix.help.option_{command}.{param}", f"newuser.help.option_{same}.{param}",
                       f"newuser.help.option.{param}", f"cli.help.option_{command}.{param}",
                       f"prescribe.help.option_{same}.{param}"):
        if has_message(message_id):
            return message_id
    return None


def _help_option_text(command, text: str) -> None:
    """-h/--help is made by Click on first use, after our loop: give it its text then."""
    make = command.get_help_option

    def get_help_option(ctx):
        option = make(ctx)
        if option is not None:
            option.help = text
        return option

    command.get_help_option = get_help_option


def _translated_context(base, lang):
    """A Click context whose help formatter says `Usage:`, the headings and `[default: x; required]` in `lang`,
    and never breaks a line inside a word at its hyphen (`--install-` / `completion`)."""
    import re

    from smtpdoctor.render.i18n import Lang, tr

    headings = {word: tr(f"newuser.help.heading.{word.lower()}", lang) for word in ("Options", "Arguments", "Commands")}
    # No-break spaces keep a note in one piece when Click wraps the text ("[по" at a line end reads badly).
    notes = {"default:": tr("newuser.help.heading.default", lang).replace(" ", "\u00a0"),
             "required": tr("newuser.help.heading.required", lang).replace(" ", "\u00a0")}
    note = re.compile(r"\[((?:default: [^\[\]]*|required)(?:; (?:default: [^\[\]]*|required))*)\]\Z")

    def translated_notes(text: str) -> str:
        found = note.search(text or "")
        if not found:
            return text
        parts = [notes["required"] if part == "required" else f"{notes['default:']}\u00a0{part[len('default: '):]}"
                 for part in found.group(1).split("; ")]
        return f"{text[:found.start()]}[{'; '.join(parts)}]"

    def unbreakable(text: str) -> str:
        # Click's wrapper breaks after a hyphen and at spaces; not at a non-breaking hyphen (U+2011) nor at a
        # no-break space (U+00A0), which keep an option and a `command to type` whole. getvalue() turns them
        # back into the characters the user types.
        if not text:
            return text
        text = re.sub(r"`[^`\n]*`", lambda m: m.group().replace(" ", "\u00a0"), text)
        return text.replace("-", "\u2011")

    class HelpFormatter(base.formatter_class):
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, args, f"{tr('newuser.help.heading.usage', lang)} " if prefix is None else prefix)

        def write_heading(self, heading: str) -> None:
            super().write_heading(headings.get(heading, heading))

        def write_text(self, text: str) -> None:
            super().write_text(unbreakable(text))

        def write_dl(self, rows, *args, **kwargs) -> None:
            rows = [(term, translated_notes(text) if lang is not Lang.EN else text) for term, text in rows]
            super().write_dl([(term, unbreakable(text)) for term, text in rows], *args, **kwargs)

        def getvalue(self) -> str:
            return super().getvalue().replace("\u2011", "-").replace("\u00a0", " ")

    return type(f"{lang.value.title()}HelpContext", (base,), {"formatter_class": HelpFormatter})


def _peek_lang(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point: the one place that turns exceptions into exit codes."""
    from smtpdoctor import streams

    args = sys.argv[1:] if argv is None else argv
    saved = streams.guard()  # a stream that cannot be written ends the run with a message, never a traceback
    try:
        return int(_run(args))
    finally:
        streams.restore(saved)


def _run(args: list[str]) -> int:
    # --debug is taken anywhere on the line: the internal-error message says "rerun with --debug", and
    # `smtpdoctor check ... --debug` must then not fail with "No such option" (_handle reads it from `args`).
    parsed = [arg for arg in args if arg != "--debug"]
    try:
        result = _command(parsed)(args=parsed, prog_name="smtpdoctor", standalone_mode=False)
        code = int(result) if isinstance(result, int) else 0
    except KeyboardInterrupt:
        _fatal("error.interrupted", args)
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:  # `smtpdoctor ... | head -1`: the reader left; stop quietly, as `cat` does
        _silence_stdout()
        code = ExitCode.BROKEN_PIPE
    except SystemExit:
        # Click turns EPIPE into sys.exit(1) (the "problems" code) after wrapping stdout: say 141 instead.
        if type(sys.stdout).__name__ != "PacifyFlushWrapper":
            raise
        _silence_stdout()
        code = ExitCode.BROKEN_PIPE
    except Exception as exc:  # noqa: BLE001 - last line of defence: never a traceback
        code = _handle(exc, args)
    return _flushed(code, args)


def _handle(exc: Exception, args: list[str]) -> int:
    from smtpdoctor.errors import SmtpdoctorError

    if isinstance(exc, SmtpdoctorError):
        _fatal_text(exc, args)
        return int(exc.exit_code)
    if isinstance(exc, typer._click.exceptions.UsageError) and type(exc).__name__ != "NoArgsIsHelpError":
        return _usage_error(exc, args)
    if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # click/typer usage errors
        exc.show()
        return int(exc.exit_code) or ExitCode.USAGE
    if exc.__class__.__name__ == "Abort":
        _fatal("error.interrupted", args)
        return ExitCode.INTERRUPTED
    if os.environ.get("SMTPDOCTOR_DEBUG") or "--debug" in args:
        raise exc
    _fatal("error.internal", args, kind=exc.__class__.__name__)
    return ExitCode.USAGE


def _usage_error(exc, args: list[str]) -> int:
    """Click's usage error in the reader's language, as the help names things: the usage line, where to find
    help, then what is wrong, with the option or command probably meant."""
    from smtpdoctor.render.i18n import tr

    lang = _args_lang(args)
    ctx = getattr(exc, "ctx", None) or _context_named(args)
    usage = hint = ""
    if ctx is not None:
        name = ctx.info_name if ctx.parent is not None else "root"
        _polish_params(name, ctx.command, lang)
        pieces = " ".join(ctx.command.collect_usage_pieces(ctx))
        usage = f"{tr('newuser.help.heading.usage', lang)} {ctx.command_path} {pieces}".rstrip() + "\n"
        hint = tr("firsthour.usage.help", lang, command=f"{ctx.command_path} -h") + "\n\n"
    message_id, params = _usage_problem(exc, ctx)
    text = tr(message_id, lang, **params)
    try:
        print(f"{usage}{hint}{tr('error.prefix', lang)}: {text}", file=sys.stderr)
    except (OSError, ValueError):
        pass
    return ExitCode.USAGE


def _context_named(args: list[str]):
    """The context of the command the line names, for an error Click's parser raises before it made one
    (`--port` with no value): its usage line is still shown. None when the line names no known command."""
    name = next((arg for arg in args if not arg.startswith("-")), None)
    root = typer.main.get_command(_only_the_command_named(args))
    command = getattr(root, "commands", {}).get(name) if name else None
    parent = typer._click.Context(root, info_name="smtpdoctor")
    return typer._click.Context(command, info_name=name, parent=parent) if command is not None else parent


def _usage_problem(exc, ctx) -> tuple[str, dict]:
    """What Click found wrong, as one of our messages and its parameters (Typer's Click speaks English only)."""
    import re
    from difflib import get_close_matches

    from smtpdoctor.render.escape import visible
    from smtpdoctor.report import phrase

    errors = typer._click.exceptions
    command = ctx.command if ctx is not None else None
    message = str(getattr(exc, "message", "") or exc)
    if isinstance(exc, errors.NoSuchOption):
        known = [opt for param in getattr(command, "params", ()) if not getattr(param, "hidden", False)
                 for opt in (*param.opts, *param.secondary_opts) if opt.startswith("--")]
        meant = get_close_matches(exc.option_name, known, n=1, cutoff=0.6)
        hint = phrase("firsthour.usage.did_you_mean", name=meant[0]) if meant else ""
        return "firsthour.usage.no_such_option", {"option": visible(exc.option_name), "hint": hint}
    if isinstance(exc, errors.MissingParameter):
        param = exc.param
        if param is not None and param.param_type_name == "argument":
            return "firsthour.usage.missing_argument", {"name": param.make_metavar(ctx)}
        return "firsthour.usage.missing_option", {"name": " / ".join(param.opts) if param is not None else "?"}
    if isinstance(exc, errors.BadOptionUsage):
        takes_none = "does not take a value" in message
        return f"firsthour.usage.{'takes_no_value' if takes_none else 'needs_value'}", {"option": exc.option_name}
    if isinstance(exc, errors.BadParameter) and exc.param is not None:
        name = " / ".join(exc.param.opts) or exc.param.make_metavar(ctx)
        found = re.match(r"(?s)(.*) is not a valid (float|integer|int|boolean)\b", exc.message)
        if found:
            kind = {"int": "integer"}.get(found.group(2), found.group(2))
            return f"firsthour.usage.not_{kind}", {"option": name, "value": visible(found.group(1))}
        return "firsthour.usage.bad_value", {"option": name, "reason": visible(exc.message)}
    found = re.match(r"(?s)No such command '(.*?)'\.(?: |\Z)", message)
    if found:
        known = list(getattr(command, "commands", {}))
        meant = get_close_matches(found.group(1), known, n=1, cutoff=0.6)
        hint = phrase("firsthour.usage.did_you_mean", name=meant[0]) if meant else ""
        return "firsthour.usage.no_such_command", {"name": visible(found.group(1)), "hint": hint}
    found = re.match(r"(?s)Got unexpected extra arguments? ?(?:\(s\))? \((.*)\)\Z", message)
    if found:
        return "firsthour.usage.extra_argument", {"args": visible(found.group(1))}
    if message.startswith("Missing command"):
        return "firsthour.usage.missing_command", {}
    return "firsthour.usage.other", {"reason": visible(message)}


def _args_lang(args: list[str]):
    from smtpdoctor.render.i18n import detect_lang

    peek = _peek_lang(args)
    return detect_lang(peek if peek in ("en", "ru") else None, os.environ)


def _fatal(message_id: str, args: list[str], **params) -> None:
    from smtpdoctor.errors import SmtpdoctorError

    _fatal_text(SmtpdoctorError(message_id, **params), args)


def _fatal_text(exc, args: list[str]) -> None:
    from smtpdoctor.render.i18n import detect_lang, tr
    from smtpdoctor.render.escape import visible

    peek = _peek_lang(args)
    lang = detect_lang(peek if peek in ("en", "ru") else None, os.environ)
    exc.said = True
    try:
        print(f"{tr('error.prefix', lang)}: {visible(tr(exc.message_id, lang, **exc.params))}", file=sys.stderr)
    except (OSError, ValueError):  # stderr itself cannot be written: the exit code is all that is left
        pass


def _flushed(code: int, args: list[str]) -> int:
    """Flush stdout: what is still buffered (all of a short report) may fail only now."""
    from smtpdoctor.errors import OutputError

    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return ExitCode.BROKEN_PIPE
    except OutputError as exc:  # the same error again when a write failed before: said once
        if not getattr(exc, "said", False):
            _fatal_text(exc, args)
        return exc.exit_code
    except ValueError:
        pass
    return code


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush cannot complain on stderr."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass
