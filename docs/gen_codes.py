"""Regenerate docs/codes.md from the catalog: `python docs/gen_codes.py > docs/codes.md`."""

from smtpdoctor.knowledge.catalog import load_catalog

CONTRACT_EXTRAS = {"config.port_unsupported", "config.tls_verification_disabled", "net.protocol_error", "smtp.connection_failed", "smtp.reply_error"}

catalog = load_catalog()
print("# Finding codes\n")
print("Generated from `smtpdoctor/knowledge/diagnoses.toml` by `docs/gen_codes.py`. Codes are stable: never renamed or removed.")
print("Codes marked * are smtpdoctor's additions to the shared contract.\n")
print("| code | severity | English | Русский |")
print("|---|---|---|---|")
for code in catalog.codes():
    e = catalog.entry(code)
    mark = " *" if code in CONTRACT_EXTRAS else ""
    # A variant may have its own severity (config.password_format app_password is an error): list it, so the
    # table says what the output can show.
    other = sorted({f"{v.severity.value}: {name}" for name, v in e.variants.items()
                    if getattr(v, "severity", None) is not None and v.severity != e.severity})
    severity = e.severity.value + (f" ({'; '.join(other)})" if other else "")
    print(f"| `{code}`{mark} | {severity} | {e.title.en} | {e.title.ru} |")
