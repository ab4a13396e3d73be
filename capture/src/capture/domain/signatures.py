"""Ad platforms' webhook signatures, each exactly as its platform documents it. Pure.

- Meta: `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw body keyed with the app
  secret.
- LinkedIn: `X-LI-Signature: <hex>`, the HMAC-SHA256 of the string `hmacsha256=` followed by the
  raw body, keyed with the app's client secret. Its endpoint validation answers a challenge code
  (a type-4 UUID) with the HMAC-SHA256 of the code, keyed with the same secret.

Every comparison runs in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re

LINKEDIN_SIGNED_PREFIX = b"hmacsha256="
# The canonical 8-4-4-4-12 form only: a code of any other shape is refused, and since no UUID
# starts with `hmacsha256=`, no challenge answer can ever be a notification signature.
LINKEDIN_CHALLENGE_CODE = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _same_digest(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.strip().lower().encode(), expected.encode())


def meta_signature_matches(*, secret: str, body: bytes, header: str | None) -> bool:
    if not secret or not header or not header.startswith("sha256="):
        return False
    return _same_digest(header.removeprefix("sha256="), hmac_sha256_hex(secret, body))


def linkedin_signature(secret: str, body: bytes) -> str:
    return hmac_sha256_hex(secret, LINKEDIN_SIGNED_PREFIX + body)


def linkedin_signature_matches(*, secret: str, body: bytes, header: str | None) -> bool:
    if not secret or not header:
        return False
    return _same_digest(header, linkedin_signature(secret, body))


def is_linkedin_challenge_code(code: str) -> bool:
    return LINKEDIN_CHALLENGE_CODE.fullmatch(code) is not None


def linkedin_challenge_response(secret: str, code: str) -> str:
    """The answer to LinkedIn's endpoint validation; the caller checks the code's shape first."""
    if not is_linkedin_challenge_code(code):
        raise ValueError("a LinkedIn challenge code is a UUID")
    return hmac_sha256_hex(secret, code.encode())
