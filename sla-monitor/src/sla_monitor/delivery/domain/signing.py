"""Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-id`,
`webhook-timestamp` and `webhook-signature`, the last `v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">` keyed with the bytes the `whsec_` secret encodes. The HMAC is the
`standardwebhooks` library's (the specification's own); during a rotation every live secret signs
and the signatures are space-separated. Pure."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A signing secret as the specification writes it: `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature_header(secrets_: Sequence[str], *, message_id: str, at: datetime, body: bytes) -> str:
    """`webhook-signature` for `body` as sent, by every live secret (newest first)."""
    text = body.decode()
    return " ".join(_signer(secret).sign(msg_id=message_id, timestamp=at, data=text) for secret in secrets_)


@lru_cache(maxsize=4096)
def _signer(secret: str) -> Webhook:
    # one per secret, not per delivery: building one decodes the secret
    return Webhook(secret)


def webhook_headers(secrets_: Sequence[str], *, message_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The three headers a receiver verifies, for a body sent at `at`."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.astimezone(UTC).timestamp())),
        "webhook-signature": signature_header(secrets_, message_id=message_id, at=at, body=body),
    }
