"""Webhook signatures: HMAC-SHA256, compared in constant time. Pure."""

from __future__ import annotations

import hashlib
import hmac


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_matches(*, secret: str, body: bytes, header: str | None, prefix: str = "") -> bool:
    """`header` is the hex digest, optionally behind `prefix` (Meta: 'sha256=')."""
    if not secret or not header:
        return False
    presented = header.strip()
    if prefix and presented.lower().startswith(prefix):
        presented = presented[len(prefix) :]
    return hmac.compare_digest(presented.lower().encode(), hmac_sha256_hex(secret, body).encode())
