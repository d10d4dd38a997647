"""Replies for the customer (customer_replies.toml): one plain-words text per diagnosis code, en and ru."""

from __future__ import annotations

from functools import cache

from smtpdoctor.knowledge.providers import Bilingual


@cache
def customer_replies() -> dict[str, Bilingual]:
    from smtpdoctor.knowledge.tomlcache import load_shipped

    raw = load_shipped("customer_replies.toml")
    return {code: Bilingual(entry["en"], entry["ru"]) for code, entry in raw.get("reply", {}).items()}


def customer_reply(code: str) -> Bilingual | None:
    return customer_replies().get(code)
