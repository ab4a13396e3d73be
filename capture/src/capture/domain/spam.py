"""Is a submission spam? Pure. Spam is recorded for audit and answered like a success."""

from __future__ import annotations

from capture.domain.normalize import is_disposable

HONEYPOT_FIELD = "leadloop_hp"  # hidden in the form; people leave it empty, bots fill it


def spam_reason(*, email: str | None, honeypot: str | None = None) -> str | None:
    if honeypot:
        return "honeypot"
    if email and is_disposable(email):
        return "disposable_email"
    return None
