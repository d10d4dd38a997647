"""Checks that need no SMTP session: the settings themselves and the sender domain in DNS."""
