"""The user's settings as they are written where they live: each key of the format with its raw value and place.

A finding knows the effective setting (SMTP_PORT, the TLS mode); an edit must name the key the file holds
(EMAIL_USE_SSL, spring.mail.properties.mail.smtp.ssl.enable, "[auth.email.smtp] port", the MAILER_DSN as a
whole). Read again here, only when a finding is to be cured: the same parsers the settings readers use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from smtpdoctor.report import ValueSource

SUPABASE_TABLE = "[auth.email.smtp]"


@dataclass
class Written:
    format: str  # nodemailer | django | laravel | symfony | supabase | spring
    framework: str | None = None  # the frameworks.toml id whose rules decide the TLS mode
    version: str | None = None  # the framework version those rules are read for (assumed or from a lock file)
    keys: dict[str, tuple[str, ValueSource]] = field(default_factory=dict)
    home: str | None = None  # the file a key that is not there yet goes to (None: the environment)
    env_file: str | None = None
    toml: bool = False  # supabase/config.toml (`[auth.email.smtp] port = 465`), else GOTRUE_SMTP_* variables

    def value(self, key: str) -> str | None:
        found = self.keys.get(key)
        return found[0] if found is not None else None

    def source(self, key: str) -> ValueSource | None:
        found = self.keys.get(key)
        return found[1] if found is not None else None


def _files(inp, extra: tuple[ValueSource | None, ...]) -> tuple[str | None, list[str]]:
    """The .env file and the config files the settings came from."""
    sources = [getattr(inp, name).source for name in ("host", "port", "secure", "user", "password", "sender", "sender_name")
               if getattr(inp, name, None) is not None]
    sources += [s for s in (getattr(inp, "url_source", None), *extra) if s is not None]
    env_file = next((s.file for s in sources if s.kind == "dotenv" and s.file), None)
    configs = list(dict.fromkeys(s.file for s in sources if s.kind == "config" and s.file))
    return env_file, configs


def _env_keys(env: Mapping[str, str], env_file: str | None) -> dict[str, tuple[str, ValueSource]]:
    keys: dict[str, tuple[str, ValueSource]] = {}
    if env_file is not None:
        from smtpdoctor.errors import SmtpdoctorError
        from smtpdoctor.settings.model import read_env_file

        try:
            parsed = read_env_file(Path(env_file))
        except (SmtpdoctorError, OSError):
            parsed = {}
        for key, (value, line) in parsed.items():
            keys[key] = (value, ValueSource(kind="dotenv", name=key, file=env_file, line=line))
    for key, value in env.items():
        keys[key] = (value, ValueSource(kind="env", name=key))
    return keys


def _spring_keys(configs: list[str]) -> dict[str, tuple[str, ValueSource]]:
    from smtpdoctor.errors import SmtpdoctorError
    from smtpdoctor.settings import frameworks

    keys: dict[str, tuple[str, ValueSource]] = {}
    for file in configs:
        path = Path(file)
        try:
            parsed = (frameworks._spring_yaml(path) if path.name.lower().endswith((".yml", ".yaml"))
                      else frameworks._spring_properties(path))
        except (SmtpdoctorError, OSError):
            continue
        keys.update({k: (v, ValueSource(kind="config", name=k, file=file, line=line)) for k, (v, line) in parsed.items()})
    return keys


def _supabase_keys(file: str) -> dict[str, tuple[str, ValueSource]]:
    import tomllib

    from smtpdoctor.settings.model import read_settings_bytes

    try:
        text = read_settings_bytes(Path(file), "error.log_unreadable").decode("utf-8")
        smtp = tomllib.loads(text).get("auth", {}).get("email", {}).get("smtp", {})
    except Exception:  # noqa: BLE001 - read already once by the settings reader; here only a best effort
        return {}
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == SUPABASE_TABLE), 0)

    def line_of(key: str) -> int | None:
        for i in range(start + 1, len(lines)):
            if lines[i].strip().startswith("["):
                return None
            if re.match(rf"\s*{re.escape(key)}\s*=", lines[i]):
                return i + 1
        return None

    out = {}
    for key, value in smtp.items() if isinstance(smtp, dict) else ():
        name = f"{SUPABASE_TABLE} {key}"
        shown = ("true" if value else "false") if isinstance(value, bool) else str(value)
        out[name] = (shown, ValueSource(kind="config", name=name, file=file, line=line_of(key)))
    return out


def read_written(inp, source, env: Mapping[str, str], extra: tuple[ValueSource | None, ...] = ()) -> Written:
    """Where the settings of this run are written. `source` is the settings.frameworks.SourceRead (None:
    nodemailer-style SMTP_* from the environment and a .env file)."""
    env_file, configs = _files(inp, extra)
    fmt = source.format.value if source is not None else "nodemailer"
    version = source.version.text if source is not None and source.version is not None else None
    framework = getattr(source, "framework", None) or ("nodemailer" if fmt == "nodemailer" else None)
    if fmt == "spring":
        return Written(fmt, framework, version, _spring_keys(configs), configs[0] if configs else None)
    toml = next((f for f in configs if f.lower().endswith(".toml")), None)
    if fmt == "supabase" and toml is not None:
        return Written(fmt, framework, version, _supabase_keys(toml), toml, toml=True)
    return Written(fmt, framework, version, _env_keys(env, env_file), env_file, env_file)
