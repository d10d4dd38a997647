"""Knowledge as data: the TOML files (diagnoses, messages, providers, status codes) and their loaders."""
