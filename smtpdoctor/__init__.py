"""smtpdoctor: diagnose SMTP sending configuration, in English and Russian."""

__version__ = "0.1.0"
