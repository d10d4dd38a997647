"""Mail messages as `explain` input: bounces (RFC 3464 delivery-status notifications and the non-standard formats
MTAs and mailbox providers send), RFC 5965 complaint reports, RFC 3834 auto-replies, and the delivery events
email service providers post to webhooks.

  detect    what an input is (one message, an mbox, a maildir, provider events, or a log), from its first bytes
  split     messages one by one from a stream, in bounded memory (an mbox is never read whole)
  prune     what of a message is kept: attachments' and the returned original's bodies are skipped
  parse     one message through the stdlib `email` package into the parts a reader needs
  dsn       the RFC 3464 / RFC 6533 fields, per recipient
  formats   the non-standard formats, from knowledge/bounce_formats.toml
  reasons   the reason (Sisimai's vocabulary) and the catalog code, from knowledge/bounce_reasons.toml
  events    provider delivery events (JSON), from knowledge/bounce_events.toml
  read      one input to per-recipient records; records to the Report's findings and summary

Nothing here is imported unless a message was detected: `email` costs a log-only run nothing.
"""
